import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Queue } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as multiAgent from "../../examples/multi-agent.ts"
import { recorded } from "../support/model.ts"

describe("examples/multi-agent", () => {
  it.effect("the agents take turns through their mailboxes until the guesser finds the word", () =>
    Effect.gen(function*() {
      const { calls, result: state } = yield* Effect.provide(recorded(multiAgent.program), multiAgent.layer)
      assert.deepStrictEqual(state.hints, [
        "A bittersweet ache for the old days",
        "Looking at childhood photos and sighing",
        "Homesick for a time, not a place"
      ])
      assert.deepStrictEqual(state.guesses, ["melancholy", "reminiscence", "nostalgia"])
      assert.strictEqual(state.outcome, "guessed")
      // strictly alternating: hint, guess, hint, guess, …
      assert.deepStrictEqual(
        calls.map((c) => c.text.startsWith("You are the hinter") ? "hinter" : "guesser"),
        ["hinter", "guesser", "hinter", "guesser", "hinter", "guesser"]
      )
      // the hinter saw the wrong guesses the guesser sent it
      assert.include(calls[4]!.text, "Wrong guesses so far: melancholy, reminiscence.")
    }))

  it.effect("a guesser that never finds the word gives up after maxGuesses, and both agents end", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) => text.startsWith("You are the hinter") ? "a hint" : "wrong")
      const state = yield* Effect.provide(
        multiAgent.program,
        Layer.mergeAll(model, multiAgent.Mailboxes.layer, multiAgent.GameStore.layer(multiAgent.game))
      )
      assert.strictEqual(state.outcome, "gave up")
      assert.strictEqual(state.guesses.length, multiAgent.game.maxGuesses)
      assert.strictEqual(state.hints.length, multiAgent.game.maxGuesses)
    }))

  it.effect("when one agent fails, the other is interrupted and the mailboxes are shut down", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) =>
        text.startsWith("You are the hinter") ? "a hint" : TestLanguageModel.fail("guesser offline")
      )
      const { boxes, error } = yield* Effect.scoped(
        Effect.gen(function*() {
          const boxes = yield* multiAgent.Mailboxes
          return { boxes, error: yield* Effect.flip(multiAgent.program) }
        }).pipe(
          Effect.provide(Layer.mergeAll(model, multiAgent.Mailboxes.layer, multiAgent.GameStore.layer(multiAgent.game)))
        )
      )
      assert.strictEqual(error._tag, "AiError")
      // the hinter was waiting on its mailbox; the program still returned, and the layer's scope closed the queues
      assert.isFalse(yield* Queue.offer(boxes.hinter, { _tag: "Start" }))
      assert.isFalse(yield* Queue.offer(boxes.guesser, { _tag: "Hint", text: "too late" }))
    }))
})
