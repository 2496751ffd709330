/**
 * The README's "Testing your flows" snippet is test/testing/readme-snippet.test.ts, verbatim, so the code
 * users copy is code that runs in this suite.
 */
import { describe, it } from "@effect/vitest"
import { assertSnippetIs } from "../support/readme.ts"

describe("README", () => {
  it("the Testing your flows snippet is readme-snippet.test.ts", () => {
    assertSnippetIs("## Testing your flows", import.meta.dirname, "readme-snippet.test.ts")
  })
})
