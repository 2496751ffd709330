import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { Flow } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as resilient from "../../examples/resilient.ts"

describe("examples/resilient", () => {
  it.effect("backs off exponentially, turns a hang into NodeTimeout, never retries an unknown symbol, falls back", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(
        Effect.all({
          events: Stream.runCollect(Flow.events(resilient.flow)),
          state: resilient.ResilientStore.get,
          feed: Effect.flatMap(resilient.PriceFeed, (feed) => feed.calls),
          calls: TestLanguageModel.calls
        })
      )
      yield* TestClock.adjust("10 seconds")
      const { calls, events, feed, state } = yield* Fiber.join(fiber)

      assert.deepStrictEqual(state.quotes, [
        { symbol: "ACME", price: 101.5, source: "live", attempts: 3 },
        { symbol: "GLOBEX", price: 42, source: "live", attempts: 1 },
        { symbol: "INITECH", price: 7.1, source: "cache", attempts: 4 },
        { symbol: "HOOLI", price: undefined, source: "none", attempts: 1 }
      ])
      // ACME: 503 at 0, retried after 200 ms; hangs at 200 until the 1 s timeout; retried 400 ms later.
      // INITECH: 200, 400 and 800 ms between its four attempts. HOOLI: asked once.
      assert.deepStrictEqual(feed.map((c) => `${c.symbol}@${c.at}`), [
        "ACME@0",
        "ACME@200",
        "ACME@1600",
        "GLOBEX@1600",
        "INITECH@1600",
        "INITECH@1800",
        "INITECH@2200",
        "INITECH@3000",
        "HOOLI@3000"
      ])
      const failures = events.flatMap((e) => (e._tag === "RetryScheduled" ? [e.error] : []))
      assert.deepStrictEqual(failures.map((e) => (e as { _tag: string })._tag), [
        "Unavailable",
        "NodeTimeout",
        "Unavailable",
        "Unavailable",
        "Unavailable",
        "AiError"
      ])
      assert.deepStrictEqual(
        events.flatMap((e) => (e._tag === "RetryScheduled" ? [Duration.toMillis(e.delay)] : [])),
        [200, 400, 200, 400, 800, 1000]
      )
      assert.deepStrictEqual(
        events.flatMap((e) => (e._tag === "FallbackUsed" ? [e.item] : [])),
        [2, 3]
      )
      // the model was rate limited once and asked again
      assert.strictEqual(calls.length, 2)
      assert.strictEqual(
        state.report,
        "ACME 101.5 and GLOBEX 42 are live; INITECH 7.1 is yesterday's price; HOOLI is not listed."
      )
    }).pipe(Effect.provide(resilient.layer)))

  it.effect("a feed that always hangs times out every attempt and falls back to the cache", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(
        resilient.flakyFeed({ ACME: 1 }, { ACME: ["hang"] }),
        TestLanguageModel.layer(["report"]),
        resilient.ResilientStore.layer({ symbols: ["ACME"], cache: { ACME: 99 }, quotes: [], report: undefined })
      )
      const fiber = yield* Effect.forkChild(Effect.provide(resilient.program, layer))
      // four attempts of 1 s each, and 200 + 400 + 800 ms of backoff
      yield* TestClock.adjust("5399 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const state = yield* Fiber.join(fiber)
      assert.deepStrictEqual(state.quotes, [{ symbol: "ACME", price: 99, source: "cache", attempts: 4 }])
    }))
})
