/**
 * `Durable.toWorkflow` on `ClusterWorkflowEngine` with `SingleRunner` over Postgres (one process is the whole
 * cluster): the loop and the nested flow finish with the same states as under `Durable.run`, and a run suspended on
 * `ask` resumes when answered, without running its finished steps again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import type { Workflow, WorkflowEngine } from "effect/workflow"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Checkpointer, Durable } from "../../../src/index.ts"
import * as pg from "../../support/pg.ts"
import { database, LOOP_STEPS, single, workflows } from "./fixtures/cluster.ts"
import { Approval, AskStore, loop, LoopStore, nested, nestedInitial, NestedStore, reviewKey, steps } from "./fixtures/flows.ts"

interface Pollable {
  readonly poll: (id: string) => Effect.Effect<Option.Option<Workflow.Result<any, any>>, never, WorkflowEngine.WorkflowEngine>
}

const settle = (wf: Pollable, id: string, done: (r: Workflow.Result<any, any>) => boolean = (r) => r._tag === "Complete") =>
  Effect.gen(function*() {
    for (let i = 0; i < 600; i++) {
      const result = yield* wf.poll(id)
      if (Option.isSome(result) && done(result.value)) return result.value
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`run ${id} never settled`))
  })

const storesOf = (result: Workflow.Result<any, any>) => {
  assert.strictEqual(result._tag, "Complete")
  const exit = (result as Workflow.Complete<any, any>).exit
  assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
  return (exit as Exit.Success<{ stores: Record<string, unknown> }>).value.stores
}

describe.skipIf(pg.missing())("Durable.toWorkflow on SingleRunner + Postgres", () => {
  it.live("loop, nested flow with a concurrent batch, and an answered ask", () =>
    Effect.gen(function*() {
      const url = yield* database(pg.url!, "wf_single")
      const log = join(mkdtempSync(join(tmpdir(), "wf-single-")), "exec.log")
      const wfs = workflows(log, 5)
      const nestedWf = Durable.toWorkflow(nested(), { name: "nested", stores: [NestedStore] })
      const layer = Layer.mergeAll(wfs.loop.layer, wfs.essay.layer, nestedWf.layer).pipe(Layer.provideMerge(single(url)))
      const [loopResult, nestedResult, essay] = yield* Effect.gen(function*() {
        yield* wfs.loop.start({ id: "loop-1", stores: [LoopStore.initial({ n: 0, total: 0, trail: [] })] })
        yield* nestedWf.start({ id: "nested-1", stores: [NestedStore.initial(nestedInitial)] })
        yield* wfs.essay.start({ id: "essay-1", stores: [AskStore.initial({ draft: "", published: false, note: "" })] })
        const loopResult = yield* settle(wfs.loop, "loop-1")
        const nestedResult = yield* settle(nestedWf, "nested-1")
        yield* settle(wfs.essay, "essay-1", (r) => r._tag === "Suspended")
        yield* wfs.essay.answer({ id: "essay-1", input: Approval, key: reviewKey, value: { ok: true, note: "fine" } })
        return [loopResult, nestedResult, yield* settle(wfs.essay, "essay-1")] as const
      }).pipe(Effect.provide(layer))

      const local = <S>(flow: any, initial: any) =>
        Durable.run(flow, { id: "local", stores: [initial] }).pipe(
          Effect.andThen(Durable.state("local", initial.store)),
          Effect.provide(Checkpointer.layerMemory)
        ) as Effect.Effect<S>
      assert.deepStrictEqual(
        storesOf(loopResult)["wf/LoopStore"],
        yield* local(loop({ steps: LOOP_STEPS, stepMillis: 0 }), LoopStore.initial({ n: 0, total: 0, trail: [] }))
      )
      assert.deepStrictEqual(storesOf(nestedResult)["wf/NestedStore"], yield* local(nested(), NestedStore.initial(nestedInitial)))
      assert.deepStrictEqual(storesOf(essay)["wf/AskStore"], { draft: "a draft", published: true, note: "fine" })

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
