/**
 * The README's "Agents" snippet, run as written against the fake OpenAI server: the test takes the code block after
 * `## Agents`, points its package imports at the source and imports it with the environment set to the fake. The
 * model streams two GetWeather calls, then its answer; the snippet prints the answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fakeServer, sse } from "../openai/fake-server.ts"
import * as F from "../openai/fixtures.ts"
import { importSnippet, snippet } from "../support/readme.ts"

describe("README: Agents", () => {
  it.effect("the snippet runs the tool loop on the configured server and prints the answer", () =>
    Effect.gen(function*() {
      const code = snippet("## Agents")
      // As short as LangGraph's createReactAgent quickstart (24 lines of code).
      assert.isAtMost(code.split("\n").filter((l) => l.trim() !== "").length, 24)
      const fake = yield* fakeServer([
        { _tag: "Stream", chunks: sse(F.toolCallChunks), then: "end" },
        { _tag: "Stream", chunks: sse(F.textChunks), then: "end" }
      ])
      const printed = yield* importSnippet(code, {
        dirname: import.meta.dirname,
        imports: { "effect-pocketflow/openai": "../../src/openai.ts", "effect-pocketflow": "../../src/index.ts" },
        env: { OPENAI_API_KEY: F.apiKey, OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: "gpt-4o-mini" }
      })
      assert.strictEqual(printed, "The capital of France is Paris.")
      assert.strictEqual(fake.received.length, 2)
      const second = fake.received[1]!.body.messages as ReadonlyArray<{ role: string; content: unknown }>
      assert.deepStrictEqual(second.map((m) => m.role), ["system", "user", "assistant", "tool", "tool"])
      assert.deepStrictEqual(second.slice(3).map((m) => m.content), [
        "It's always sunny in Paris!",
        "It's always sunny in Oslo!"
      ])
    }))
})
