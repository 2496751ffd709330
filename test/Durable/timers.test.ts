/**
 * Durable timers (`Durable.sleep`, `Durable.sleepUntil`): a wait keyed like an input, saved "sleeping" with its
 * wake-up time, continued only once that time came (a poll before it runs nothing), fixed by the first sleep of its
 * key; `Durable.layerTimers` for plain runs. On the TestClock; the worker's side is in worker.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, DateTime, Effect, Fiber, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { failure, suspended } from "../support/durable.ts"

const State = Schema.Struct({ preps: Schema.Number, woke: Schema.Array(Schema.Number) })
class Store extends Shared.Service<Store>()("test/timers/Store", { schema: State }) {}
const empty = () => Store.initial({ preps: 0, woke: [] })

const DAY = 24 * 60 * 60 * 1000

/** `nap`: its prep counts (in the store), its exec sleeps `wait`, its post records the time it woke. */
const napFlow = (wait: Effect.Effect<void, never, Durable.Run>) => {
  const nap = Node.make({
    name: "nap",
    prep: Effect.andThen(Store.update((s) => ({ ...s, preps: s.preps + 1 })), Store.get),
    exec: () => Effect.andThen(wait, Clock.currentTimeMillis),
    post: (_, at) => Store.update((s) => ({ ...s, woke: [...s.woke, at] }))
  })
  return Flow.make({ name: "napping", start: nap })
}

describe("Durable.sleep", () => {
  it.effect("a sleep of 3 days: saved \"sleeping\" with its wake-up time; it wakes exactly when due, not before", () =>
    Effect.gen(function*() {
      const flow = napFlow(Durable.sleep("3 days"))
      const o = suspended(yield* Durable.run(flow, { id: "s1", stores: [empty()] }))
      assert.deepStrictEqual(o.waiting.map((w) => [w.key, w.kind, w.until]), [[
        "napping/nap#1/sleep#1",
        "timer",
        3 * DAY
      ]])
      const s = Option.getOrThrow(yield* Durable.get("s1"))
      assert.strictEqual(s.status, "sleeping")
      assert.deepStrictEqual(s.waiting.map((w) => [w.kind, w.until]), [["timer", 3 * DAY]])
      yield* TestClock.adjust(3 * DAY - 1)
      // One millisecond early: still sleeping, and nothing ran (no prep, no new version).
      const early = suspended(yield* Durable.run(flow, { id: "s1", stores: [empty()] }))
      assert.strictEqual(early.waiting[0]!.until, 3 * DAY)
      const still = Option.getOrThrow(yield* Durable.get("s1"))
      assert.strictEqual(still.version, s.version)
      assert.deepStrictEqual(yield* Durable.state("s1", Store), { preps: 1, woke: [] })
      yield* TestClock.adjust(1)
      assert.strictEqual((yield* Durable.run(flow, { id: "s1", stores: [empty()] }))._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("s1", Store), { preps: 2, woke: [3 * DAY] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("the wake-up time is fixed by the first sleep: a step run again after a later wait does not restart it", () =>
    Effect.gen(function*() {
      const Ok = Durable.input("ok-after-nap", { answer: Schema.Boolean })
      const nap = Node.make({
        name: "nap",
        exec: () =>
          Effect.gen(function*() {
            yield* Durable.sleep("1 hour")
            return yield* Ok.ask()
          })
      })
      const flow = Flow.make({ name: "nap-then-ask", start: nap })
      const run = Durable.run(flow, { id: "s2", stores: [empty()] })
      suspended(yield* run)
      yield* TestClock.adjust("1 hour")
      const asked = suspended(yield* run)
      // The timer is over (marked answered, it makes the run due no more); the input waits.
      assert.deepStrictEqual(asked.waiting.map((w) => [w.kind, w.key]), [["timer", "nap-then-ask/nap#1/sleep#1"], [
        "input",
        "nap-then-ask/nap#1/ok-after-nap#1"
      ]])
      const s = Option.getOrThrow(yield* Durable.get("s2"))
      assert.strictEqual(s.status, "suspended")
      assert.deepStrictEqual(s.waiting.map((w) => w.answered === true), [true, false])
      yield* TestClock.adjust("10 minutes")
      yield* Durable.answer({ id: "s2", input: Ok, value: true })
      // The step runs again from its prep: the sleep of its first visit is over, so it returns at once.
      assert.strictEqual((yield* run)._tag, "Done")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("sleepUntil takes a Date or a DateTime; a time already past returns at once", () =>
    Effect.gen(function*() {
      const until = DateTime.makeUnsafe(5 * DAY)
      const o = suspended(yield* Durable.run(napFlow(Durable.sleepUntil(until)), { id: "s3", stores: [empty()] }))
      assert.strictEqual(o.waiting[0]!.until, 5 * DAY)
      const past = yield* Durable.run(napFlow(Durable.sleepUntil(new Date(-1000))), { id: "s4", stores: [empty()] })
      assert.strictEqual(past._tag, "Done")
      yield* TestClock.adjust(5 * DAY)
      assert.strictEqual(
        (yield* Durable.run(napFlow(Durable.sleepUntil(new Date(5 * DAY))), { id: "s3", stores: [empty()] }))._tag,
        "Done"
      )
      assert.deepStrictEqual((yield* Durable.state("s3", Store)).woke, [5 * DAY])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a timer is not an input: answering its key fails with NotWaiting", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(napFlow(Durable.sleep("1 day")), { id: "s5", stores: [empty()] }))
      const error = yield* failure(Durable.answer({ token: o.waiting[0]!.token, value: true }))
      assert.strictEqual(error._tag, "NotWaiting")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a parallel branch's timer that comes due while another branch waits makes the run due", () =>
    Effect.gen(function*() {
      const Ok = Durable.input("ok-branch", { answer: Schema.Boolean })
      const napper = Node.make({ name: "napper", exec: () => Durable.sleep("1 minute") })
      const asker = Node.make({ name: "asker", exec: () => Ok.ask() })
      const both = Flow.parallel({ name: "both", branches: [napper, asker] })
      const flow = Flow.make({ name: "branches", start: both })
      const o = suspended(yield* Durable.run(flow, { id: "s6", stores: [empty()] }))
      assert.deepStrictEqual(o.waiting.map((w) => w.kind).sort(), ["input", "timer"])
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("s6")).status, "suspended")
      const cp = yield* Checkpointer.Checkpointer
      assert.deepStrictEqual((yield* cp.due({ now: 59_999, limit: 10 })).ids, [])
      assert.deepStrictEqual((yield* cp.due({ now: 60_000, limit: 10 })).ids, ["s6"])
      yield* TestClock.adjust("1 minute")
      const after = suspended(yield* Durable.run(flow, { id: "s6", stores: [empty()] }))
      assert.deepStrictEqual(after.waiting.filter((w) => w.kind === "input").length, 1)
      assert.deepStrictEqual((yield* cp.due({ now: 120_000, limit: 10 })).ids, [], "the fired timer is over")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable.layerTimers", () => {
  it.effect("a plain Flow.run sleeps on the Clock; without a layer, Durable.sleep is a defect naming it", () =>
    Effect.gen(function*() {
      const nap = Node.make({
        name: "nap",
        exec: () => Effect.andThen(Durable.sleep("2 hours"), Clock.currentTimeMillis)
      })
      const flow = Flow.make({ name: "plain-nap", start: nap })
      const fiber = yield* Effect.forkChild(Flow.run(flow).pipe(Effect.provide(Durable.layerTimers)))
      yield* TestClock.adjust("1 hour")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* Fiber.join(fiber), "default")
      const Ok = Durable.input("ok-plain", { answer: Schema.Boolean })
      const ask = Node.make({ name: "ask", exec: () => Ok.ask() })
      // Stacked with layerAnswers, either way round.
      const stacked = Flow.run(Flow.make({ name: "ask-plain", start: ask })).pipe(
        Effect.provide(Durable.layerTimers),
        Effect.provide(Durable.layerAnswers(Ok, () => Effect.succeed(true)))
      )
      assert.strictEqual(yield* stacked, "default")
      const exit = yield* Effect.exit(
        Flow.run(flow).pipe(Effect.provide(Durable.layerAnswers(Ok, () => Effect.succeed(true))))
      )
      assert.isTrue(exit._tag === "Failure" && String(exit.cause).includes("Durable.layerTimers"))
    }))
})
