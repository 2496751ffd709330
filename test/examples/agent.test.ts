import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as agent from "../../examples/agent.ts"
import { recorded } from "../support/model.ts"

const withModel = (model: Layer.Layer<any>, search: Layer.Layer<agent.WebSearch> = agent.WebSearch.offline) =>
  Layer.mergeAll(model, agent.ToolHandlers.pipe(Layer.provide(search)), agent.AgentStore.layer(agent.initial("?")))

describe("examples/agent", () => {
  it.effect("searches twice, then answers from what it found", () =>
    Effect.gen(function*() {
      const { calls, result: state } = yield* Effect.provide(recorded(agent.program), agent.layer)
      assert.deepStrictEqual(state.trail.map((line) => line.split(" ")[0]), ["search", "search", "answer"])
      assert.strictEqual(state.trail[2], "answer (3 model calls)")
      assert.deepStrictEqual(state.research.map((r) => r.query), [
        "2024 Nobel Prize Physics winners",
        "Hopfield network Boltzmann machine neural network"
      ])
      assert.deepStrictEqual(state.research[0]?.results.map((r) => r.title), [
        "The Nobel Prize in Physics 2024",
        "The Nobel Prize in Chemistry 2024"
      ])
      assert.include(state.answer, "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics")
      // two turns with a search each, then the answer; every turn offers the tool
      assert.strictEqual(calls.length, 3)
      assert.deepStrictEqual(calls.map((c) => c.tools), [["web_search"], ["web_search"], ["web_search"]])
      assert.match(calls[0]!.text, /^You are a research agent/)
      assert.include(calls[2]!.text, "tool result web_search")
    }))

  it.effect("a search backend that is down fails the agent with the tool's typed SearchError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(agent.program, withModel(agent.model, agent.WebSearch.down)))
      assert.strictEqual(error._tag, "SearchError")
      if (error._tag === "SearchError") assert.strictEqual(error.query, "2024 Nobel Prize Physics winners")
    }))

  it.effect("a model that never stops searching is stopped by maxTurns", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(() => TestLanguageModel.toolCall("web_search", { query: "Nobel Prize" }))
      const { error, state } = yield* Effect.provide(
        Effect.all({ error: Effect.flip(agent.program), state: agent.AgentStore.get }),
        withModel(model)
      )
      assert.strictEqual(error._tag, "AgentTurnsExceeded")
      if (error._tag === "AgentTurnsExceeded") {
        assert.strictEqual(error.agent, "research")
        assert.strictEqual(error.maxTurns, 6)
      }
      // the agent failed, so its post never wrote: no answer
      assert.strictEqual(state.answer, undefined)
    }))
})
