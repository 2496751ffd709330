/**
 * The README's limits snippet is test/Limits/readme-snippet.ts verbatim, and it does what its comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { assertSnippetIs } from "../support/readme.ts"
import * as limits from "./readme-snippet.ts"

describe("README: Shared limits", () => {
  it("the limits snippet is readme-snippet.ts", () => {
    assertSnippetIs("### Shared limits: `Limits`", import.meta.dirname, "readme-snippet.ts")
  })

  it.effect("six calls, two at a time across both batches: done after 3 seconds", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(limits.program)
      for (let s = 0; s < 3; s++) {
        yield* TestClock.adjust("999 millis")
        assert.isUndefined(fiber.pollUnsafe())
        yield* TestClock.adjust("1 millis")
      }
      assert.strictEqual(yield* Fiber.join(fiber), "default")
      assert.strictEqual(limits.gauge.most, 2)
    }))
})
