/**
 * The README's "Testing your flows" snippet is test/testing/readme-snippet.test.ts, verbatim, so the code
 * users copy is code that runs in this suite.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))

describe("README", () => {
  it("the Testing your flows snippet is readme-snippet.test.ts", () => {
    const readme = readFileSync(resolve(here, "../../README.md"), "utf8")
    const start = readme.indexOf("\n## Testing your flows\n")
    assert.isAtLeast(start, 0, "README has no \"Testing your flows\" section")
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
    assert.strictEqual(block, readFileSync(resolve(here, "readme-snippet.test.ts"), "utf8"))
  })
})
