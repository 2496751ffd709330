/**
 * `Durable.schedule`: a run at every cron tick, id `${name}@${tick ISO}`, started by exactly one of any number of
 * workers. On the TestClock with the memory checkpointer, and in real time on every checkpointer with two workers,
 * each on a checkpointer layer of its own over the shared storage (as two processes would be).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cron, Effect, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { eventually } from "../support/worker.ts"

const State = Schema.Struct({ tick: Schema.String })
class Tick extends Shared.Service<Tick>()("test/schedule/Tick", { schema: State }) {}

/** A flow that counts its runs by tick in `ran`. */
const makeFlow = (name: string, ran: Map<string, number>) => {
  const work = Node.make({
    name: "work",
    prep: Tick.get,
    exec: (s) => Effect.sync(() => void ran.set(s.tick, (ran.get(s.tick) ?? 0) + 1))
  })
  return Flow.make({ name, start: work })
}

const scheduled = (events: ReadonlyArray<Durable.WorkerEvent>) =>
  events.flatMap((e) => e._tag === "Scheduled" ? [e] : [])

describe("Durable.schedule", () => {
  it.effect("two workers, one cron: every tick starts exactly one run, with the tick in its id", () =>
    Effect.gen(function*() {
      const ran = new Map<string, number>()
      const flow = makeFlow("minutely", ran)
      const cron = Cron.parseUnsafe("* * * * *", "UTC")
      const every = Durable.schedule(flow, {
        name: "minutely",
        cron,
        stores: (tick) => [Tick.initial({ tick: tick.toISOString() })]
      })
      const events: Array<Durable.WorkerEvent> = []
      for (const name of ["one", "two"]) {
        yield* Effect.forkChild(Durable.worker({ flows: [every], name, onEvent: (e) => events.push(e) }))
      }
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("1 minute")
      const ticks = Array.from({ length: 11 }, (_, i) => new Date(i * 60_000).toISOString())
      yield* eventually("every tick ran", Effect.sync(() => ran.size === ticks.length))
      assert.deepStrictEqual(scheduled(events).map((e) => e.id).sort(), ticks.map((t) => `minutely@${t}`))
      assert.deepStrictEqual(Array.from(ran.keys()).sort(), ticks)
      assert.deepStrictEqual(new Set(ran.values()), new Set([1]), "each tick's run ran once")
      // Both workers did some of the starting (they race for every tick).
      const runs = yield* Durable.list({ flow: "minutely", limit: 100 })
      assert.strictEqual(runs.runs.length, ticks.length)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it("refuses at the call: no name, not a Cron, stores not a function", () => {
    const flow = makeFlow("x", new Map())
    const cron = Cron.parseUnsafe("* * * * *", "UTC")
    const stores = () => [Tick.initial({ tick: "" })]
    assert.throws(() => Durable.schedule(flow, { name: "", cron, stores }), /name/)
    assert.throws(() => Durable.schedule(flow, { name: "x", cron: "* * * * *" as never, stores }), /Cron/)
    assert.throws(() => Durable.schedule(flow, { name: "x", cron, stores: [] as never }), /function/)
    const a = Durable.schedule(flow, { name: "x", cron, stores })
    assert.throws(() => Durable.worker({ flows: [a, a] }), /two schedules are named "x"/)
  })
})

forEachCheckpointer("two workers, one cron, real time", ({ storage }) => {
  const runs = storage("cron")
  it.live("every second's tick starts exactly one run", () =>
    Effect.gen(function*() {
      const ran = new Map<string, number>()
      const name = `every-second-${Date.now()}`
      const flow = makeFlow(name, ran)
      const every = Durable.schedule(flow, {
        name,
        cron: Cron.parseUnsafe("* * * * * *", "UTC"),
        stores: (tick) => [Tick.initial({ tick: tick.toISOString() })]
      })
      const events: Array<Durable.WorkerEvent> = []
      const workers = yield* Effect.forEach(["one", "two"], (worker) =>
        Effect.forkChild(
          Durable.worker({ flows: [every], name: worker, onEvent: (e) => events.push(e) }).pipe(
            Effect.provide(runs.layer())
          )
        ))
      yield* Effect.sleep("3500 millis")
      yield* Effect.forEach(workers, Fiber.interrupt)
      const started = scheduled(events).map((e) => e.id)
      assert.isAtLeast(started.length, 3)
      assert.strictEqual(new Set(started).size, started.length, `a tick started twice: ${started.join(", ")}`)
      const ticks = scheduled(events).map((e) => e.tick.getTime()).sort((a, b) => a - b)
      for (let i = 1; i < ticks.length; i++) assert.strictEqual(ticks[i]! - ticks[i - 1]!, 1000, "one run per second")
      // Every run in storage is one tick's, one per second; a worker interrupted between creating a run and reporting
      // it leaves one run more than the events say, never one less.
      const listed = (yield* Effect.provide(Durable.list({ flow: name, limit: 100 }), runs.layer())).runs.map((r) =>
        r.id
      )
      assert.strictEqual(new Set(listed).size, listed.length)
      for (const id of started) assert.include(listed, id)
      const seconds = listed.map((id) => new Date(id.slice(name.length + 1)).getTime()).sort((a, b) => a - b)
      for (let i = 1; i < seconds.length; i++) assert.strictEqual(seconds[i]! - seconds[i - 1]!, 1000)
      assert.isAtMost(listed.length, started.length + 2)
      // A tick's run ran at most once (the last one may still be queued when the workers stop).
      for (const [tick, n] of ran) assert.strictEqual(n, 1, `the run of ${tick} ran ${n} times`)
    }), 60_000)
}, shared)
