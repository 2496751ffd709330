/**
 * The durable walk: a checkpoint after every completed step at every nesting level, and a resumed run that never runs
 * a finished step again. A "crash" here interrupts the run's fiber while a step is in flight (the real `kill -9` tests
 * are in test/Durable/kill.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { assertCheckpointError, crashWhen } from "../support/durable.ts"

const State = Schema.Struct({ log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("walk/Store", { schema: State }) {}
const start = () => Store.initial({ log: [] })

/** Counts exec runs per name; `block` makes the first run of a name wait forever (a step in flight at a crash). */
const tracker = () => {
  const counts = new Map<string, number>()
  const blocked = new Set<string>()
  return {
    counts,
    count: (name: string) => counts.get(name) ?? 0,
    hit: (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1),
    block: (name: string) => blocked.add(name),
    unblock: (name: string) => blocked.delete(name),
    isBlocked: (name: string) => blocked.has(name)
  }
}
type Tracker = ReturnType<typeof tracker>

/** A node whose exec counts itself and, when blocked, signals `started` and never ends; its post logs its name. */
const step = (t: Tracker, name: string, started?: Deferred.Deferred<void>) =>
  Node.make({
    name,
    exec: () =>
      Effect.suspend(() => {
        t.hit(name)
        if (t.isBlocked(name)) {
          return Effect.andThen(
            started === undefined ? Effect.void : Deferred.succeed(started, undefined),
            Effect.never
          )
        }
        return Effect.void
      }),
    post: () => Store.update((s) => ({ log: [...s.log, name] }))
  })

const memory = Checkpointer.layerMemory

describe("durable walk", () => {
  it.effect("a checkpoint after every step; resuming re-runs only the step in flight", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => step(t, n, started))
      const flow = Flow.make({ name: "abcd", start: a! }).pipe(Flow.next(a!, b!), Flow.next(b!, c!), Flow.next(c!, d!))
      t.block("c")
      yield* crashWhen(Durable.run(flow, { id: "r", stores: [start()] }), started)
      const crashed = yield* Durable.get("r")
      assert.strictEqual(crashed._tag, "Some")
      if (crashed._tag === "Some") {
        // claim (v1) + a + b
        assert.strictEqual(crashed.value.version, 3)
        assert.strictEqual(crashed.value.status, "running")
        assert.deepStrictEqual(crashed.value.stores["walk/Store"], { log: ["a", "b"] })
        assert.deepStrictEqual(crashed.value.position, { at: "c", kind: "node", steps: 2, visits: { a: 1, b: 1 } })
      }
      t.unblock("c")
      const outcome = yield* Durable.run(flow, { id: "r", stores: [start()] })
      assert.deepStrictEqual(outcome, { _tag: "Done", action: "default", steps: 4 })
      assert.deepStrictEqual(Object.fromEntries(t.counts), { a: 1, b: 1, c: 2, d: 1 })
      assert.deepStrictEqual(yield* Durable.state("r", Store), { log: ["a", "b", "c", "d"] })
      const versions = (yield* Durable.history("r", { limit: 100 })).snapshots.map((s) => s.status)
      // v1 claim, a, b | v4 claim, c, d, flow end (done)
      assert.deepStrictEqual(versions, ["running", "running", "running", "running", "running", "running", "done"])
    }).pipe(Effect.provide(memory)))

  it.effect("a nested flow resumes inside, not from its start", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const [x, i1, i2, i3, y] = ["x", "i1", "i2", "i3", "y"].map((n) => step(t, n, started))
      const inner = Flow.make({ name: "inner", start: i1! }).pipe(Flow.next(i1!, i2!), Flow.next(i2!, i3!))
      const outer = Flow.make({ name: "outer", start: x! }).pipe(Flow.next(x!, inner), Flow.next(inner, y!))
      t.block("i3")
      yield* crashWhen(Durable.run(outer, { id: "n", stores: [start()] }), started)
      t.unblock("i3")
      const outcome = yield* Durable.run(outer, { id: "n", stores: [start()] })
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(Object.fromEntries(t.counts), { x: 1, i1: 1, i2: 1, i3: 2, y: 1 })
      assert.deepStrictEqual(yield* Durable.state("n", Store), { log: ["x", "i1", "i2", "i3", "y"] })
    }).pipe(Effect.provide(memory)))

  it.effect("Flow.batch: finished runs are not re-run; the run in flight resumes inside its flow", () =>
    Effect.gen(function*() {
      class Item extends Context.Service<Item, { readonly id: number }>()("walk/Item") {}
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const part = (label: string) =>
        Node.make({
          name: label,
          prep: Effect.service(Item),
          exec: (item) =>
            Effect.suspend(() => {
              const name = `${label}${item.id}`
              t.hit(name)
              return t.isBlocked(name)
                ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
                : Effect.void
            }),
          post: (item) => Store.update((s) => ({ log: [...s.log, `${label}${item.id}`] }))
        })
      const p1 = part("p")
      const p2 = part("q")
      const perItem = Flow.make({ name: "per-item", start: p1 }).pipe(Flow.next(p1, p2))
      const all = Flow.batch({
        name: "all",
        flow: perItem,
        params: Item,
        prep: Effect.succeed([{ id: 0 }, { id: 1 }, { id: 2 }, { id: 3 }])
      })
      const flow = Flow.make({ name: "batch", start: all })
      t.block("q2")
      yield* crashWhen(Durable.run(flow, { id: "b", stores: [start()] }), started)
      t.unblock("q2")
      const outcome = yield* Durable.run(flow, { id: "b", stores: [start()] })
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(Object.fromEntries(t.counts), {
        p0: 1,
        q0: 1,
        p1: 1,
        q1: 1,
        p2: 1,
        q2: 2,
        p3: 1,
        q3: 1
      })
      assert.deepStrictEqual((yield* Durable.state("b", Store)).log, ["p0", "q0", "p1", "q1", "p2", "q2", "p3", "q3"])
    }).pipe(Effect.provide(memory)))

  it.effect("Node.batch with resultSchema: finished items are saved one record each and not re-run", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const cp = yield* Checkpointer.makeMemory()
      const squares = Node.batch({
        name: "squares",
        prep: Effect.succeed([1, 2, 3, 4, 5]),
        exec: (n: number) =>
          Effect.suspend(() => {
            t.hit(`item${n}`)
            return t.isBlocked(`item${n}`)
              ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
              : Effect.succeed(n * n)
          }),
        resultSchema: Schema.Number,
        post: (_items, results) => Store.update(() => ({ log: results.map(String) }))
      })
      const flow = Flow.make({ name: "sq", start: squares })
      t.block("item4")
      const layer = Layer.succeed(Checkpointer.Checkpointer, cp)
      yield* crashWhen(Effect.provide(Durable.run(flow, { id: "s", stores: [start()] }), layer), started)
      // Three items saved as item records; the snapshot was written twice (the claim, the batch's item
      // fingerprint), not once per item.
      const saved = yield* cp.items("s", "sq/squares#1")
      assert.deepStrictEqual(Array.from(saved.entries()).sort(), [[0, 1], [1, 4], [2, 9]])
      assert.strictEqual((yield* cp.load("s"))?.version, 2)
      t.unblock("item4")
      const outcome = yield* Effect.provide(Durable.run(flow, { id: "s", stores: [start()] }), layer)
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(Object.fromEntries(t.counts), { item1: 1, item2: 1, item3: 1, item4: 2, item5: 1 })
      assert.deepStrictEqual((yield* Effect.provide(Durable.state("s", Store), layer)).log, ["1", "4", "9", "16", "25"])
    }))

  it.effect("batch items that changed on resume fail with CheckpointError (batch items changed)", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      let items = [1, 2, 3]
      let block = true
      const batch = Node.batch({
        name: "each",
        prep: Effect.sync(() => items),
        exec: (n: number) =>
          n === 2 && block ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never) : Effect.succeed(n),
        resultSchema: Schema.Number
      })
      const flow = Flow.make({ name: "changing", start: batch })
      yield* crashWhen(Durable.run(flow, { id: "c", stores: [start()] }), started)
      block = false
      items = [1, 5, 3]
      const error = yield* Effect.flip(Durable.run(flow, { id: "c", stores: [start()] }))
      assertCheckpointError(error, "batch items changed", "changing/each")
    }).pipe(Effect.provide(memory)))

  it.effect("maxSteps counts the steps restored from the checkpoint", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      let visits = 0
      const loop = Node.make({
        name: "loop",
        exec: () =>
          Effect.suspend(() => {
            visits++
            t.hit("loop")
            return visits === 4 ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never) : Effect.void
          }),
        post: () => Node.action("again")
      })
      const flow = Flow.make({ name: "bounded", start: loop, maxSteps: 5 }).pipe(Flow.on(loop, "again", loop))
      yield* crashWhen(Durable.run(flow, { id: "m", stores: [start()] }), started)
      const error = yield* Effect.flip(Durable.run(flow, { id: "m", stores: [start()] }))
      assert.strictEqual(error._tag, "MaxStepsExceeded")
      // 3 finished before the crash, the 4th re-ran, then the 5th: the 6th would exceed.
      assert.strictEqual(t.count("loop"), 6)
      const snapshot = yield* Durable.get("m")
      assert.strictEqual(snapshot._tag === "Some" && snapshot.value.status, "failed")
    }).pipe(Effect.provide(memory)))

  it.effect("Durable.StepKey names the run, the step and its visit, and is the same when the step runs again", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const keys: Array<string | undefined> = []
      let first = true
      const publish = Node.make({
        name: "publish",
        exec: () =>
          Effect.flatMap(Durable.StepKey, (key) => {
            keys.push(key)
            if (first) {
              first = false
              return Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
            }
            return Effect.void
          })
      })
      const flow = Flow.make({ name: "pub", start: publish })
      yield* crashWhen(Durable.run(flow, { id: "k", stores: [] }), started)
      yield* Durable.run(flow, { id: "k", stores: [] })
      assert.deepStrictEqual(keys, ["k:pub/publish#1", "k:pub/publish#1"])
      assert.isUndefined(yield* Durable.StepKey)
    }).pipe(Effect.provide(memory)))

  it.effect("deploys: a changed flow continues while the saved position's nodes exist; otherwise wiring mismatch", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const [a, b, c] = ["a", "b", "c"].map((n) => step(t, n, started))
      const v1 = Flow.make({ name: "deploy", start: a! }).pipe(Flow.next(a!, b!))
      t.block("b")
      yield* crashWhen(Durable.run(v1, { id: "d1", stores: [start()] }), started)
      // A second run, crashed at b too: the blocked exec signals through its own deferred.
      const started2 = yield* Deferred.make<void>()
      const b2 = Node.make({
        name: "b",
        exec: () => Effect.andThen(Deferred.succeed(started2, undefined), Effect.never),
        post: () => Store.update((s) => ({ log: [...s.log, "b"] }))
      })
      yield* crashWhen(
        Durable.run(Flow.make({ name: "deploy", start: a! }).pipe(Flow.next(a!, b2)), {
          id: "d2",
          stores: [start()]
        }),
        started2
      )
      t.unblock("b")
      // v2 keeps a and b and adds c after b: the run continues into the new node.
      const v2 = Flow.make({ name: "deploy", start: a! }).pipe(Flow.next(a!, b!), Flow.next(b!, c!))
      const outcome = yield* Durable.run(v2, { id: "d1", stores: [start()] })
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual((yield* Durable.state("d1", Store)).log, ["a", "b", "c"])
      // v3 has no node b: the run saved at b cannot continue.
      const v3 = Flow.make({ name: "deploy", start: a! }).pipe(Flow.next(a!, c!))
      const error = yield* Effect.flip(Durable.run(v3, { id: "d2", stores: [start()] }))
      assertCheckpointError(error, "wiring mismatch", "deploy/b (node)")
    }).pipe(Effect.provide(memory)))

  it.effect("a store whose saved state no longer decodes fails with CheckpointError naming the store", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const t = tracker()
      const [a, b] = ["a", "b"].map((n) => step(t, n, started))
      const flow = Flow.make({ name: "schema", start: a! }).pipe(Flow.next(a!, b!))
      t.block("b")
      yield* crashWhen(Durable.run(flow, { id: "sc", stores: [start()] }), started)
      class Changed extends Shared.Service<Changed>()("walk/Store", {
        schema: Schema.Struct({ log: Schema.Array(Schema.Number) })
      }) {}
      // The next deploy's flow reads the same store key with the new schema.
      const deployed = flow as unknown as Flow.Flow<"default", never, Changed>
      const error = yield* Effect.flip(Durable.resume(deployed, { id: "sc", stores: [Changed] }))
      assertCheckpointError(error, "store decode failed", "walk/Store")
    }).pipe(Effect.provide(memory)))

  it.effect("leases: a live owner makes another run fail with RunLocked; takeover forces it; the old owner stops", () =>
    Effect.gen(function*() {
      const t = tracker()
      const started = yield* Deferred.make<void>()
      const [a, b] = ["a", "b"].map((n) => step(t, n, started))
      const flow = Flow.make({ name: "lease", start: a! }).pipe(Flow.next(a!, b!))
      t.block("b")
      const first = yield* Effect.forkChild(Durable.run(flow, { id: "l", stores: [start()], lease: "30 seconds" }))
      yield* Deferred.await(started)
      const locked = yield* Effect.flip(Durable.run(flow, { id: "l", stores: [start()] }))
      assert.strictEqual(locked._tag, "RunLocked")
      t.unblock("b")
      const second = yield* Durable.run(flow, { id: "l", stores: [start()], takeover: "force" })
      assert.strictEqual(second._tag, "Done")
      // The first owner learns at its next heartbeat (a third of the lease) and fails without writing.
      const versionAfterSecond = (yield* Durable.get("l")).pipe((o) => o._tag === "Some" ? o.value.version : -1)
      yield* TestClock.adjust("11 seconds")
      const exit = yield* Fiber.await(first)
      assert.strictEqual(exit._tag, "Failure")
      if (exit._tag === "Failure") assert.include(String(exit.cause), "RunLocked")
      const versionAfterFirst = (yield* Durable.get("l")).pipe((o) => o._tag === "Some" ? o.value.version : -1)
      assert.strictEqual(versionAfterFirst, versionAfterSecond)
      assert.deepStrictEqual((yield* Durable.state("l", Store)).log, ["a", "b"])
    }).pipe(Effect.provide(memory)))

  it.effect("leases: an owner that lost its lease stops at its next save, with RunLocked naming the new owner", () =>
    Effect.gen(function*() {
      const gateA = yield* Deferred.make<void>()
      const gateB = yield* Deferred.make<void>()
      const inA = yield* Deferred.make<void>()
      const inB = yield* Deferred.make<void>()
      let calls = 0
      // The first run of b waits at gate A; the second (the new owner's) at gate B.
      const b = Node.make({
        name: "b",
        exec: () =>
          Effect.suspend(() => {
            calls++
            return calls === 1
              ? Effect.andThen(Deferred.succeed(inA, undefined), Deferred.await(gateA))
              : Effect.andThen(Deferred.succeed(inB, undefined), Deferred.await(gateB))
          }),
        post: () => Store.update((s) => ({ log: [...s.log, "b"] }))
      })
      const a = Node.make({ name: "a", post: () => Store.update((s) => ({ log: [...s.log, "a"] })) })
      const flow = Flow.make({ name: "lost", start: a }).pipe(Flow.next(a, b))
      const first = yield* Effect.forkChild(Durable.run(flow, { id: "lost", stores: [start()] }))
      yield* Deferred.await(inA)
      const second = yield* Effect.forkChild(Durable.run(flow, { id: "lost", stores: [start()], takeover: "force" }))
      yield* Deferred.await(inB)
      // The old owner's step ends now; its save finds the run moved on and the lease taken.
      yield* Deferred.succeed(gateA, undefined)
      const exit = yield* Fiber.await(first)
      assert.strictEqual(exit._tag, "Failure")
      if (exit._tag === "Failure") {
        const error = exit.cause.reasons.find((r) => r._tag === "Fail")
        assert.strictEqual(error?._tag === "Fail" && (error.error as { _tag: string })._tag, "RunLocked")
        assert.match(String((error as { error: { owner: string } }).error.owner), /^owner-/)
      }
      yield* Deferred.succeed(gateB, undefined)
      const outcome = yield* Fiber.join(second)
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("lost", Store), { log: ["a", "b"] })
    }).pipe(Effect.provide(memory)))

  it.effect("polling a suspended run with no new answer runs nothing and saves nothing", () =>
    Effect.gen(function*() {
      const Ok = Durable.input("ok", { answer: Schema.Boolean })
      let preps = 0
      const both = Node.make({
        name: "both",
        prep: Effect.sync(() => ++preps),
        exec: () => Effect.zip(Ok.ask(), Ok.ask()),
        post: () => Store.update((s) => ({ log: [...s.log, "both"] }))
      })
      const flow = Flow.make({ name: "poll", start: both })
      const version = Effect.map(Durable.get("p"), (o) => o._tag === "Some" ? o.value.version : -1)
      assert.strictEqual((yield* Durable.run(flow, { id: "p", stores: [start()] }))._tag, "Suspended")
      const suspendedAt = yield* version
      for (let i = 0; i < 3; i++) {
        assert.strictEqual((yield* Durable.run(flow, { id: "p", stores: [start()] }))._tag, "Suspended")
      }
      assert.strictEqual(preps, 1)
      assert.strictEqual(yield* version, suspendedAt)
      // The first answer moves the run on to the second question; polls after that are quiet again.
      yield* Durable.answer({ id: "p", input: Ok, value: true })
      assert.strictEqual((yield* Durable.run(flow, { id: "p", stores: [start()] }))._tag, "Suspended")
      assert.strictEqual(preps, 2)
      const secondAt = yield* version
      yield* Durable.run(flow, { id: "p", stores: [start()] })
      assert.strictEqual(preps, 2)
      assert.strictEqual(yield* version, secondAt)
      yield* Durable.answer({ id: "p", input: Ok, value: false })
      assert.strictEqual((yield* Durable.run(flow, { id: "p", stores: [start()] }))._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("p", Store), { log: ["both"] })
    }).pipe(Effect.provide(memory)))

  it.effect("an answer that arrives while the run suspends continues the run at once", () =>
    Effect.gen(function*() {
      const Ok = Durable.input("ok", { answer: Schema.Boolean })
      const base = yield* Checkpointer.makeMemory()
      // A checkpointer that lets an answer in right after the run saved its suspension, before it looks again.
      const racing: Checkpointer.Service = {
        ...base,
        save: (snapshot) =>
          Effect.tap(
            base.save(snapshot),
            snapshot.status === "suspended" && snapshot.waiting.length > 0
              ? Effect.asVoid(base.putAnswer(snapshot.id, {
                key: snapshot.waiting[0]!.key,
                value: true,
                prompt: null,
                answeredAt: 0
              }))
              : Effect.void
          )
      }
      const ask = Node.make({
        name: "ask",
        exec: () => Ok.ask(),
        post: (_, ok) => Store.update(() => ({ log: [String(ok)] }))
      })
      const outcome = yield* Durable.run(Flow.make({ name: "race", start: ask }), { id: "race", stores: [start()] })
        .pipe(
          Effect.provide(Layer.succeed(Checkpointer.Checkpointer, racing))
        )
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(
        yield* Durable.state("race", Store).pipe(
          Effect.provide(Layer.succeed(Checkpointer.Checkpointer, racing))
        ),
        { log: ["true"] }
      )
    }))
})
