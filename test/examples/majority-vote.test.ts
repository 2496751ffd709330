import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as majority from "../../examples/majority-vote.ts"

describe("examples/majority-vote", () => {
  it.effect("samples five times at once; the unreadable sample abstains and 0.333 wins 3 of 5", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(
        Effect.provide(
          Effect.all({ result: majority.program, inFlight: TestLanguageModel.maxInFlight }),
          majority.layer
        )
      )
      // every reply takes one second: the five samples run together, so one second is enough
      yield* TestClock.adjust("1 second")
      const { inFlight, result } = yield* Fiber.join(fiber)
      assert.strictEqual(result.action, "decided")
      assert.strictEqual(result.state.answer, "0.333")
      assert.strictEqual(result.state.agreement, 3)
      assert.deepStrictEqual(
        result.state.votes.map((v) => v ?? "-").sort(),
        ["-", "0.125", "0.333", "0.333", "0.333"]
      )
      assert.strictEqual(inFlight, 5)
    }))

  it.effect("when every sample abstains the flow ends undecided", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(() => "answer: about a third")
      const { action, state } = yield* Effect.provide(
        majority.program,
        Layer.mergeAll(
          model,
          majority.VoteStore.layer({ question: "?", samples: 3, votes: [], answer: undefined, agreement: 0 })
        )
      )
      assert.strictEqual(action, "undecided")
      assert.deepStrictEqual(state.votes, [undefined, undefined, undefined])
      assert.strictEqual(state.answer, undefined)
    }))

  it("tally picks the most frequent answer, the first seen on a tie", () => {
    assert.deepStrictEqual(majority.tally(["a", "b", "b", undefined]), { answer: "b", count: 2 })
    assert.deepStrictEqual(majority.tally(["a", "b"]), { answer: "a", count: 1 })
    assert.strictEqual(majority.tally([undefined]), undefined)
  })
})
