/**
 * The README's "Durable runs" snippet is test/durable/readme-snippet.ts, verbatim, and it runs here.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { program } from "./readme-snippet.ts"

describe("README: Durable runs", () => {
  it("the snippet is readme-snippet.ts", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8")
    const start = readme.indexOf("\n## Durable runs\n")
    assert.isAtLeast(start, 0, "README has no \"Durable runs\" section")
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
    assert.strictEqual(block, readFileSync(resolve(import.meta.dirname, "readme-snippet.ts"), "utf8"))
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
