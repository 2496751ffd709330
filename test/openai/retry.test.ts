/**
 * `OpenAi.retry` against the fake server on 127.0.0.1, on the TestClock: a 429 waits the seconds the server sent, a
 * 5xx and a dropped connection back off, a 400 or 401 is not retried.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { OpenAi } from "../../src/openai.ts"
import { type FakeServer, fakeServer, httpClient, json, type Reply } from "./fake-server.ts"
import * as F from "./fixtures.ts"

const setup = (replies: ReadonlyArray<Reply>) =>
  Effect.map(fakeServer(replies), (fake) => ({
    fake,
    layer: OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make(F.apiKey), baseUrl: fake.baseUrl }).pipe(
      Layer.provide(httpClient)
    )
  }))

/** Real time for the loopback round trip to finish (the TestClock does not move meanwhile). */
const settle = TestClock.withLive(Effect.sleep("100 millis"))

/**
 * Starts `generateText` retried by `OpenAi.retry`; `failed` fires on each failed attempt, just before the schedule
 * sleeps, so the test moves the clock only once the sleep is registered.
 */
const start = (fake: FakeServer, layer: Layer.Layer<LanguageModel.LanguageModel>) =>
  Effect.gen(function*() {
    let failed = Deferred.makeUnsafe<void>()
    const fiber = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(
      Effect.tapError(() => Deferred.succeed(failed, undefined)),
      Effect.retry(OpenAi.retry),
      Effect.provide(layer),
      Effect.forkChild
    )
    const nextFailure = Effect.gen(function*() {
      yield* Deferred.await(failed)
      failed = Deferred.makeUnsafe<void>()
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    })
    return { fiber, nextFailure, requests: () => fake.received.length }
  })

describe("OpenAi.retry", () => {
  it.effect("429: waits the retry-after seconds on the clock, then sends again", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([
        json(F.rateLimited, 429, { "retry-after": "20" }),
        json(F.textCompletion)
      ])
      const { fiber, nextFailure, requests } = yield* start(fake, layer)
      yield* nextFailure
      yield* TestClock.adjust("19999 millis")
      yield* settle
      assert.strictEqual(requests(), 1)
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.text, "The capital of France is Paris.")
      assert.strictEqual(requests(), 2)
    }))

  it.effect("5xx and a dropped connection: backs off (500 ms, then about twice that) and succeeds", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([
        json({ error: { message: "upstream overloaded", type: "server_error", param: null, code: null } }, 503),
        { _tag: "Stream", chunks: [], then: "destroy" },
        json(F.textCompletion)
      ])
      const { fiber, nextFailure, requests } = yield* start(fake, layer)
      yield* nextFailure
      // The first back-off is 500 ms ± 20%.
      yield* TestClock.adjust("399 millis")
      yield* settle
      assert.strictEqual(requests(), 1)
      yield* TestClock.adjust("201 millis")
      yield* nextFailure
      assert.strictEqual(requests(), 2)
      // The second is 1 s ± 20%.
      yield* TestClock.adjust("799 millis")
      yield* settle
      assert.strictEqual(requests(), 2)
      yield* TestClock.adjust("401 millis")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.text, "The capital of France is Paris.")
      assert.strictEqual(requests(), 3)
    }))

  for (
    const [status, body] of [[400, {
      error: { message: "bad", type: "invalid_request_error", param: "x", code: null }
    }], [401, F.unauthorized]] as const
  ) {
    it.effect(`${status}: fails at once, without a second request`, () =>
      Effect.gen(function*() {
        const { fake, layer } = yield* setup([json(body, status), json(F.textCompletion)])
        const { fiber, nextFailure, requests } = yield* start(fake, layer)
        yield* nextFailure
        // A retry would be sent now, and answered by the second reply.
        yield* TestClock.adjust("1 hour")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error.reason._tag, status === 400 ? "InvalidRequestError" : "AuthenticationError")
        yield* settle
        assert.strictEqual(requests(), 1)
      }))
  }

  it.effect("stops after five retries", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.rateLimited, 429, { "retry-after": "1" })])
      const { fiber, nextFailure, requests } = yield* start(fake, layer)
      for (let i = 0; i < 6; i++) {
        yield* nextFailure
        yield* TestClock.adjust("1 second")
      }
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error.reason._tag, "RateLimitError")
      assert.strictEqual(requests(), 6)
    }))
})
