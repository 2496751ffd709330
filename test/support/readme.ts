/** The README's code blocks, for the tests that keep each snippet a file of this suite that runs. */
import { assert } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"

const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8")

/** The code of the first ```ts block after the line `heading` (a heading, or a marker such as a comment). */
export const snippet = (heading: string): string => {
  const start = readme.indexOf(`\n${heading}\n`)
  assert.isAtLeast(start, 0, `README has no "${heading}" line`)
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
  assert.isDefined(block, `README has no ts block after "${heading}"`)
  return block!
}

/** Checks that the snippet after `heading` is, verbatim, `file` in `dirname` (the test's `import.meta.dirname`). */
export const assertSnippetIs = (heading: string, dirname: string, file: string): void =>
  assert.strictEqual(snippet(heading), readFileSync(resolve(dirname, file), "utf8"))
