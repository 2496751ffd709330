/**
 * The README's `Flow.parallel` and `Flow.emit` snippets are test/parallel/readme/*.ts verbatim, and they do what
 * their comments say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as emit from "./readme/emit.ts"
import * as parallel from "./readme/parallel.ts"

const here = dirname(fileURLToPath(import.meta.url))
const readme = readFileSync(resolve(here, "../../README.md"), "utf8")

/** The first ts block after `heading`. */
const snippet = (heading: string) => {
  const start = readme.indexOf(`\n${heading}\n`)
  assert.isAtLeast(start, 0, `README has no "${heading}" section`)
  return /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
}

describe("README", () => {
  it("the Flow.parallel snippet is readme/parallel.ts", () => {
    assert.strictEqual(snippet("### Parallel branches: `Flow.parallel`"), readFileSync(resolve(here, "readme/parallel.ts"), "utf8"))
  })

  it("the Flow.emit snippet is readme/emit.ts", () => {
    assert.strictEqual(
      snippet("### Custom events and token streaming: `Flow.emit`"),
      readFileSync(resolve(here, "readme/emit.ts"), "utf8")
    )
  })

  it.effect("the parallel snippet runs both searches at once and writes", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(parallel.program)
      yield* TestClock.adjust(199)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { notes: ["papers: 1 hits", "web: 3 hits"] })
    }))

  it.effect("the emit snippet streams the deltas", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(Array.from(yield* emit.tokens), ["A flo", "w is ", "a gra", "ph of", " node", "s."])
    }))
})
