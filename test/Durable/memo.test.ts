/**
 * Sub-steps (`step.memo`, the engine capability agents use for their model and tool calls): a step that runs again
 * after a suspension gets its finished sub-steps back without running them, under `Durable.run` and under
 * `Durable.toWorkflow`; outside a durable run a sub-step is its body.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { memo } from "../../src/internal/durable/step.ts"
import { suspended } from "../support/durable.ts"
import { completed, settle } from "../support/workflow.ts"

class Store extends Shared.Service<Store>()("memo/Store", {
  schema: Schema.Struct({ total: Schema.Number, ok: Schema.Boolean })
}) {}

const Go = Durable.input("go", { answer: Schema.Boolean })

/** A node with two sub-steps, then an ask, then a third sub-step; `ran` counts each sub-step's runs. */
const fixture = () => {
  const ran: Record<string, number> = {}
  const sub = (name: string, value: number) =>
    memo(
      name,
      Schema.Number,
      Effect.sync(() => {
        ran[name] = (ran[name] ?? 0) + 1
        return value
      })
    )
  const node = Node.make({
    name: "work",
    exec: () =>
      Effect.gen(function*() {
        const a = yield* sub("a", 1)
        const b = yield* sub("b", 10)
        const ok = yield* Go.ask()
        const c = yield* sub("c", 100)
        return { total: a + b + c, ok }
      }),
    post: (_, s) => Store.set(s)
  })
  return { ran, flow: Flow.make({ name: "memo", start: node }) }
}

describe("sub-steps", () => {
  it.effect("Durable.run: a step run again after a suspension does not run its finished sub-steps again", () =>
    Effect.gen(function*() {
      const { flow, ran } = fixture()
      const stores = [Store.initial({ total: 0, ok: false })]
      const first = suspended(yield* Durable.run(flow, { id: "m", stores }))
      assert.deepStrictEqual(ran, { a: 1, b: 1 })
      yield* Durable.answer({ token: first.waiting[0]!.token, value: true })
      const done = yield* Durable.run(flow, { id: "m", stores })
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(ran, { a: 1, b: 1, c: 1 })
      assert.deepStrictEqual(yield* Durable.state("m", Store), { total: 111, ok: true })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("outside a durable run a sub-step is its body", () =>
    Effect.gen(function*() {
      const { flow, ran } = fixture()
      yield* Flow.run(flow).pipe(
        Effect.provide(
          Layer.mergeAll(Store.layer({ total: 0, ok: false }), Durable.layerAnswers(Go, () => Effect.succeed(true)))
        )
      )
      assert.deepStrictEqual(ran, { a: 1, b: 1, c: 1 })
    }))

  it.live("Durable.toWorkflow: each sub-step is an activity, journaled across the step's attempts", () =>
    Effect.gen(function*() {
      const { flow, ran } = fixture()
      const wf = Durable.toWorkflow(flow, { name: "memo", stores: [Store] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "m-1", stores: [Store.initial({ total: 0, ok: false })] })
        const waiting = yield* settle(wf, "m-1", (r) => r._tag === "Suspended")
        assert.strictEqual(waiting._tag, "Suspended")
        yield* wf.answer({ id: "m-1", input: Go, key: "memo/work#1/go#1", value: true })
        return yield* settle(wf, "m-1")
      }).pipe(Effect.provide(wf.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory))))
      assert.deepStrictEqual(completed(result).stores["memo/Store"], { total: 111, ok: true })
      assert.deepStrictEqual(ran, { a: 1, b: 1, c: 1 })
    }))
})
