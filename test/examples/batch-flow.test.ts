import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as batchFlow from "../../examples/batch-flow.ts"
import { recorded } from "../support/model.ts"

describe("examples/batch-flow", () => {
  it.effect("runs measure → summarize once per file and indexes the results", () =>
    Effect.gen(function*() {
      const { calls, result: state } = yield* Effect.provide(recorded(batchFlow.program), batchFlow.layer)
      assert.deepStrictEqual(state.reports, {
        "intro.md": { lines: 2, words: 12, summary: "effect-pocketflow rebuilds PocketFlow on Effect." },
        "install.md": { lines: 3, words: 16, summary: "Install effect and effect-pocketflow with npm." },
        "retries.md": { lines: 2, words: 15, summary: "Retries are schedules from effect." }
      })
      assert.strictEqual(
        state.index,
        [
          "intro.md (2 lines, 12 words): effect-pocketflow rebuilds PocketFlow on Effect.",
          "install.md (3 lines, 16 words): Install effect and effect-pocketflow with npm.",
          "retries.md (2 lines, 15 words): Retries are schedules from effect."
        ].join("\n")
      )
      assert.strictEqual(calls.length, 3)
    }))

  it.effect("with no files, the batch runs nothing and the index is empty", () =>
    Effect.gen(function*() {
      const empty = batchFlow.BatchStore.layer({ files: {}, reports: {}, index: undefined })
      const state = yield* Effect.provide(batchFlow.program, Layer.mergeAll(batchFlow.model, empty))
      assert.deepStrictEqual(state.reports, {})
      assert.strictEqual(state.index, "")
    }))
})
