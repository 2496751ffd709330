/**
 * `Durable.toWorkflow` on `ClusterWorkflowEngine` with `SingleRunner` over Postgres (one process is the whole
 * cluster): the loop and the nested flow finish with the same states as under `Durable.run`, and a run suspended on
 * `ask` resumes when answered, without running its finished steps again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Durable } from "../../../src/index.ts"
import * as pg from "../../support/pg.ts"
import { completed, isComplete, locally, settle } from "../../support/workflow.ts"
import { LOOP_STEPS, single, workflows } from "./fixtures/cluster.ts"
import {
  Approval,
  AskStore,
  loop,
  LoopStore,
  nested,
  nestedInitial,
  NestedStore,
  reviewKey,
  steps
} from "./fixtures/flows.ts"

/** A cluster polls storage: look every 50 ms, for 30 s at most. */
const slowly = { every: "50 millis", times: 600 } as const

describe.skipIf(pg.missing())("Durable.toWorkflow on SingleRunner + Postgres", () => {
  it.live("loop, nested flow with a concurrent batch, and an answered ask", () =>
    Effect.gen(function*() {
      const url = yield* pg.database("wf_single")
      const log = join(mkdtempSync(join(tmpdir(), "wf-single-")), "exec.log")
      const wfs = workflows(log, 5)
      const nestedWf = Durable.toWorkflow(nested(), { name: "nested", stores: [NestedStore] })
      const layer = Layer.mergeAll(wfs.loop.layer, wfs.essay.layer, nestedWf.layer).pipe(
        Layer.provideMerge(single(url))
      )
      const [loopResult, nestedResult, essay] = yield* Effect.gen(function*() {
        yield* wfs.loop.start({ id: "loop-1", stores: [LoopStore.initial({ n: 0, total: 0, trail: [] })] })
        yield* nestedWf.start({ id: "nested-1", stores: [NestedStore.initial(nestedInitial)] })
        yield* wfs.essay.start({ id: "essay-1", stores: [AskStore.initial({ draft: "", published: false, note: "" })] })
        const loopResult = yield* settle(wfs.loop, "loop-1", isComplete, slowly)
        const nestedResult = yield* settle(nestedWf, "nested-1", isComplete, slowly)
        yield* settle(wfs.essay, "essay-1", (r) => r._tag === "Suspended", slowly)
        yield* wfs.essay.answer({ id: "essay-1", input: Approval, key: reviewKey, value: { ok: true, note: "fine" } })
        return [loopResult, nestedResult, yield* settle(wfs.essay, "essay-1", isComplete, slowly)] as const
      }).pipe(Effect.provide(layer))

      assert.deepStrictEqual(
        completed(loopResult).stores["wf/LoopStore"],
        yield* locally(loop({ steps: LOOP_STEPS, stepMillis: 0 }), LoopStore.initial({ n: 0, total: 0, trail: [] }))
      )
      assert.deepStrictEqual(
        completed(nestedResult).stores["wf/NestedStore"],
        yield* locally(nested(), NestedStore.initial(nestedInitial))
      )
      assert.deepStrictEqual(completed(essay).stores["wf/AskStore"], {
        draft: "a draft",
        published: true,
        note: "fine"
      })

      const lines = steps(readFileSync(log, "utf8"))
      const loopLines = lines.filter((l) => l.includes("loop-1:"))
      assert.strictEqual(loopLines.length, LOOP_STEPS)
      assert.strictEqual(new Set(loopLines).size, LOOP_STEPS)
      assert.deepStrictEqual(lines.filter((l) => l.includes("essay-1:")), [
        "- essay-1:essay/draft#1",
        "- essay-1:essay/review#1",
        "- essay-1:essay/review#1",
        "- essay-1:essay/publish#1"
      ])
    }), 60_000)
})
