/**
 * `npm run example -- <name> --model openai` runs the example on the provider configured from the
 * environment; without the flag it stays on the scripted model. Run as a child process (as npm does)
 * against the fake server.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/process.ts"
import { fakeServer, json } from "./fake-server.ts"
import * as F from "./fixtures.ts"

const answer = {
  ...F.textCompletion,
  choices: [{
    ...F.textCompletion.choices[0]!,
    message: { role: "assistant", content: "PocketFlow is a tiny graph-of-nodes LLM framework.", refusal: null }
  }]
}

describe("npm run example -- <name> --model openai", () => {
  it.effect("uses the provider from the environment, and only with the flag", () =>
    Effect.gen(function*() {
      const fake = yield* fakeServer([json(answer)])
      const env = { OPENAI_API_KEY: F.apiKey, OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: "llama3.2" }

      const real = yield* runExample(["hello", "--model", "openai"], { env, timeout: 60_000 })
      assert.strictEqual(real.code, 0, real.stderr)
      assert.include(real.stdout, "\"answer\": \"PocketFlow is a tiny graph-of-nodes LLM framework.\"")
      assert.strictEqual(fake.received.length, 1)
      assert.strictEqual(fake.received[0]!.body.model, "llama3.2")
      assert.strictEqual(fake.received[0]!.headers.authorization, `Bearer ${F.apiKey}`)
      assert.include(fake.received[0]!.body.messages[0].content, "PocketFlow")

      const scripted = yield* runExample(["hello"], { env, timeout: 60_000 })
      assert.strictEqual(scripted.code, 0, scripted.stderr)
      assert.include(scripted.stdout, "Answer:")
      assert.strictEqual(fake.received.length, 1)

      const unknown = yield* runExample(["hello", "--model=claude"], { env, timeout: 60_000 })
      assert.strictEqual(unknown.code, 1)
      assert.include(unknown.stderr, "Unknown model \"claude\"")
    }), 120_000)
})
