/**
 * `Durable.worker` in one process, on the TestClock and the memory checkpointer: queued runs, answered inputs, due
 * timers, runs left by an owner that stopped, at most `concurrency` at once, graceful shutdown, events and spans, the
 * checks at the call. Real processes (SIGKILL, restarts, an answer from another process) are in workerKill.test.ts;
 * cron schedules in schedule.test.ts; child runs in children.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { assertCheckpointError, failure, suspended } from "../support/durable.ts"
import { recording } from "../support/tracing.ts"
import { eventually, statusOf, until } from "../support/worker.ts"

const State = Schema.Struct({ n: Schema.Number, log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("test/worker/Store", { schema: State }) {}
const empty = () => Store.initial({ n: 0, log: [] })
const note = (entry: string) => Store.update((s) => ({ ...s, n: s.n + 1, log: [...s.log, entry] }))

/** Two steps, each noting its name (and, with `work`, doing it first). */
const twoSteps = (name: string, work: (step: string) => Effect.Effect<void, never, any> = () => Effect.void) => {
  const a = Node.make({ name: "a", exec: () => work("a"), post: () => note("a") })
  const b = Node.make({ name: "b", exec: () => work("b"), post: () => note("b") })
  return Flow.make({ name, start: a }).pipe(Flow.next(a, b))
}

const Approval = Durable.input("worker-approval", { answer: Schema.Boolean })

describe("Durable.worker", () => {
  it.effect("runs a queued run (Durable.start); start is idempotent by id and refuses another flow on an existing id", () =>
    Effect.gen(function*() {
      const flow = twoSteps("queued")
      yield* Effect.forkChild(Durable.worker({ flows: [Durable.register(flow, { stores: [Store] })] }))
      const started = yield* Durable.start(flow, { id: "q1", stores: [empty()] })
      assert.deepStrictEqual(started, { id: "q1", created: true })
      const queued = Option.getOrThrow(yield* Durable.get("q1"))
      assert.deepStrictEqual([queued.status, queued.version, queued.steps, queued.lease], ["running", 1, 0, undefined])
      assert.deepStrictEqual(yield* Durable.start(flow, { id: "q1", stores: [empty()] }), { id: "q1", created: false })
      yield* TestClock.adjust("1 second")
      yield* until("q1", "done")
      assert.deepStrictEqual((yield* Durable.state("q1", Store)).log, ["a", "b"])
      // The flow-name check: another flow on an existing id is refused, by start, run and a worker alike.
      const other = twoSteps("other")
      assertCheckpointError(yield* failure(Durable.start(other, { id: "q1", stores: [empty()] })), "flow mismatch")
      assertCheckpointError(yield* failure(Durable.run(other, { id: "q1", stores: [empty()] })), "flow mismatch")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("an answer makes the worker continue the run within one poll interval", () =>
    Effect.gen(function*() {
      const ask = Node.make({ name: "ask", exec: () => Approval.ask(), post: (_, ok) => note(`ok=${ok}`) })
      const flow = Flow.make({ name: "answered", start: ask })
      yield* Effect.forkChild(
        Durable.worker({ flows: [Durable.register(flow, { stores: [Store] })], poll: "5 seconds" })
      )
      suspended(yield* Durable.run(flow, { id: "w1", stores: [empty()] }))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* statusOf("w1"), "suspended", "nothing to do before the answer")
      yield* Durable.answer({ id: "w1", input: Approval, value: true })
      yield* TestClock.adjust("5 seconds")
      yield* until("w1", "done")
      assert.deepStrictEqual((yield* Durable.state("w1", Store)).log, ["ok=true"])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a start, an answer or a child made in the worker's own process moves at once, not at the next poll", () =>
    Effect.gen(function*() {
      // The clock never moves in this test and the poll is a day: only the wake-up of a write made here moves a run.
      const ask = Node.make({ name: "ask", exec: () => Approval.ask(), post: (_, ok) => note(`ok=${ok}`) })
      const asking = Flow.make({ name: "asking", start: ask })
      const child = twoSteps("child-steps")
      const spawn = Node.make({
        name: "spawn",
        exec: () => Durable.child(child, { id: "wk-child", stores: [empty()] }),
        post: (_, outcome) => note(`child ${outcome._tag}`)
      })
      const parent = Flow.make({ name: "spawning", start: spawn })
      yield* Effect.forkChild(Durable.worker({
        flows: [
          Durable.register(asking, { stores: [Store] }),
          Durable.register(child, { stores: [Store] }),
          Durable.register(parent, { stores: [Store] })
        ],
        poll: "1 day"
      }))
      // Let the worker make its first (empty) poll and go to sleep before anything is written.
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      yield* Durable.start(asking, { id: "wk-ask", stores: [empty()] })
      yield* until("wk-ask", "suspended")
      yield* Durable.answer({ id: "wk-ask", input: Approval, value: true })
      yield* until("wk-ask", "done")
      assert.deepStrictEqual((yield* Durable.state("wk-ask", Store)).log, ["ok=true"])
      // The parent queues its child (a worker of this process takes it at once) and is woken when the child ends.
      yield* Durable.start(parent, { id: "wk-parent", stores: [empty()] })
      yield* until("wk-parent", "done")
      assert.deepStrictEqual((yield* Durable.state("wk-parent", Store)).log, ["child Done"])
      assert.deepStrictEqual((yield* Durable.state("wk-child", Store)).log, ["a", "b"])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a 3-day sleep wakes on the worker exactly when due, not before (the worker sleeps until the next timer)", () =>
    Effect.gen(function*() {
      const nap = Node.make({
        name: "nap",
        exec: () => Effect.andThen(Durable.sleep("3 days"), Clock.currentTimeMillis),
        post: (_, at) => note(`woke at ${at}`)
      })
      const flow = Flow.make({ name: "long-nap", start: nap })
      // A poll far longer than the sleep: only the timer's own time wakes the worker.
      yield* Effect.forkChild(Durable.worker({ flows: [Durable.register(flow, { stores: [Store] })], poll: "30 days" }))
      yield* Durable.start(flow, { id: "nap1", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* until("nap1", "sleeping")
      const until_ = Option.getOrThrow(yield* Durable.get("nap1")).waiting[0]!.until!
      yield* TestClock.adjust(until_ - (yield* Clock.currentTimeMillis) - 1)
      assert.strictEqual(yield* statusOf("nap1"), "sleeping", "1 ms before its time")
      yield* TestClock.adjust(1)
      yield* until("nap1", "done")
      assert.deepStrictEqual((yield* Durable.state("nap1", Store)).log, [`woke at ${until_}`])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("continues at most `concurrency` runs at once", () =>
    Effect.gen(function*() {
      let running = 0
      let most = 0
      const flow = twoSteps("busy", () =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            most = Math.max(most, running)
          }),
          () => Effect.sleep("1 second"),
          () => Effect.sync(() => running--)
        ))
      yield* Effect.forkChild(
        Durable.worker({ flows: [Durable.register(flow, { stores: [Store] })], concurrency: 2, poll: "1 minute" })
      )
      for (let i = 0; i < 5; i++) yield* Durable.start(flow, { id: `c${i}`, stores: [empty()] })
      for (let i = 0; i < 12; i++) yield* TestClock.adjust("1 second")
      for (let i = 0; i < 5; i++) yield* until(`c${i}`, "done")
      assert.strictEqual(most, 2)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("graceful shutdown releases the lease: another worker continues the run at once (its step in flight again)", () =>
    Effect.gen(function*() {
      let execs = 0
      const flow = twoSteps(
        "shutdown",
        (step) => step === "a" ? Effect.andThen(Effect.sync(() => execs++), Effect.sleep("10 seconds")) : Effect.void
      )
      const hosted = Durable.register(flow, { stores: [Store] })
      const first = yield* Effect.forkChild(Durable.worker({ flows: [hosted], name: "first", poll: "1 hour" }))
      yield* Durable.start(flow, { id: "g1", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* eventually(
        "the first worker holds g1",
        Effect.map(Durable.get("g1"), (s) => Option.isSome(s) && s.value.lease?.owner.startsWith("first#") === true)
      )
      yield* Fiber.interrupt(first)
      const left = Option.getOrThrow(yield* Durable.get("g1"))
      assert.deepStrictEqual([left.status, left.lease], ["running", undefined])
      yield* Effect.forkChild(Durable.worker({ flows: [hosted], name: "second", poll: "1 hour" }))
      yield* eventually(
        "the second worker holds g1",
        Effect.map(Durable.get("g1"), (s) => Option.isSome(s) && s.value.lease?.owner.startsWith("second#") === true)
      )
      yield* TestClock.adjust("10 seconds")
      yield* until("g1", "done")
      assert.strictEqual(execs, 2)
      assert.deepStrictEqual((yield* Durable.state("g1", Store)).log, ["a", "b"])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("hosts runs started with Durable.run: one interrupted midway, one whose owner's lease expired", () =>
    Effect.gen(function*() {
      const flow = twoSteps("hosted", (step) => step === "a" ? Effect.sleep("1 minute") : Effect.void)
      const caller = yield* Effect.forkChild(Durable.run(flow, { id: "h1", stores: [empty()] }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(caller)
      // A crashed owner: "running", its lease live for 30 more seconds.
      yield* Durable.start(flow, { id: "h2", stores: [empty()] })
      const cp = yield* Checkpointer.Checkpointer
      const now = yield* Clock.currentTimeMillis
      yield* cp.claim("h2", { owner: "crashed", now, expiresAt: now + 30_000, force: false })
      yield* Effect.forkChild(
        Durable.worker({ flows: [Durable.register(flow, { stores: [Store] })], poll: "1 second" })
      )
      yield* TestClock.adjust("61 seconds")
      yield* until("h1", "done")
      assert.notStrictEqual(yield* statusOf("h2"), "done", "not before its lease expired")
      yield* TestClock.adjust("1 minute")
      yield* until("h2", "done")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("reports Claimed, Continued, Released (and the runs' own events with observe); spans", () =>
    Effect.gen(function*() {
      const flow = twoSteps("reported")
      const events: Array<Durable.WorkerEvent> = []
      const { spans, tracer } = recording()
      yield* Effect.forkChild(
        Durable.worker({
          flows: [Durable.register(flow, { stores: [Store] })],
          name: "reporter",
          onEvent: (e) => events.push(e),
          observe: true
        }).pipe(Effect.withTracer(tracer))
      )
      yield* Durable.start(flow, { id: "e1", stores: [empty()] })
      yield* TestClock.adjust("1 second")
      yield* until("e1", "done")
      yield* eventually("Released", Effect.sync(() => events.some((e) => e._tag === "Released")))
      const own = events.filter((e) => e._tag !== "RunEvent")
      assert.deepStrictEqual(own.map((e) => [e._tag, e.worker, e.id]), [
        ["Claimed", "reporter", "e1"],
        ["Released", "reporter", "e1"],
        ["Continued", "reporter", "e1"]
      ])
      const continued = own[2] as Extract<Durable.WorkerEvent, { _tag: "Continued" }>
      assert.deepStrictEqual(continued.outcome, { _tag: "Done", action: "default", steps: 2 })
      const runEvents = events.flatMap((e) => e._tag === "RunEvent" ? [e.event._tag] : [])
      assert.includeMembers(runEvents, ["NodeStarted", "NodeFinished", "CheckpointSaved"])
      const names = spans.map((s) => s.name)
      assert.includeMembers(names, ["durable.worker.poll", "durable.worker.run", "durable.claim", "durable.save"])
      const runSpan = spans.find((s) => s.name === "durable.worker.run")!
      assert.strictEqual(runSpan.attributes.get("pocketflow.run"), "e1")
      assert.strictEqual(runSpan.attributes.get("pocketflow.worker"), "reporter")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("layerWorker: the worker runs while the layer lives; releasing it shuts it down", () =>
    Effect.gen(function*() {
      const flow = twoSteps("layered", (step) => step === "b" ? Effect.sleep("1 hour") : Effect.void)
      const cp = yield* Checkpointer.Checkpointer
      const shared = Layer.succeed(Checkpointer.Checkpointer, cp)
      yield* Durable.start(flow, { id: "l1", stores: [empty()] })
      const fiber = yield* Effect.forkChild(
        Effect.never.pipe(
          Effect.provide(Durable.layerWorker({ flows: [Durable.register(flow, { stores: [Store] })] })),
          Effect.provide(shared)
        )
      )
      yield* eventually(
        "l1 is held, at its second step",
        Effect.map(Durable.get("l1"), (s) => Option.isSome(s) && s.value.lease !== undefined && s.value.steps === 1)
      )
      yield* Fiber.interrupt(fiber)
      const left = Option.getOrThrow(yield* Durable.get("l1"))
      assert.deepStrictEqual([left.status, left.lease, left.steps], ["running", undefined, 1])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it("refuses at the call: two different flows of one name, a bad option, something not registered", () => {
    const one = twoSteps("same")
    const two = twoSteps("same")
    assert.throws(
      () =>
        Durable.worker({
          flows: [Durable.register(one, { stores: [Store] }), Durable.register(two, { stores: [Store] })]
        }),
      /two different flows are named "same"/
    )
    // The same flow twice is one flow.
    Durable.worker({ flows: [Durable.register(one, { stores: [Store] }), Durable.register(one, { stores: [Store] })] })
    assert.throws(
      () => Durable.worker({ flows: [Durable.register(one, { stores: [Store] })], concurrency: 0 }),
      /concurrency/
    )
    assert.throws(
      () => Durable.worker({ flows: [Durable.register(one, { stores: [Store] })], poll: "0 millis" }),
      /poll/
    )
    assert.throws(() => Durable.worker({ flows: [one as never] }), /Durable.register/)
  })
})
