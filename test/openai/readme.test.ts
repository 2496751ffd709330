/**
 * The README's "Using a real model" snippet, run as written against the fake server: the test takes the
 * code block after `<!-- snippet: openai -->` from README.md, points its package import at the source
 * (the package is not built in tests) and imports it with the environment set to the fake.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { importSnippet, snippet } from "../support/readme.ts"
import { fakeServer, json } from "./fake-server.ts"
import * as F from "./fixtures.ts"

describe("README: Using a real model", () => {
  it.effect("the snippet asks the configured server and prints its answer", () =>
    Effect.gen(function*() {
      const code = snippet("<!-- snippet: openai -->")
      assert.include(code, "from \"effect-pocketflow/openai\"")
      const fake = yield* fakeServer([json(F.textCompletion)])

      const printed = yield* importSnippet(code, {
        dirname: import.meta.dirname,
        imports: { "effect-pocketflow/openai": "../../src/openai.ts" },
        env: { OPENAI_API_KEY: F.apiKey, OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: "gpt-4o-mini" }
      })
      assert.strictEqual(printed, "The capital of France is Paris.")
      assert.strictEqual(fake.received.length, 1)
      assert.strictEqual(fake.received[0]!.body.model, "gpt-4o-mini")
      assert.strictEqual(fake.received[0]!.headers.authorization, `Bearer ${F.apiKey}`)
      assert.deepStrictEqual(fake.received[0]!.body.messages, [
        { role: "user", content: "What is the capital of France?" }
      ])
    }))
})
