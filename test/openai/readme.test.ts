/**
 * The README's "Using a real model" snippet, run as written against the fake server: the test takes the
 * code block after `<!-- snippet: openai -->` from README.md, points its package import at the source
 * (the package is not built in tests) and imports it with the environment set to the fake.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { snippet } from "../support/readme.ts"
import { fakeServer, json } from "./fake-server.ts"
import * as F from "./fixtures.ts"

const here = import.meta.dirname

describe("README: Using a real model", () => {
  it.effect("the snippet asks the configured server and prints its answer", () =>
    Effect.gen(function*() {
      const code = snippet("<!-- snippet: openai -->")
      assert.include(code, "from \"effect-pocketflow/openai\"")
      const fake = yield* fakeServer([json(F.textCompletion)])

      const file = path.join(here, `.readme-snippet-${process.pid}.ts`)
      const source = code.replace("\"effect-pocketflow/openai\"", "\"../../src/openai.ts\"")
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
      assert.strictEqual(fake.received.length, 1)
      assert.strictEqual(fake.received[0]!.body.model, "gpt-4o-mini")
      assert.strictEqual(fake.received[0]!.headers.authorization, `Bearer ${F.apiKey}`)
      assert.deepStrictEqual(fake.received[0]!.body.messages, [
        { role: "user", content: "What is the capital of France?" }
      ])
    }))
})
