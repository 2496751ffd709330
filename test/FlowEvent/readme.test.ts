/**
 * The README's `Flow.emit` snippet is test/FlowEvent/readme-snippet.ts verbatim, and it does what its comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { assertSnippetIs } from "../support/readme.ts"
import * as emit from "./readme-snippet.ts"

describe("README: Custom events and token streaming", () => {
  it("the Flow.emit snippet is readme-snippet.ts", () => {
    assertSnippetIs("### Custom events and token streaming: `Flow.emit`", import.meta.dirname, "readme-snippet.ts")
  })

  it.effect("the emit snippet streams the deltas", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(Array.from(yield* emit.tokens), ["A flo", "w is ", "a gra", "ph of", " node", "s."])
    }))
})
