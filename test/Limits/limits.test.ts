/**
 * Shared limits (issue 21): `limit: "api"` on nodes, batches and flow defaults takes a permit of the `Limits` service
 * for each exec attempt. A limit counts the attempts in flight (`concurrency`) and started per window (`rate`), and is
 * shared by everything under one layer: parallel branches, batch items, concurrent runs — and, over Redis, processes.
 */
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Cause, Clock, Data, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { join } from "node:path"
import { Flow, Limits, Node } from "../../src/index.ts"
import { killChildren, spawnTsx } from "../support/process.ts"
import * as Redis from "../support/redis.ts"
import { expectThrow, js } from "../support/throws.ts"

class Busy extends Data.TaggedError("Busy")<{}> {}

/** Counts attempts in flight, the most at once, and when each one started (virtual millis). */
const gauge = () => {
  const state = { inFlight: 0, most: 0, starts: [] as Array<number> }
  const work = (ms: number) =>
    Effect.gen(function*() {
      state.starts.push(yield* Clock.currentTimeMillis)
      state.inFlight++
      state.most = Math.max(state.most, state.inFlight)
      // Interrupted (a timeout) or not, the attempt leaves the gauge when it ends.
      yield* Effect.ensuring(Effect.sleep(ms), Effect.sync(() => state.inFlight--))
    })
  return { state, work }
}

/** Runs `self` in the background while the TestClock moves on by `by`, in steps, and joins it. */
const settle = <A, E, R>(self: Effect.Effect<A, E, R>, by = 60_000, step = 100) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(self)
    for (let t = 0; t < by; t += step) yield* TestClock.adjust(step)
    return yield* Fiber.join(fiber)
  })

describe("limits in one process", () => {
  it.effect("shared by two parallel branches: one at a time under concurrency 1", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      const a = Node.make({ name: "a", exec: () => work(1000), limit: "api" })
      const b = Node.make({ name: "b", exec: () => work(1000), limit: "api" })
      const both = Flow.make({ name: "both", start: Flow.parallel({ name: "p", branches: [a, b] }) })
      yield* settle(Flow.run(both))
      assert.strictEqual(state.most, 1)
      assert.deepStrictEqual(state.starts, [0, 1000])
    }).pipe(Effect.provide(Limits.layer({ api: { concurrency: 1 } }))))

  it.effect("shared by two concurrent runs of two flows: never more in flight than the limit", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      const batch = (name: string) =>
        Node.batch({
          name,
          prep: Effect.succeed([1, 2, 3, 4, 5, 6]),
          exec: () => work(100),
          concurrency: "unbounded",
          limit: ["api"]
        })
      const one = Flow.make({ name: "one", start: batch("x") })
      const two = Flow.make({ name: "two", start: batch("y") })
      yield* settle(Effect.all([Flow.run(one), Flow.run(two)], { concurrency: 2 }), 2000, 10)
      assert.strictEqual(state.most, 3)
      assert.strictEqual(state.starts.length, 12)
      // 12 attempts, 3 at a time, 100 ms each: four waves.
      assert.deepStrictEqual(Array.from(new Set(state.starts)), [0, 100, 200, 300])
    }).pipe(Effect.provide(Limits.layer({ api: { concurrency: 3 } }))))

  it.effect("a rate: at most `limit` attempts start per window, the others wait for the next one", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      const batch = Node.batch({
        name: "calls",
        prep: Effect.succeed([1, 2, 3, 4, 5]),
        exec: () => work(1),
        concurrency: "unbounded",
        limit: "search"
      })
      yield* settle(Node.run(batch), 5000)
      assert.deepStrictEqual(state.starts, [0, 0, 1000, 1000, 2000])
    }).pipe(Effect.provide(Limits.layer({ search: { rate: { limit: 2, window: "1 second" } } }))))

  it.effect("every attempt takes a permit: retries wait their turn, and a timed-out attempt gives its permit back", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      let first = true
      const flaky = Node.make({
        name: "flaky",
        exec: () =>
          Effect.andThen(
            work(100),
            Effect.suspend(() => first ? ((first = false), Effect.fail(new Busy())) : Effect.void)
          ),
        retry: { times: 1 },
        limit: "api"
      })
      const hangs = Node.make({
        name: "hangs",
        exec: () => work(60_000),
        timeout: "1 second",
        fallback: () => Effect.void,
        limit: "api"
      })
      const steady = Node.make({ name: "steady", exec: () => work(100), limit: "api" })
      const block = Flow.parallel({ name: "p", branches: [hangs, flaky, steady] })
      yield* settle(Node.run(block), 5000)
      // hangs holds the only permit until its timeout at 1 s; then flaky's first attempt, steady, and flaky's retry,
      // which queued behind steady.
      assert.strictEqual(state.most, 1)
      assert.deepStrictEqual(state.starts, [0, 1000, 1100, 1200])
    }).pipe(Effect.provide(Limits.layer({ api: { concurrency: 1 } }))))

  it.effect("attempts interrupted while they wait leave the queue: no permit is lost", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      const fails = Node.make({
        name: "fails",
        exec: () => Effect.andThen(work(1000), Effect.fail(new Busy())),
        limit: "api"
      })
      const waiters = [1, 2, 3].map((i) => Node.make({ name: `waits${i}`, exec: () => work(1000), limit: "api" }))
      // `fails` holds the only permit; its failure interrupts the three branches waiting for it.
      const block = Flow.parallel({ name: "p", branches: [fails, ...waiters] })
      const exit = yield* settle(Effect.exit(Node.run(block)), 2000)
      assert.deepStrictEqual(exit, Exit.fail(new Busy()))
      assert.deepStrictEqual(state.starts, [0])
      // The permit is free again, and the next attempts get it one after the other.
      const after = Node.batch({
        name: "after",
        prep: Effect.succeed([1, 2]),
        exec: () => work(100),
        concurrency: 2,
        limit: "api"
      })
      yield* settle(Node.run(after), 1000)
      assert.deepStrictEqual(state.starts, [0, 2000, 2100])
    }).pipe(Effect.provide(Limits.layer({ api: { concurrency: 1 } }))))

  it.effect("several names: an attempt holds a permit of each", () =>
    Effect.gen(function*() {
      const { state, work } = gauge()
      const both = Node.batch({
        name: "both",
        prep: Effect.succeed([1, 2, 3, 4]),
        exec: () => work(100),
        concurrency: "unbounded",
        limit: ["wide", "narrow"]
      })
      yield* settle(Node.run(both), 1000, 10)
      assert.strictEqual(state.most, 2)
    }).pipe(Effect.provide(Limits.layer({ wide: { concurrency: 10 }, narrow: { concurrency: 2 } }))))

  it.effect("an unknown name, or no Limits layer at all: a defect that says what is missing", () =>
    Effect.gen(function*() {
      const node = Node.make({ name: "n", exec: () => Effect.void, limit: "nope" })
      const unknown = yield* Effect.exit(Effect.provide(Node.run(node), Limits.layer({ api: { concurrency: 1 } })))
      assert.isTrue(Exit.isFailure(unknown) && Cause.hasDies(unknown.cause))
      if (Exit.isFailure(unknown)) {
        assert.include(Cause.pretty(unknown.cause), `limit "nope" is not configured: the Limits layer has "api"`)
      }
      const none = yield* Effect.exit(Node.run(node as Node.Node<"default">))
      if (Exit.isFailure(none)) {
        assert.include(Cause.pretty(none.cause), `node "n" has limit "nope": provide a Limits layer`)
      } else {
        assert.fail("expected a defect")
      }
    }))

  it("options are checked when the layer and the node are made", () => {
    expectThrow(() => Limits.layer({ api: { concurrency: 0 } }), RangeError, `Limits.layer: limit "api": "concurrency"`)
    expectThrow(() => Limits.layer({ api: {} }), TypeError, `needs "concurrency", "rate" or both`)
    expectThrow(
      () => Limits.layer({ api: { rate: { limit: 1, window: "forever" as never } } }),
      RangeError,
      `"rate.window" must be a finite positive duration`
    )
    expectThrow(() => Node.make({ name: "n", limit: js(3) }), TypeError, `Node "n": option "limit"`)
  })
})

describe.skipIf(Redis.missing())("limits across processes (Redis)", () => {
  let redis: Redis.Redis
  beforeAll(async () => {
    redis = await Redis.start()
  })
  afterAll(() => redis?.stop())
  afterEach(killChildren)

  const fixture = join(import.meta.dirname, "fixtures", "worker.ts")
  /** Starts two workers, lets them go at once, and returns what each saw. */
  const race = async (args: ReadonlyArray<string>) => {
    const workers = [0, 1].map(() => spawnTsx(fixture, [redis.url, ...args], { stdin: true }))
    for (const w of workers) assert.strictEqual(JSON.parse(await w.next()), "ready")
    for (const w of workers) w.process.stdin!.write("go\n")
    return Promise.all(workers.map(async (w) => JSON.parse(await w.next()) as { most: number; done: number }))
  }

  it("two processes on one Redis share a limit of 3: never more than 3 in flight across both", async () => {
    const results = await race(["3", "12", "6", "40"])
    assert.deepStrictEqual(results.map((r) => r.done), [12, 12])
    const most = Math.max(...results.map((r) => r.most))
    assert.isAtMost(most, 3)
    assert.strictEqual(most, 3)
  }, 120_000)

  it("the control: with a limit of 3 in each process instead, the two together go past 3", async () => {
    const results = await race(["3", "12", "6", "40", "local"])
    assert.isAbove(Math.max(...results.map((r) => r.most)), 3)
  }, 120_000)
})
