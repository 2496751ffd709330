/**
 * The README's "Agents" snippet, run as written against the fake OpenAI server: the test takes the code block after
 * `## Agents`, points its package imports at the source and imports it with the environment set to the fake. The
 * model streams two GetWeather calls, then its answer; the snippet prints the answer.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fakeServer, sse } from "../openai/fake-server.ts"
import * as F from "../openai/fixtures.ts"
import { snippet } from "../support/readme.ts"

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
      const file = path.join(import.meta.dirname, `.readme-snippet-${process.pid}.ts`)
      const source = code
        .replace("\"effect-pocketflow/openai\"", "\"../../src/openai.ts\"")
        .replace("\"effect-pocketflow\"", "\"../../src/index.ts\"")
      yield* Effect.acquireRelease(
        Effect.sync(() => fs.writeFileSync(file, source)),
        () => Effect.sync(() => fs.rmSync(file, { force: true }))
      )
      const saved = { ...process.env }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.env.OPENAI_API_KEY = F.apiKey
          process.env.OPENAI_BASE_URL = fake.baseUrl
          process.env.OPENAI_MODEL = "gpt-4o-mini"
        }),
        () =>
          Effect.sync(() => {
            for (const key of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"]) {
              if (saved[key] === undefined) delete process.env[key]
              else process.env[key] = saved[key]
            }
          })
      )
      const printed = yield* Deferred.make<unknown>()
      const log = vi.spyOn(console, "log").mockImplementation((value: unknown) => {
        Deferred.doneUnsafe(printed, Effect.succeed(value))
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => log.mockRestore()))

      yield* Effect.promise(() => import(file))
      assert.strictEqual(yield* Deferred.await(printed), "The capital of France is Paris.")
      assert.strictEqual(fake.received.length, 2)
      const second = fake.received[1]!.body.messages as ReadonlyArray<{ role: string; content: unknown }>
      assert.deepStrictEqual(second.map((m) => m.role), ["system", "user", "assistant", "tool", "tool"])
      assert.deepStrictEqual(second.slice(3).map((m) => m.content), [
        "It's always sunny in Paris!",
        "It's always sunny in Oslo!"
      ])
    }))
})
