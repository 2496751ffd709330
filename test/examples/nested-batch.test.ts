import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as nested from "../../examples/nested-batch.ts"
import { recorded } from "../support/model.ts"

describe("examples/nested-batch", () => {
  it.effect("runs grade once per (class, student) and writes class and school averages", () =>
    Effect.gen(function*() {
      const { prompts, result: state } = yield* Effect.provide(recorded(nested.program), nested.layer)
      assert.deepStrictEqual(state.reports, {
        "class-a": {
          ada: { average: 9, comment: "ada is doing excellent work." },
          alan: { average: 7, comment: "alan is improving; keep practising." }
        },
        "class-b": {
          grace: { average: 9, comment: "grace is doing excellent work." },
          linus: { average: 5, comment: "linus is improving; keep practising." }
        }
      })
      assert.deepStrictEqual(state.classAverages, { "class-a": 8, "class-b": 7 })
      assert.strictEqual(state.schoolAverage, 7.5)
      assert.strictEqual(prompts.length, 4)
    }))

  it.effect("each run sees its own class and student, even with a class's students run concurrently", () =>
    Effect.gen(function*() {
      const grades = { x: { a: [1], b: [2], c: [3] }, y: { a: [10] } }
      const state = yield* Effect.provide(
        nested.program,
        Layer.mergeAll(
          nested.model,
          nested.SchoolStore.layer({ grades, reports: {}, classAverages: {}, schoolAverage: undefined })
        )
      )
      assert.deepStrictEqual(state.reports.x?.a?.average, 1)
      assert.deepStrictEqual(state.reports.x?.c?.average, 3)
      assert.deepStrictEqual(state.reports.y?.a?.average, 10)
      assert.deepStrictEqual(state.classAverages, { x: 2, y: 10 })
      assert.strictEqual(state.schoolAverage, 4)
    }))
})
