import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, Effect, Fiber, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { answersOf, assertCheckpointError, failure, fields } from "../support/durable.ts"

const State = Schema.Struct({ n: Schema.Number, log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("test/manage/Store", { schema: State }) {}
const empty = () => Store.initial({ n: 0, log: [] })

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })

class Boom extends Data.TaggedError("Boom")<{ readonly attempt: number }> {}

/** `c`: `inc` adds one to `n` until it reaches `to`. */
const counter = (to: number, counts?: { incs: number }) => {
  const inc = Node.make({
    name: "inc",
    exec: () =>
      Effect.sync(() => {
        if (counts !== undefined) counts.incs++
      }),
    post: () =>
      Effect.flatMap(
        Store.modify((s) => [s.n + 1, { ...s, n: s.n + 1 }] as const),
        (n) => Node.action(n < to ? "again" : "default")
      )
  })
  return Flow.make({ name: "c", start: inc }).pipe(Flow.on(inc, "again", inc))
}

/** `f`: `inc` then `review` (asks `Approval`), counting execs. */
const incThenReview = (counts: { incs: number; reviews: number }) => {
  const inc = Node.make({
    name: "inc",
    exec: () =>
      Effect.sync(() => {
        counts.incs++
      }),
    post: () => Store.update((s) => ({ ...s, n: s.n + 1 }))
  })
  const review = Node.make({
    name: "review",
    exec: () =>
      Effect.andThen(
        Effect.sync(() => {
          counts.reviews++
        }),
        Approval.ask("Publish?")
      ),
    post: (_, a) => Store.update((s) => ({ ...s, log: [...s.log, `ok=${a.ok}`] }))
  })
  return Flow.make({ name: "f", start: inc }).pipe(Flow.next(inc, review))
}

describe("Durable reading", () => {
  it.effect("Durable.get returns the latest snapshot with its fields, or none", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* Durable.get("nope")))
      const start = yield* Clock.currentTimeMillis
      const counts = { incs: 0, reviews: 0 }
      const o = yield* Durable.run(incThenReview(counts), { id: "g1", stores: [empty()] })
      assert.strictEqual(o._tag, "Suspended")
      const s = Option.getOrThrow(yield* Durable.get("g1"))
      // v1 the claim, v2 after inc, v3 the suspension
      assert.deepStrictEqual(
        [s.format, s.id, s.flow, s.status, s.version, s.steps, s.updatedAt, s.failure, s.action],
        [1, "g1", "f", "suspended", 3, 1, start, undefined, undefined]
      )
      assert.deepStrictEqual(s.stores, { "test/manage/Store": { n: 1, log: [] } })
      assert.deepStrictEqual(s.waiting.map((w) => [w.key, w.input, w.path, w.prompt]), [
        ["f/review#1/approval#1", "approval", "f/review", "Publish?"]
      ])
      assert.deepStrictEqual(s.position, { at: "review", kind: "node", steps: 1, visits: { inc: 1 } })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.state decodes a store's latest state; RunNotFound without a run", () =>
    Effect.gen(function*() {
      yield* Durable.run(counter(3), { id: "s1", stores: [empty()] })
      assert.deepStrictEqual(yield* Durable.state("s1", Store), { n: 3, log: [] })
      const error = yield* failure(Durable.state("nope", Store))
      assert.deepStrictEqual(fields(error), { _tag: "RunNotFound", id: "nope" })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.history pages newest versions, oldest first within a page", () =>
    Effect.gen(function*() {
      const o = yield* Durable.run(counter(5), { id: "h1", stores: [empty()] })
      assert.deepStrictEqual(o, { _tag: "Done", action: "default", steps: 5 })
      // v1 claim, v2..v6 after each inc, v7 done
      const all = yield* Durable.history("h1")
      assert.deepStrictEqual(all.snapshots.map((s) => s.version), [1, 2, 3, 4, 5, 6, 7])
      assert.strictEqual(all.before, undefined)
      const p1 = yield* Durable.history("h1", { limit: 3 })
      assert.deepStrictEqual(p1.snapshots.map((s) => [s.version, s.status]), [[5, "running"], [6, "running"], [
        7,
        "done"
      ]])
      assert.strictEqual(p1.before, 5)
      const p2 = yield* Durable.history("h1", { limit: 3, before: p1.before })
      assert.deepStrictEqual(
        p2.snapshots.map((s) => [s.version, (s.stores["test/manage/Store"] as { n: number }).n]),
        [[2, 1], [3, 2], [4, 3]]
      )
      assert.strictEqual(p2.before, 2)
      const p3 = yield* Durable.history("h1", { limit: 3, before: p2.before })
      assert.deepStrictEqual(p3.snapshots.map((s) => [s.version, s.status]), [[1, "running"]])
      assert.strictEqual(p3.before, undefined)
      assert.deepStrictEqual((yield* Durable.history("nope")).snapshots, [])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.list filters by status and flow and pages with a cursor, newest first", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      yield* Durable.run(counter(1), { id: "l-done-1", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* Durable.run(incThenReview(counts), { id: "l-wait-1", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* Durable.run(counter(2), { id: "l-done-2", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* Durable.run(incThenReview(counts), { id: "l-wait-2", stores: [empty()] })

      const ids = (page: { readonly runs: ReadonlyArray<Durable.Snapshot> }) => page.runs.map((r) => r.id)
      assert.deepStrictEqual(ids(yield* Durable.list()), ["l-wait-2", "l-done-2", "l-wait-1", "l-done-1"])
      assert.deepStrictEqual(ids(yield* Durable.list({ status: "suspended" })), ["l-wait-2", "l-wait-1"])
      assert.deepStrictEqual(ids(yield* Durable.list({ status: "done" })), ["l-done-2", "l-done-1"])
      assert.deepStrictEqual(ids(yield* Durable.list({ flow: "c" })), ["l-done-2", "l-done-1"])
      assert.deepStrictEqual(ids(yield* Durable.list({ flow: "f", status: "done" })), [])

      const p1 = yield* Durable.list({ limit: 3 })
      assert.deepStrictEqual(ids(p1), ["l-wait-2", "l-done-2", "l-wait-1"])
      assert.isString(p1.cursor)
      const p2 = yield* Durable.list({ limit: 3, cursor: p1.cursor })
      assert.deepStrictEqual(ids(p2), ["l-done-1"])
      assert.strictEqual(p2.cursor, undefined)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable.fork", () => {
  it.effect("fork from a version with Store.edit continues from there with the edited state", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      const flow = incThenReview(counts)
      yield* Durable.run(flow, { id: "src", stores: [empty()] })
      yield* Durable.answer({ id: "src", input: Approval, value: { ok: true } })
      const done = yield* Durable.run(flow, { id: "src", stores: [empty()] })
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(counts, { incs: 1, reviews: 2 })

      // v2: inc done, at review; the fork edits n and asks again (the inbox is not copied)
      const forked = yield* Durable.fork({
        from: "src",
        version: 2,
        to: "dst",
        stores: [Store.edit((s) => ({ ...s, n: s.n + 100 }))]
      })
      assert.deepStrictEqual([forked.id, forked.version, forked.status], ["dst", 1, "running"])
      assert.deepStrictEqual((yield* Durable.history("dst")).snapshots.map((s) => s.version), [1])
      assert.deepStrictEqual(yield* Durable.state("dst", Store), { n: 101, log: [] })

      const o = yield* Durable.run(flow, { id: "dst", stores: [empty()] })
      assert.strictEqual(o._tag, "Suspended")
      yield* Durable.answer({ id: "dst", input: Approval, value: { ok: false } })
      const o2 = yield* Durable.run(flow, { id: "dst", stores: [empty()] })
      assert.strictEqual(o2._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("dst", Store), { n: 101, log: ["ok=false"] })
      assert.deepStrictEqual(counts, { incs: 1, reviews: 4 })
      // the source is untouched
      assert.deepStrictEqual(yield* Durable.state("src", Store), { n: 1, log: ["ok=true"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("fork to an existing run fails with RunExists; a missing version with CheckpointError", () =>
    Effect.gen(function*() {
      yield* Durable.run(counter(2), { id: "f-a", stores: [empty()] })
      yield* Durable.run(counter(1), { id: "f-b", stores: [empty()] })
      const exists = yield* failure(Durable.fork({ from: "f-a", version: 2, to: "f-b" }))
      assert.deepStrictEqual(fields(exists), { _tag: "RunExists", id: "f-b" })
      assert.deepStrictEqual(yield* Durable.state("f-b", Store), { n: 1, log: [] })
      const missing = yield* failure(Durable.fork({ from: "f-a", version: 99, to: "f-c" }))
      assertCheckpointError(missing, "version not found")
      const noRun = yield* failure(Durable.fork({ from: "nope", version: 1, to: "f-d" }))
      assertCheckpointError(noRun, "version not found")
      assert.isTrue(Option.isNone(yield* Durable.get("f-c")))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a fork's waiting inputs get new tokens naming the new run", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      const flow = incThenReview(counts)
      const o = yield* Durable.run(flow, { id: "w-src", stores: [empty()] })
      assert.strictEqual(o._tag, "Suspended")
      const srcToken = o._tag === "Suspended" ? o.waiting[0]!.token : ""
      const forked = yield* Durable.fork({ from: "w-src", version: 3, to: "w-dst" })
      assert.strictEqual(forked.status, "suspended")
      assert.deepStrictEqual(forked.waiting.map((w) => w.key), ["f/review#1/approval#1"])
      const dstToken = forked.waiting[0]!.token
      assert.notStrictEqual(dstToken, srcToken)
      yield* Durable.answer({ token: dstToken, value: { ok: true } })
      assert.deepStrictEqual(yield* answersOf("w-src"), [])
      assert.deepStrictEqual((yield* answersOf("w-dst")).map((a) => [a.key, a.value]), [[
        "f/review#1/approval#1",
        { ok: true }
      ]])
      assert.strictEqual((yield* Durable.run(flow, { id: "w-dst", stores: [empty()] }))._tag, "Done")
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("w-src")).status, "suspended")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable.interrupt", () => {
  it.effect("a suspended run becomes interrupted at once; later run/resume return Interrupted and run nothing", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      const flow = incThenReview(counts)
      yield* Durable.run(flow, { id: "i1", stores: [empty()] })
      yield* Durable.interrupt("i1")
      const s = Option.getOrThrow(yield* Durable.get("i1"))
      assert.deepStrictEqual([s.status, s.version, s.steps], ["interrupted", 4, 1])
      assert.deepStrictEqual(yield* Durable.run(flow, { id: "i1", stores: [empty()] }), {
        _tag: "Interrupted",
        steps: 1
      })
      assert.deepStrictEqual(yield* Durable.resume(flow, { id: "i1", stores: [Store] }), {
        _tag: "Interrupted",
        steps: 1
      })
      assert.deepStrictEqual(counts, { incs: 1, reviews: 1 })
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("i1")).version, 4)
      const missing = yield* failure(Durable.interrupt("nope"))
      assert.deepStrictEqual(fields(missing), { _tag: "RunNotFound", id: "nope" })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a running run is interrupted by its owner at its next heartbeat", () =>
    Effect.gen(function*() {
      let finalized = false
      let after = 0
      const slow = Node.make({
        name: "slow",
        exec: () =>
          Effect.sleep("1 hour").pipe(Effect.onInterrupt(() =>
            Effect.sync(() => {
              finalized = true
            })
          ))
      })
      const next = Node.make({
        name: "next",
        exec: () =>
          Effect.sync(() => {
            after++
          })
      })
      const flow = Flow.make({ name: "r", start: slow }).pipe(Flow.next(slow, next))
      const fiber = yield* Effect.forkChild(Durable.run(flow, { id: "i2", stores: [empty()], lease: "30 seconds" }))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("i2")).status, "running")
      yield* Durable.interrupt("i2")
      // the owner holds the lease: the request waits for its heartbeat (every 10 seconds)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("i2")).status, "running")
      yield* TestClock.adjust("10 seconds")
      const outcome = yield* Fiber.join(fiber)
      assert.deepStrictEqual(outcome, { _tag: "Interrupted", steps: 0 })
      assert.isTrue(finalized)
      assert.strictEqual(after, 0)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("i2")).status, "interrupted")
      assert.deepStrictEqual(yield* Durable.run(flow, { id: "i2", stores: [empty()] }), {
        _tag: "Interrupted",
        steps: 0
      })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable retention", () => {
  it.effect("Durable.delete removes a run, its history and its answers", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      yield* Durable.run(incThenReview(counts), { id: "d1", stores: [empty()] })
      yield* Durable.answer({ id: "d1", input: Approval, value: { ok: true } })
      yield* Durable.delete("d1")
      assert.isTrue(Option.isNone(yield* Durable.get("d1")))
      assert.deepStrictEqual((yield* Durable.history("d1")).snapshots, [])
      assert.deepStrictEqual(yield* answersOf("d1"), [])
      assert.deepStrictEqual((yield* Durable.list()).runs, [])
      // the id is free again: a new run starts from its initial states
      const o = yield* Durable.run(incThenReview(counts), { id: "d1", stores: [Store.initial({ n: 10, log: [] })] })
      assert.strictEqual(o._tag, "Suspended")
      assert.deepStrictEqual(yield* Durable.state("d1", Store), { n: 11, log: [] })
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("d1")).version, 3)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.prune({ olderThan }) removes only old finished runs and returns the count", () =>
    Effect.gen(function*() {
      const counts = { incs: 0, reviews: 0 }
      yield* Durable.run(counter(1), { id: "old-done", stores: [empty()] })
      yield* Durable.run(incThenReview(counts), { id: "old-waiting", stores: [empty()] })
      yield* Durable.run(incThenReview(counts), { id: "old-interrupted", stores: [empty()] })
      yield* Durable.interrupt("old-interrupted")
      yield* TestClock.adjust("2 days")
      yield* Durable.run(counter(1), { id: "new-done", stores: [empty()] })
      const removed = yield* Durable.prune({ olderThan: "1 day" })
      assert.strictEqual(removed, 2)
      const left = (yield* Durable.list()).runs.map((r) => r.id).sort()
      assert.deepStrictEqual(left, ["new-done", "old-waiting"])
      assert.strictEqual(yield* Durable.prune({ olderThan: "1 day" }), 0)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable run and resume of ended runs", () => {
  it.effect("a done run's Durable.run returns Done and runs nothing", () =>
    Effect.gen(function*() {
      const counts = { incs: 0 }
      const flow = counter(3, counts)
      const o1 = yield* Durable.run(flow, { id: "e1", stores: [empty()] })
      assert.deepStrictEqual(o1, { _tag: "Done", action: "default", steps: 3 })
      const version = Option.getOrThrow(yield* Durable.get("e1")).version
      const o2 = yield* Durable.run(flow, { id: "e1", stores: [Store.initial({ n: 50, log: [] })] })
      assert.deepStrictEqual(o2, { _tag: "Done", action: "default", steps: 3 })
      assert.strictEqual(counts.incs, 3)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("e1")).version, version)
      assert.deepStrictEqual(yield* Durable.state("e1", Store), { n: 3, log: [] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a failed run: run fails with RunFailed and runs nothing; resume re-runs the failed step only", () =>
    Effect.gen(function*() {
      let broken = true
      let incs = 0
      let attempts = 0
      const inc = Node.make({
        name: "inc",
        exec: () =>
          Effect.sync(() => {
            incs++
          }),
        post: () => Store.update((s) => ({ ...s, n: s.n + 1 }))
      })
      const flaky = Node.make({
        name: "flaky",
        exec: () =>
          Effect.suspend(() => {
            attempts++
            return broken ? Effect.fail(new Boom({ attempt: attempts })) : Effect.succeed("fine")
          }),
        post: (_, x) => Store.update((s) => ({ ...s, log: [...s.log, x] }))
      })
      const flow = Flow.make({ name: "b", start: inc }).pipe(Flow.next(inc, flaky))
      const first = yield* failure(Durable.run(flow, { id: "b1", stores: [empty()] }))
      assert.deepStrictEqual(fields(first), { _tag: "Boom", attempt: 1 })
      const s = Option.getOrThrow(yield* Durable.get("b1"))
      assert.strictEqual(s.status, "failed")
      assert.isString(s.failure)

      const again = yield* failure(Durable.run(flow, { id: "b1", stores: [empty()] }))
      assert.strictEqual(again._tag, "RunFailed")
      if (again._tag === "RunFailed") {
        assert.strictEqual(again.id, "b1")
        assert.strictEqual(again.failure, s.failure)
      }
      assert.deepStrictEqual([incs, attempts], [1, 1])

      broken = false
      const resumed = yield* Durable.resume(flow, { id: "b1", stores: [Store] })
      assert.deepStrictEqual(resumed, { _tag: "Done", action: "default", steps: 2 })
      assert.deepStrictEqual([incs, attempts], [1, 2])
      assert.deepStrictEqual(yield* Durable.state("b1", Store), { n: 1, log: ["fine"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.resume of a missing run fails with RunNotFound", () =>
    Effect.gen(function*() {
      const error = yield* failure(Durable.resume(counter(1), { id: "ghost", stores: [Store] }))
      assert.deepStrictEqual(fields(error), { _tag: "RunNotFound", id: "ghost" })
      assert.isTrue(Option.isNone(yield* Durable.get("ghost")))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.StepKey is readable in exec and equal across the re-run of the step in flight", () =>
    Effect.gen(function*() {
      const keys: Array<string | undefined> = []
      const review = Node.make({
        name: "review",
        exec: () =>
          Effect.flatMap(Durable.StepKey, (key) => {
            keys.push(key)
            return Approval.ask("Publish?")
          })
      })
      const flow = Flow.make({ name: "f", start: review })
      yield* Durable.run(flow, { id: "sk", stores: [empty()] })
      yield* Durable.answer({ id: "sk", input: Approval, value: { ok: true } })
      yield* Durable.run(flow, { id: "sk", stores: [empty()] })
      assert.deepStrictEqual(keys, ["sk:f/review#1", "sk:f/review#1"])
      assert.strictEqual(yield* Durable.StepKey, undefined)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable.events checks its options like Durable.run", () => {
  it("a store not given as Store.initial(state) throws a TypeError naming the run", () => {
    const flow = Flow.make({ name: "f", start: Node.make({ name: "n" }) })
    assert.throws(
      () => Durable.events(flow, { id: "bad", stores: [Store as never] }),
      /Durable\.events "bad": list stores as Store\.initial\(state\)/
    )
    assert.throws(() => Durable.events(flow, { id: "", stores: [] }), /Durable\.events: invalid run id "": it is empty/)
  })
})
