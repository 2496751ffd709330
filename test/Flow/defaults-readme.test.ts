/**
 * The README's flow-defaults snippet is test/Flow/defaults-snippet.ts verbatim, and it does what its comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { assertSnippetIs } from "../support/readme.ts"
import * as defaults from "./defaults-snippet.ts"

describe("README: Flow-wide defaults", () => {
  it("the defaults snippet is defaults-snippet.ts", () => {
    assertSnippetIs("### Flow-wide defaults: `defaults`", import.meta.dirname, "defaults-snippet.ts")
  })

  it.effect("search gets research's retries, answer gets the agent's, a second apart", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(defaults.program)
      yield* TestClock.adjust(999)
      assert.deepStrictEqual(defaults.attempts, { search: 3, answer: 1 })
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), "default")
      assert.deepStrictEqual(defaults.attempts, { search: 3, answer: 2 })
    }))
})
