import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as agent from "../../examples/agent.ts"
import * as supervisor from "../../examples/supervisor.ts"
import { recorded } from "../support/model.ts"

describe("examples/supervisor", () => {
  it.effect("rejects the nonsense answer, sends the agent back, and accepts the second answer", () =>
    Effect.gen(function*() {
      const { calls, result: state } = yield* Effect.provide(recorded(supervisor.program), supervisor.layer)
      assert.deepStrictEqual(state.trail.map((line) => line.split(" (")[0]), [
        "search \"2024 Nobel Prize Physics winners\" → 2 results: The Nobel Prize in Physics 2024; The Nobel Prize in Chemistry 2024",
        "search \"Hopfield network Boltzmann machine neural network\" → 2 results: Hopfield network; Boltzmann machine",
        "answer",
        "supervisor → reject",
        "answer",
        "supervisor → approve"
      ])
      assert.include(state.trail[3], "coffee break")
      assert.strictEqual(state.answer, supervisor.goodAnswer)
      // the research of round one was kept: round two did not search again
      assert.strictEqual(state.research.length, 2)
      assert.strictEqual(calls.length, 4)
      assert.include(calls[3]!.text, "### Search: 2024 Nobel Prize Physics winners")
    }))

  it.effect("an agent that never answers well is stopped by the outer flow's maxSteps", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(() => supervisor.badAnswer)
      const layer = Layer.mergeAll(model, supervisor.tools, agent.AgentStore.layer(agent.initial("?")))
      const { error, state } = yield* Effect.provide(
        Effect.all({ error: Effect.flip(supervisor.program), state: agent.AgentStore.get }),
        layer
      )
      assert.strictEqual(error._tag, "MaxStepsExceeded")
      if (error._tag === "MaxStepsExceeded") assert.strictEqual(error.flow, "supervised")
      // three rounds of agent → supervisor, each rejected
      assert.strictEqual(state.trail.filter((line) => line.startsWith("supervisor → reject")).length, 3)
      assert.strictEqual(state.answer, undefined)
    }))

  it("review accepts a real answer and names the phrase that gives a bad one away", () => {
    assert.strictEqual(supervisor.review(supervisor.goodAnswer), undefined)
    assert.strictEqual(supervisor.review("All of this is made up."), "the answer says \"made up\"")
    assert.strictEqual(supervisor.review(undefined), "no answer")
  })
})
