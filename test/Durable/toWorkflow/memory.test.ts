/**
 * `Durable.toWorkflow` on `WorkflowEngine.layerMemory`: the same flows finish with the same states as under
 * `Durable.run`; asks are `DurableDeferred`s named by the local engine's input keys; journaled steps never run again
 * when a run resumes; node policies run inside the activity; errors and interrupts reach the poller.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { Workflow, WorkflowEngine } from "effect/workflow"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../../src/index.ts"
import { completed, locally, settle } from "../../support/workflow.ts"
import {
  Approval,
  asking,
  AskStore,
  loop,
  LoopStore,
  nested,
  nestedInitial,
  NestedStore,
  reviewKey,
  steps
} from "./fixtures/flows.ts"

const engine = <R>(wf: { readonly layer: Layer.Layer<never, never, R> }) =>
  wf.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory)) as Layer.Layer<
    WorkflowEngine.WorkflowEngine,
    never,
    Exclude<R, WorkflowEngine.WorkflowEngine>
  >

describe("Durable.toWorkflow on the memory engine", () => {
  it.live("a 30-step loop finishes with the same state as Durable.run", () =>
    Effect.gen(function*() {
      const flow = loop({ steps: 30, stepMillis: 0 })
      const wf = Durable.toWorkflow(flow, { name: "loop", stores: [LoopStore] })
      const initial = { n: 0, total: 0, trail: [] }
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "loop-1", stores: [LoopStore.initial(initial)] })
        return yield* settle(wf, "loop-1")
      }).pipe(Effect.provide(engine(wf)))
      const final = completed(result)
      assert.strictEqual(final.action, "done")
      const expected = yield* locally(flow, LoopStore.initial(initial))
      assert.deepStrictEqual(final.stores["wf/LoopStore"], Schema.encodeSync(LoopStore.schema)(expected))
      assert.strictEqual(expected.n, 30)
    }))

  it.live("nested flows, a concurrent Flow.batch and a Node.batch: the same state as Durable.run", () =>
    Effect.gen(function*() {
      const flow = nested()
      const wf = Durable.toWorkflow(flow, { name: "nested", stores: [NestedStore] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "nested-1", stores: [NestedStore.initial(nestedInitial)] })
        return yield* settle(wf, "nested-1")
      }).pipe(Effect.provide(engine(wf)))
      const final = completed(result)
      const expected = yield* locally(flow, NestedStore.initial(nestedInitial))
      assert.deepStrictEqual(final.stores["wf/NestedStore"], expected)
      assert.strictEqual(expected.summary, "ALPHA=5,BE=2,GAMMA=5,DELTA=5,EPS=3")
    }))

  it.live("ask suspends on a DurableDeferred named by the local engine's key; the answer resumes it, finished steps do not run again", () =>
    Effect.gen(function*() {
      const log = join(mkdtempSync(join(tmpdir(), "wf-ask-")), "exec.log")
      const flow = asking({ log })
      const wf = Durable.toWorkflow(flow, { name: "essay", stores: [AskStore] })
      const initial = { draft: "", published: false, note: "" }

      // The local engine waits under the same key.
      const local = yield* Durable.run(asking(), { id: "local", stores: [AskStore.initial(initial)] }).pipe(
        Effect.provide(Checkpointer.layerMemory)
      )
      assert.strictEqual(local._tag, "Suspended")
      assert.deepStrictEqual(local._tag === "Suspended" ? local.waiting.map((w) => w.key) : [], [reviewKey])

      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "essay-1", stores: [AskStore.initial(initial)] })
        const suspended = yield* settle(wf, "essay-1", (r) => r._tag === "Suspended")
        assert.strictEqual(suspended._tag, "Suspended")
        yield* wf.answer({ id: "essay-1", input: Approval, key: reviewKey, value: { ok: true, note: "ship it" } })
        return yield* settle(wf, "essay-1")
      }).pipe(Effect.provide(engine(wf)))
      const final = completed(result)
      assert.strictEqual(final.action, "default")
      assert.deepStrictEqual(final.stores["wf/AskStore"], { draft: "a draft", published: true, note: "ship it" })
      // draft ran once (journaled across the replay); review ran twice (asked, then answered); publish once.
      assert.deepStrictEqual(steps(readFileSync(log, "utf8")), [
        "- essay-1:essay/draft#1",
        "- essay-1:essay/review#1",
        "- essay-1:essay/review#1",
        "- essay-1:essay/publish#1"
      ])
    }))

  it.live("retry and fallback run inside the activity; a typed error reaches the poller through the error schema", () =>
    Effect.gen(function*() {
      class Boom extends Schema.TaggedError<Boom>()("Boom", { attempt: Schema.Number }) {}
      class S extends Shared.Service<S>()("wf/Retry", { schema: Schema.Struct({ value: Schema.String }) }) {}
      let calls = 0
      const flaky = Node.make({
        name: "flaky",
        exec: () =>
          Effect.suspend(() => ++calls < 3 ? Effect.fail(new Boom({ attempt: calls })) : Effect.succeed("third time")),
        post: (_, value) => S.set({ value }),
        retry: { times: 5 }
      })
      let failures = 0
      const doomed = Node.make({
        name: "doomed",
        exec: () => Effect.suspend(() => Effect.fail(new Boom({ attempt: ++failures }))),
        retry: { times: 1 }
      })
      const ok = Durable.toWorkflow(Flow.make({ name: "ok", start: flaky }), { name: "ok", stores: [S], error: Boom })
      const bad = Durable.toWorkflow(Flow.make({ name: "bad", start: doomed }), {
        name: "bad",
        stores: [S],
        error: Boom
      })
      const [good, failed] = yield* Effect.gen(function*() {
        yield* ok.start({ id: "r", stores: [S.initial({ value: "" })] })
        yield* bad.start({ id: "r", stores: [S.initial({ value: "" })] })
        return [yield* settle(ok, "r"), yield* settle(bad, "r")] as const
      }).pipe(Effect.provide(Layer.mergeAll(ok.layer, bad.layer).pipe(Layer.provideMerge(WorkflowEngine.layerMemory))))
      assert.deepStrictEqual(completed(good).stores["wf/Retry"], { value: "third time" })
      assert.strictEqual(calls, 3)
      assert.strictEqual(failed._tag, "Complete")
      const exit = (failed as Workflow.Complete<any, any>).exit
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(error) && error.value instanceof Boom && error.value.attempt === 2)
      assert.strictEqual(failures, 2)
    }))

  it.live("a replay applies concurrent branches' patches in the order their posts finished", () =>
    Effect.gen(function*() {
      class Order
        extends Shared.Service<Order>()("wf/Order", { schema: Schema.Struct({ order: Schema.Array(Schema.Number) }) })
      {}
      class Index extends Context.Service<Index, { readonly i: number }>()("wf/Index") {}
      // Item 0 finishes last, item 1 first: the posts append 1, 2, 0.
      const waits = [60, 0, 25]
      const item = Node.make({
        name: "item",
        prep: Effect.service(Index),
        exec: ({ i }) => Effect.as(Effect.sleep(`${waits[i]} millis`), i),
        post: (_, i) => Order.update((s) => ({ order: [...s.order, i] }))
      })
      const items = Flow.batch({
        name: "items",
        flow: item,
        params: Index,
        prep: Effect.succeed([{ i: 0 }, { i: 1 }, { i: 2 }]),
        concurrency: "unbounded"
      })
      const seen: Array<ReadonlyArray<number>> = []
      const Ok = Durable.input("ok", { answer: Schema.Boolean })
      const check = Node.make({
        name: "check",
        prep: Order.get,
        exec: (s) => Effect.andThen(Effect.sync(() => seen.push(s.order)), Ok.ask())
      })
      const flow = Flow.make({ name: "ordered", start: items }).pipe(Flow.next(items, check))
      const wf = Durable.toWorkflow(flow, { name: "ordered", stores: [Order] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "o-1", stores: [Order.initial({ order: [] })] })
        yield* settle(wf, "o-1", (r) => r._tag === "Suspended")
        yield* wf.answer({ id: "o-1", input: Ok, key: "ordered/check#1/ok#1", value: true })
        return yield* settle(wf, "o-1")
      }).pipe(Effect.provide(engine(wf)))
      assert.deepStrictEqual(completed(result).stores["wf/Order"], { order: [1, 2, 0] })
      // The replay (after the answer) saw the same state as the first run, not the items in index order.
      assert.deepStrictEqual(seen, [[1, 2, 0], [1, 2, 0]])
    }))

  it.live("Flow.parallel: branches ask side by side under the local engine's keys; the block's post and the rest run once answered", () =>
    Effect.gen(function*() {
      const State = Schema.Struct({ left: Schema.String, right: Schema.String, joined: Schema.String })
      class P extends Shared.Service<P>()("wf/Parallel", { schema: State }) {}
      const Pick = Durable.input("pick", { answer: Schema.String, prompt: Schema.String })
      const left = Node.make({
        name: "left",
        exec: () => Pick.ask("left?"),
        post: (_, v) => P.update((s) => ({ ...s, left: v }))
      })
      const right = Node.make({
        name: "right",
        exec: () => Pick.ask("right?"),
        post: (_, v) => P.update((s) => ({ ...s, right: v }))
      })
      const both = Flow.parallel({ name: "both", branches: [left, right], post: () => Node.action("joined") })
      const join = Node.make({ name: "join", post: () => P.update((s) => ({ ...s, joined: `${s.left}+${s.right}` })) })
      const flow = Flow.make({ name: "pair", start: both }).pipe(Flow.on(both, "joined", join))
      const initial = { left: "", right: "", joined: "" }

      // Under Durable.run: suspended on two keys; answered, it finishes.
      const local = yield* Effect.gen(function*() {
        const first = yield* Durable.run(flow, { id: "p", stores: [P.initial(initial)] })
        const keys = first._tag === "Suspended" ? first.waiting.map((w) => w.key).sort() : []
        for (const key of keys) {
          yield* Durable.answer({ id: "p", input: Pick, key, value: key.includes("left") ? "L" : "R" })
        }
        yield* Durable.run(flow, { id: "p", stores: [P.initial(initial)] })
        return { keys, state: yield* Durable.state("p", P) }
      }).pipe(Effect.provide(Checkpointer.layerMemory))
      assert.deepStrictEqual(local.keys, ["pair/both#1/left#1/pick#1", "pair/both#1/right#1/pick#1"])

      const wf = Durable.toWorkflow(flow, { name: "pair", stores: [P] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "p-1", stores: [P.initial(initial)] })
        yield* settle(wf, "p-1", (r) => r._tag === "Suspended")
        yield* wf.answer({ id: "p-1", input: Pick, key: local.keys[0]!, value: "L" })
        yield* wf.answer({ id: "p-1", input: Pick, key: local.keys[1]!, value: "R" })
        return yield* settle(wf, "p-1")
      }).pipe(Effect.provide(engine(wf)))
      const final = completed(result)
      assert.deepStrictEqual(final.stores["wf/Parallel"], local.state)
      assert.deepStrictEqual(local.state, { left: "L", right: "R", joined: "L+R" })
    }))

  it.live("an ask with a timeout is refused with a defect naming the input (not silently waited on forever)", () =>
    Effect.gen(function*() {
      class S extends Shared.Service<S>()("wf/Timeout", { schema: Schema.Struct({ ok: Schema.Boolean }) }) {}
      const Ok = Durable.input("ok", { answer: Schema.Boolean })
      const asks = Node.make({ name: "asks", exec: () => Effect.orDie(Ok.ask({ timeout: "1 hour" })) })
      const wf = Durable.toWorkflow(Flow.make({ name: "t", start: asks }), { name: "t", stores: [S] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "t-1", stores: [S.initial({ ok: false })] })
        return yield* settle(wf, "t-1")
      }).pipe(Effect.provide(engine(wf)))
      assert.strictEqual(result._tag, "Complete")
      const exit = (result as Workflow.Complete<any, any>).exit
      assert.isTrue(Exit.isFailure(exit) && Cause.pretty(exit.cause).includes("does not support ask timeouts"))
    }))

  it.live("interrupt stops a suspended run for good", () =>
    Effect.gen(function*() {
      const flow = asking()
      const wf = Durable.toWorkflow(flow, { name: "essay-stop", stores: [AskStore] })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "stop-1", stores: [AskStore.initial({ draft: "", published: false, note: "" })] })
        yield* settle(wf, "stop-1", (r) => r._tag === "Suspended")
        yield* wf.interrupt("stop-1")
        return yield* settle(wf, "stop-1")
      }).pipe(Effect.provide(engine(wf)))
      assert.strictEqual(result._tag, "Complete")
      const exit = (result as Workflow.Complete<any, any>).exit
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause))
    }))
})
