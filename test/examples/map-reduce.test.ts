import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as mapReduce from "../../examples/map-reduce.ts"

describe("examples/map-reduce", () => {
  it.effect("summarizes in waves of at most 3 model calls, then reduces", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(mapReduce.program)
      // Each call takes 200 ms: 6 documents at 3 at a time are two waves, then one reduce call. A call is
      // recorded when it starts.
      yield* TestClock.adjust("0 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 3)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 6)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 7)
      assert.match((yield* TestLanguageModel.prompts)[6] ?? "", /^Combine these summaries/)
      yield* TestClock.adjust("200 millis")
      const state = yield* Fiber.join(fiber)
      const calls = yield* TestLanguageModel.calls

      assert.strictEqual(yield* TestLanguageModel.maxInFlight, mapReduce.concurrency)
      assert.strictEqual(calls.length, 7)
      assert.deepStrictEqual(state.summaries, [
        { title: "Nodes", summary: "A node runs prep, exec and post in that order." },
        { title: "Actions", summary: "The value post returns is an action that picks the next node." },
        { title: "Flows", summary: "A flow starts at one node and follows actions from node to node." },
        { title: "Batches", summary: "A batch node maps exec over many items, sequentially or in parallel." },
        { title: "Retries", summary: "Exec is retried on failure according to the node's policy." },
        { title: "Shared store", summary: "Nodes communicate through a shared store that the caller provides." }
      ])
      assert.strictEqual(
        state.report,
        "PocketFlow in 6 ideas (nodes, actions, flows, batches, retries, shared store): " +
          state.summaries.map((s) => s.summary).join(" ")
      )
    }).pipe(Effect.provide(mapReduce.layer)))
})
