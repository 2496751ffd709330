import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as structuredOutput from "../../examples/structured-output.ts"
import { recorded } from "../support/model.ts"

describe("examples/structured-output", () => {
  it.effect("a reply that does not decode is retried; the second attempt is stored", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(recorded(structuredOutput.program))
      // The retry waits 500 ms before asking again.
      yield* TestClock.adjust("500 millis")
      const { prompts, result: state } = yield* Fiber.join(fiber)
      assert.strictEqual(state.extraction?.attempts, 2)
      assert.strictEqual(state.extraction?.problem, undefined)
      assert.deepStrictEqual(state.extraction?.candidate, {
        name: "Ada Lovelace",
        email: "ada@analytical.engine",
        experience: [
          { role: "Analyst", company: "Babbage & Co.", years: 5 },
          { role: "Lead programmer", company: "Analytical Engine Society", years: 3 }
        ],
        skills: ["mathematics", "algorithm design", "technical writing"]
      })
      // the retry asked the same question again
      assert.strictEqual(prompts.length, 2)
      assert.strictEqual(prompts[1], prompts[0])
      assert.include(prompts[0], structuredOutput.resume)
    }).pipe(Effect.provide(structuredOutput.layer)))

  it.effect("after the last failed attempt the fallback records the problem", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) =>
        text.startsWith("Extract the candidate") ? structuredOutput.badReply : undefined
      )
      const layer = Layer.mergeAll(
        model,
        structuredOutput.ResumeStore.layer({ resume: structuredOutput.resume, extraction: undefined })
      )
      const run = Effect.all({
        action: structuredOutput.flow,
        state: structuredOutput.ResumeStore.get,
        calls: TestLanguageModel.calls
      })
      const fiber = yield* Effect.forkChild(Effect.provide(run, layer))
      // two retries, 500 ms apart
      yield* TestClock.adjust("1 second")
      const { action, calls, state } = yield* Fiber.join(fiber)
      assert.strictEqual(action, "failed")
      assert.strictEqual(state.extraction?.candidate, undefined)
      assert.strictEqual(state.extraction?.attempts, structuredOutput.maxAttempts)
      assert.include(state.extraction?.problem, "Expected number")
      assert.strictEqual(calls.length, structuredOutput.maxAttempts)
    }))
})
