import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as agent from "../../examples/agent.ts"
import { recorded } from "../support/model.ts"

describe("examples/agent", () => {
  it.effect("searches twice, then answers from what it found", () =>
    Effect.gen(function*() {
      const { calls, result: state } = yield* Effect.provide(recorded(agent.program), agent.layer)
      assert.deepStrictEqual(
        state.trail.map((line) => line.split(" ")[0]),
        ["decide", "search", "decide", "search", "decide", "answer"]
      )
      assert.deepStrictEqual(state.research.map((r) => r.query), [
        "2024 Nobel Prize Physics winners",
        "Hopfield network Boltzmann machine neural network"
      ])
      assert.deepStrictEqual(state.research[0]?.results.map((r) => r.title), [
        "The Nobel Prize in Physics 2024",
        "The Nobel Prize in Chemistry 2024"
      ])
      assert.include(state.answer, "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics")
      assert.strictEqual(state.query, undefined)
      // three decisions and one answer
      assert.strictEqual(calls.length, 4)
    }))

  it.effect("a malformed decision is decoded as a typed failure and retried", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer([
        "I think we should look things up!",
        "action: answer\nreason: ok",
        "The research does not say."
      ])
      const layer = Layer.mergeAll(model, agent.WebSearch.offline, agent.AgentStore.layer(agent.initial("Why?")))
      const { prompts, result: state } = yield* Effect.provide(recorded(agent.program), layer)
      assert.deepStrictEqual(state.trail, ["decide → answer (ok)", "answer → done"])
      assert.strictEqual(state.answer, "The research does not say.")
      // the undecodable decision was asked again with the same prompt
      assert.strictEqual(prompts.length, 3)
      assert.strictEqual(prompts[1], prompts[0])
      assert.match(prompts[0] ?? "", /^You are a research agent/)
      assert.match(prompts[2] ?? "", /^Answer the question/)
    }))

  it.effect("a model that never stops searching is stopped by maxSteps", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) =>
        text.startsWith("You are a research agent") ? "action: search\nreason: more\nquery: Nobel Prize" : undefined
      )
      const layer = Layer.mergeAll(model, agent.WebSearch.offline, agent.AgentStore.layer(agent.initial("?")))
      const { error, state } = yield* Effect.provide(
        Effect.all({ error: Effect.flip(agent.program), state: agent.AgentStore.get }),
        layer
      )
      assert.strictEqual(error._tag, "MaxStepsExceeded")
      if (error._tag === "MaxStepsExceeded") {
        assert.strictEqual(error.flow, "agent")
        assert.strictEqual(error.maxSteps, 10)
        assert.strictEqual(error.node, "decide")
      }
      // 10 steps = five decide/search rounds; the answer is never reached
      assert.strictEqual(state.research.length, 5)
      assert.strictEqual(state.answer, undefined)
    }))
})
