/**
 * The README's cache snippet is test/Node/cache-snippet.ts verbatim, and it does what its comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { assertSnippetIs } from "../support/readme.ts"
import * as cache from "./cache-snippet.ts"

describe("README: Caching results", () => {
  it("the cache snippet is cache-snippet.ts", () => {
    assertSnippetIs("### Caching results: `cache`", import.meta.dirname, "cache-snippet.ts")
  })

  it.effect("both runs get the one summary; the model was called once", () =>
    Effect.gen(function*() {
      const [first, second] = yield* cache.program
      const summary = "1: a summary of 16 characters"
      assert.deepStrictEqual(first, { text: "A long document.", summary })
      assert.deepStrictEqual(second, { text: "A long document.", summary })
      assert.strictEqual(cache.calls.model, 1)
    }))
})
