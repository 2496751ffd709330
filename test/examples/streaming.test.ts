import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Stream } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as streaming from "../../examples/streaming.ts"

describe("examples/streaming", () => {
  it.effect("tokens reach the subscriber one chunk at a time, as the model streams them", () =>
    Effect.gen(function*() {
      const fiber = yield* streaming.tokens(streaming.flow).pipe(
        Stream.mapEffect((token) => Effect.map(Clock.currentTimeMillis, (at) => ({ token, at }))),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* TestClock.adjust("1 minute")
      const tokens = Array.from(yield* Fiber.join(fiber))
      assert.strictEqual(tokens.map((t) => t.token).join(""), streaming.reply)
      assert.strictEqual(tokens.length, Math.ceil(streaming.reply.length / 6))
      assert.isTrue(tokens.every((t) => t.token.length <= 6))
      // Each token arrived when its chunk did, 30 ms after the previous one: live, not all at the end.
      const gaps = tokens.slice(1).map((t, i) => t.at - tokens[i]!.at)
      assert.isTrue(gaps.every((gap) => gap === 30), `gaps: ${gaps.join(",")}`)
      assert.strictEqual((yield* streaming.ChatStore.get).answer, streaming.reply)
      const calls = yield* TestLanguageModel.calls
      assert.deepStrictEqual(calls.map((c) => c.method), ["streamText"])
      assert.include(calls[0]?.text, streaming.question)
    }).pipe(Effect.provide(streaming.layer)))

  it.effect("without a subscriber the flow just stores the streamed answer", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Effect.provide(streaming.program, streaming.layer))
      yield* TestClock.adjust("1 minute")
      const state = yield* Fiber.join(fiber)
      assert.strictEqual(state.answer, streaming.reply)
    }))
})
