/**
 * The README's "Testing your flows" snippet is test/testing/readme-snippet.test.ts, verbatim, so the code
 * users copy is code that runs in this suite.
 */
import { assert, describe, it } from "@effect/vitest"
import { sibling, snippet } from "../support/readme.ts"

describe("README", () => {
  it("the Testing your flows snippet is readme-snippet.test.ts", () => {
    assert.strictEqual(snippet("## Testing your flows"), sibling(import.meta.dirname, "readme-snippet.test.ts"))
  })
})
