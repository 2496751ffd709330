/**
 * The README's `Flow.parallel` snippet is test/Flow/readme-snippet.ts verbatim, and it does what its comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { assertSnippetIs } from "../support/readme.ts"
import * as parallel from "./readme-snippet.ts"

describe("README: Parallel branches", () => {
  it("the Flow.parallel snippet is readme-snippet.ts", () => {
    assertSnippetIs("### Parallel branches: `Flow.parallel`", import.meta.dirname, "readme-snippet.ts")
  })

  it.effect("the parallel snippet runs both searches at once and writes", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(parallel.program)
      yield* TestClock.adjust(199)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { notes: ["papers: 1 hits", "web: 3 hits"] })
    }))
})
