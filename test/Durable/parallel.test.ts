/**
 * `Flow.parallel` under `Durable.run`: each finished branch is recorded and never runs again, branches that `ask` wait
 * side by side with their own keys, and a branch's post is saved together with the record of its completion.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"
import { crashWhen, suspended } from "../support/durable.ts"

const State = Schema.Struct({ log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("parallel/Store", { schema: State }) {}
const start = () => Store.initial({ log: [] })
const note = (entry: string) => Store.update((s) => ({ log: [...s.log, entry] }))

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })

const memory = Checkpointer.layerMemory

describe("durable Flow.parallel", () => {
  it.effect("a finished branch is not re-run after a crash; the branch in flight runs again", () =>
    Effect.gen(function*() {
      const counts: Record<string, number> = {}
      const started = yield* Deferred.make<void>()
      let block = true
      const branch = (name: string, blocking: boolean) =>
        Node.make({
          name,
          exec: () =>
            Effect.suspend(() => {
              counts[name] = (counts[name] ?? 0) + 1
              return blocking && block
                ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
                : Effect.void
            }),
          post: () => note(name).pipe(Node.as(`${name}-done`))
        })
      const a = branch("a", false)
      const b = branch("b", true)
      const par = Flow.parallel({
        name: "par",
        branches: [a, b],
        concurrency: 1,
        post: (actions) => note(actions.join("+"))
      })
      const flow = Flow.make({ name: "f", start: par })
      yield* crashWhen(Durable.run(flow, { id: "p1", stores: [start()] }), started)
      const crashed = yield* Durable.get("p1")
      assert.strictEqual(crashed._tag, "Some")
      if (crashed._tag === "Some") {
        assert.deepStrictEqual(crashed.value.stores["parallel/Store"], { log: ["a"] })
        assert.deepStrictEqual(crashed.value.position, {
          at: "par",
          kind: "parallel",
          steps: 0,
          visits: {},
          // Saved when a finished; with concurrency 1, b had not started yet.
          inner: { done: { 0: "a-done" }, running: {} }
        })
      }
      block = false
      const outcome = yield* Durable.run(flow, { id: "p1", stores: [start()] })
      assert.deepStrictEqual(outcome, { _tag: "Done", action: "default", steps: 4 })
      assert.deepStrictEqual(counts, { a: 1, b: 2 })
      assert.deepStrictEqual((yield* Durable.state("p1", Store)).log, ["a", "b", "a-done+b-done"])
    }).pipe(Effect.provide(memory)))

  it.effect("two branches that ask wait side by side; answering one keeps the other waiting and loses no work", () =>
    Effect.gen(function*() {
      const counts: Record<string, number> = {}
      const asking = (name: string, delay: number) =>
        Node.make({
          name,
          exec: () =>
            Effect.suspend(() => {
              counts[name] = (counts[name] ?? 0) + 1
              return Effect.andThen(Effect.sleep(delay), Approval.ask(`${name}?`))
            }),
          post: (_, answer) => note(`${name}=${answer.ok}`)
        })
      const worker = Node.make({
        name: "worker",
        exec: () =>
          Effect.suspend(() => {
            counts.worker = (counts.worker ?? 0) + 1
            return Effect.sleep(500)
          }),
        post: () => note("worker")
      })
      const par = Flow.parallel({
        name: "par",
        branches: [asking("a", 10), asking("b", 200), worker],
        post: () => note("joined").pipe(Node.as("joined"))
      })
      const flow = Flow.make({ name: "f", start: par })

      // The run suspends only once both askers wait and the worker has finished (at 500ms).
      const fiber = yield* Effect.forkChild(Durable.run(flow, { id: "p2", stores: [start()] }))
      yield* TestClock.adjust(300)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(200)
      const first = suspended(yield* Fiber.join(fiber))
      const keys = first.waiting.map((w) => w.key).sort()
      assert.deepStrictEqual(keys, ["f/par#1/a#1/approval#1", "f/par#1/b#1/approval#1"])
      assert.deepStrictEqual(first.waiting.map((w) => w.path).sort(), ["f/par/a", "f/par/b"])
      assert.deepStrictEqual((yield* Durable.state("p2", Store)).log, ["worker"])

      // Answer a: a completes, b still waits, the worker does not run again.
      yield* Durable.answer({ id: "p2", input: Approval, value: { ok: true }, key: "f/par#1/a#1/approval#1" })
      const second = suspended(yield* advancing(Durable.run(flow, { id: "p2", stores: [start()] })))
      assert.deepStrictEqual(second.waiting.map((w) => w.key), ["f/par#1/b#1/approval#1"])
      assert.deepStrictEqual((yield* Durable.state("p2", Store)).log, ["worker", "a=true"])

      // Answer b: the block completes; a (done) and the worker never run again.
      yield* Durable.answer({ id: "p2", input: Approval, value: { ok: false } })
      const done = yield* advancing(Durable.run(flow, { id: "p2", stores: [start()] }))
      assert.strictEqual(done._tag, "Done")
      assert.strictEqual(done._tag === "Done" && done.action, "joined")
      assert.deepStrictEqual((yield* Durable.state("p2", Store)).log, ["worker", "a=true", "b=false", "joined"])
      // a ran twice (asked, then got its answer), b three times (asked, still waiting, answered), the worker once.
      assert.deepStrictEqual(counts, { a: 2, b: 3, worker: 1 })
    }).pipe(Effect.provide(memory)))

  it.effect("a branch's post and the record of its completion are saved together, never half", () =>
    Effect.gen(function*() {
      // a's post writes, then sleeps; meanwhile b finishes and its completion is saved.
      const a = Node.make({
        name: "a",
        post: () => note("a-wrote").pipe(Effect.andThen(Effect.sleep(100)))
      })
      let bPostAt = -1
      const b = Node.make({
        name: "b",
        exec: () => Effect.sleep(50),
        post: () =>
          Clock.currentTimeMillis.pipe(
            Effect.tap((now) => Effect.sync(() => bPostAt = now)),
            Effect.andThen(note("b-wrote"))
          )
      })
      const par = Flow.parallel({ name: "par", branches: [a, b] })
      const next = Node.make({ name: "next", post: () => note("next") })
      const flow = Flow.make({ name: "f", start: par }).pipe(Flow.next(par, next))
      const outcome = yield* advancing(Durable.run(flow, { id: "p3", stores: [start()] }))
      assert.strictEqual(outcome._tag, "Done")
      const { snapshots } = yield* Durable.history("p3", { limit: 100 })
      assert.isAtLeast(snapshots.length, 4)
      let aFirst = false
      for (const snapshot of snapshots) {
        const log = (snapshot.stores["parallel/Store"] as { log: ReadonlyArray<string> }).log
        const position = snapshot.position as {
          at: string | null
          inner?: { done: Record<string, string> }
        }
        const inBlock = position.at === "par"
        const done = position.inner?.done ?? {}
        // A write visible in a checkpoint means its branch is recorded done there (or the block is behind us).
        if (log.includes("a-wrote")) {
          assert.isTrue(!inBlock || done[0] !== undefined, `v${snapshot.version}: a half done`)
        }
        if (log.includes("b-wrote")) {
          assert.isTrue(!inBlock || done[1] !== undefined, `v${snapshot.version}: b half done`)
        }
        if (inBlock && done[0] !== undefined && done[1] === undefined) aFirst = true
      }
      // b finished its exec at 50ms, while a's post was in flight: its post and save waited for a's to be saved.
      assert.isTrue(aFirst)
      assert.strictEqual(bPostAt, 100)
      assert.deepStrictEqual((yield* Durable.state("p3", Store)).log, ["a-wrote", "b-wrote", "next"])
    }).pipe(Effect.provide(memory)))

  it.effect("Durable.events carries Custom events from branches, with their paths", () =>
    Effect.gen(function*() {
      const a = Node.make({ name: "a", exec: () => Flow.emit("tok-a") })
      const b = Node.make({ name: "b", exec: () => Flow.emit("tok-b") })
      const par = Flow.parallel({ name: "par", branches: [a, b], concurrency: 1 })
      const flow = Flow.make({ name: "f", start: par })
      const events = yield* Stream.runCollect(Durable.events(flow, { id: "p4", stores: [start()] }))
      const customs = Array.from(events).filter(FlowEvent.is("Custom")).map((e) =>
        `${e.path} ${e.node} ${String(e.data)}`
      )
      assert.deepStrictEqual(customs, ["f/par/a a tok-a", "f/par/b b tok-b"])
      const saved = Array.from(events).filter(FlowEvent.is("CheckpointSaved"))
      // claim, a, b, the block, the flow's end
      assert.isAtLeast(saved.length, 4)
    }).pipe(Effect.provide(memory)))
})
