/**
 * The README's "Durable runs" snippet is test/Durable/readme-snippet.ts, verbatim, and it runs here.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { assertSnippetIs } from "../support/readme.ts"
import { program } from "./readme-snippet.ts"

describe("README: Durable runs", () => {
  it("the snippet is readme-snippet.ts", () => {
    assertSnippetIs("## Durable runs", import.meta.dirname, "readme-snippet.ts")
  })

  it.effect("the snippet suspends, takes the answer and finishes", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* program, {
        first: "Suspended",
        second: "Done",
        state: { draft: "Effect in 3 points", published: true }
      })
    }))
})
