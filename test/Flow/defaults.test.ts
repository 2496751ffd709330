/**
 * Flow-wide defaults (issue 21): `Flow.make({ defaults: { retry, timeout, cache, limit } })` applies to every node of
 * the flow and of flows nested in it; a nested flow's own defaults win over its parent's, a node's own options over
 * both. Nodes are shared values: the same node runs with different defaults in different flows, and unchanged alone.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Data, Effect, Exit, Fiber, Schema, Stream } from "effect"
import { Persistence } from "effect/persistence"
import { Flow, FlowEvent, Limits, Node, NodeTimeout } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"
import { expectThrow, js } from "../support/throws.ts"

class Flaky extends Data.TaggedError("Flaky")<{ readonly attempt: number }> {}

/** A node that fails every attempt and counts them in `attempts` (by node name). */
const failing = (
  name: string,
  attempts: Map<string, number>,
  options: { readonly retry?: Node.Retry<Flaky | NodeTimeout> } = {}
) =>
  Node.make({
    name,
    exec: () =>
      Effect.flatMap(Node.CurrentAttempt, (attempt) => {
        attempts.set(name, attempt)
        return Effect.fail(new Flaky({ attempt }))
      }),
    fallback: () => Effect.succeed("fell back"),
    ...options
  })

describe("defaults: precedence", () => {
  it.effect("flow < nested flow < node: each node gets its retries from the nearest place that sets them", () =>
    Effect.gen(function*() {
      const attempts = new Map<string, number>()
      const top = failing("top", attempts)
      const nestedDefault = failing("nested-default", attempts)
      const ownRetry = failing("own-retry", attempts, { retry: { times: 0 } })
      const deepest = failing("deepest", attempts)
      // A flow nested in the nested flow, without defaults of its own: it inherits the nearest ones.
      const deep = Flow.make({ name: "deep", start: deepest })
      const nested = Flow.make({ name: "nested", start: nestedDefault, defaults: { retry: { times: 3 } } }).pipe(
        Flow.next(nestedDefault, ownRetry),
        Flow.next(ownRetry, deep)
      )
      const outer = Flow.make({ name: "outer", start: top, defaults: { retry: { times: 1 } } }).pipe(
        Flow.next(top, nested)
      )
      yield* Flow.run(outer)
      assert.deepStrictEqual(Object.fromEntries(attempts), {
        top: 2, // the outer flow's: one retry
        "nested-default": 4, // the nested flow's: three retries
        "own-retry": 1, // its own: none
        deepest: 4 // inherited from the nested flow
      })
    }))

  it.effect("a nested flow's defaults win option by option: the parent's timeout still applies beside its retry", () =>
    Effect.gen(function*() {
      let attempts = 0
      const slow = Node.make({
        name: "slow",
        exec: () => Effect.andThen(Effect.sync(() => attempts++), Effect.sleep("1 minute"))
      })
      const nested = Flow.make({ name: "nested", start: slow, defaults: { retry: { times: 2 } } })
      const outer = Flow.make({ name: "outer", start: nested, defaults: { timeout: "1 second", retry: { times: 9 } } })
      const exit = yield* advancing(Effect.exit(Flow.run(outer)), "1 hour")
      assert.deepStrictEqual(exit, Exit.fail(new NodeTimeout({ node: "slow", timeout: "1 second" })))
      assert.strictEqual(attempts, 3)
    }))

  it.effect("the same node value runs with each flow's defaults, and with its own options alone", () =>
    Effect.gen(function*() {
      const attempts = new Map<string, number>()
      const shared = failing("shared", attempts)
      const twice = Flow.make({ name: "twice", start: shared, defaults: { retry: { times: 1 } } })
      const fourTimes = Flow.make({ name: "four", start: shared, defaults: { retry: { times: 3 } } })
      const none = Flow.make({ name: "none", start: shared })
      const counts: Array<number | undefined> = []
      for (const run of [Flow.run(twice), Flow.run(fourTimes), Flow.run(none), Node.run(shared), Flow.run(twice)]) {
        attempts.clear()
        yield* run
        counts.push(attempts.get("shared"))
      }
      assert.deepStrictEqual(counts, [2, 4, 1, 1, 2])
    }))

  it.effect("batch items, batch flows and parallel branches under the flow get the defaults too", () =>
    Effect.gen(function*() {
      const attempts = new Map<string, number>()
      const items = Node.batch({
        name: "items",
        prep: Effect.succeed([0, 1, 2]),
        exec: (i) =>
          Effect.flatMap(Node.CurrentAttempt, (attempt) => {
            attempts.set(`item ${i}`, attempt)
            return Effect.fail(new Flaky({ attempt }))
          }),
        fallback: () => Effect.succeed(0),
        concurrency: 3
      })
      class Param extends Context.Service<Param, number>()("test/Param") {}
      const perParam = Flow.batch({
        name: "per-param",
        flow: failing("in-batch-flow", attempts),
        params: Param,
        prep: Effect.succeed([1])
      })
      const branches = Flow.parallel({
        name: "both",
        branches: [failing("left", attempts), failing("right", attempts)]
      })
      const flow = Flow.make({ name: "all", start: items, defaults: { retry: { times: 2 } } }).pipe(
        Flow.next(items, perParam),
        Flow.next(perParam, branches)
      )
      yield* Flow.run(flow)
      assert.deepStrictEqual(Object.fromEntries(attempts), {
        "item 0": 3,
        "item 1": 3,
        "item 2": 3,
        "in-batch-flow": 3,
        left: 3,
        right: 3
      })
    }))

  it.effect("observed (Flow.events): the same defaults, reported as retries", () =>
    Effect.gen(function*() {
      const attempts = new Map<string, number>()
      const node = failing("n", attempts)
      const nested = Flow.make({ name: "nested", start: node })
      const flow = Flow.make({ name: "outer", start: nested, defaults: { retry: { times: 2 } } })
      const events = yield* Stream.runCollect(Flow.events(flow))
      assert.strictEqual(attempts.get("n"), 3)
      assert.deepStrictEqual(
        events.filter(FlowEvent.is("RetryScheduled")).map((e) => `${e.path} ${e.attempt}`),
        ["outer/nested/n 1", "outer/nested/n 2"]
      )
    }))

  it.effect("a flow a node runs from inside its exec is not nested in the flow: no defaults there", () =>
    Effect.gen(function*() {
      const innerAttempts: Array<number> = []
      const runnerAttempts: Array<number> = []
      const innerNode = Node.make({
        name: "inner-node",
        exec: () => Effect.flatMap(Node.CurrentAttempt, (a) => Effect.sync(() => void innerAttempts.push(a)))
      })
      const inner = Flow.make({ name: "inner", start: innerNode })
      // The runner itself is the outer flow's node: its exec is retried, and runs the inner flow each time.
      const runner = Node.make({
        name: "runner",
        exec: () =>
          Effect.andThen(
            Flow.run(inner),
            Effect.flatMap(Node.CurrentAttempt, (a) => {
              runnerAttempts.push(a)
              return a < 2 ? Effect.fail(new Flaky({ attempt: a })) : Effect.void
            })
          )
      })
      const flow = Flow.make({ name: "outer", start: runner, defaults: { timeout: "1 second", retry: { times: 2 } } })
      yield* Flow.run(flow)
      assert.deepStrictEqual(runnerAttempts, [1, 2])
      // Each run of the inner flow started its node at attempt 1, with no timeout: it is not under the defaults.
      assert.deepStrictEqual(innerAttempts, [1, 1])
    }))

  it.effect("a node without exec is left alone; a cache default caches only nodes with a resultSchema", () =>
    Effect.gen(function*() {
      let typed = 0
      let untyped = 0
      const withSchema = Node.make({
        name: "typed",
        exec: () => Effect.sync(() => ++typed),
        resultSchema: Schema.Number
      })
      const withoutSchema = Node.make({ name: "untyped", exec: () => Effect.sync(() => ++untyped) })
      const postOnly = Node.make({ name: "post-only", post: () => Effect.void })
      const flow = Flow.make({ name: "cached", start: withSchema, defaults: { cache: { key: () => "k" } } }).pipe(
        Flow.next(withSchema, withoutSchema),
        Flow.next(withoutSchema, postOnly)
      )
      yield* Flow.run(flow)
      const events = yield* Stream.runCollect(Flow.events(flow))
      assert.deepStrictEqual({ typed, untyped }, { typed: 1, untyped: 2 })
      assert.deepStrictEqual(events.filter(FlowEvent.is("CacheHit")).map((e) => e.path), ["cached/typed"])
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("a limit default: every exec attempt of the flow's nodes holds a permit; `limit: []` opts a node out", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let most = 0
      let optedOut = 0
      const work = Effect.gen(function*() {
        inFlight++
        most = Math.max(most, inFlight)
        yield* Effect.sleep("1 second")
        inFlight--
      })
      const limited = Flow.parallel({
        name: "limited",
        branches: [0, 1, 2, 3].map((i) => Node.make({ name: `b${i}`, exec: () => work }))
      })
      const free = Flow.parallel({
        name: "free",
        branches: [0, 1].map((i) =>
          Node.make({
            name: `f${i}`,
            exec: () => Effect.andThen(Effect.sync(() => optedOut++), Effect.sleep("1 second")),
            limit: []
          })
        )
      })
      const flow = Flow.make({ name: "f", start: free, defaults: { limit: "api" } }).pipe(Flow.next(free, limited))
      const fiber = yield* Effect.forkChild(Flow.run(flow))
      yield* Effect.yieldNow
      // Both opted-out branches started at once although the limit allows one at a time.
      assert.strictEqual(optedOut, 2)
      yield* advancing(Effect.void, "10 seconds")
      yield* Fiber.await(fiber)
      assert.strictEqual(most, 1)
    }).pipe(Effect.provide(Limits.layer({ api: { concurrency: 1 } }))))
})

describe("defaults: checked when the flow is made", () => {
  const start = Node.make({ name: "start", exec: () => Effect.void })

  it("a wrong default throws naming the flow and the option", () => {
    expectThrow(
      () => Flow.make({ name: "f", start, defaults: { timeout: -1 } }),
      RangeError,
      `Flow "f": option "defaults.timeout" must be a finite positive duration`
    )
    expectThrow(
      () => Flow.make({ name: "f", start, defaults: { retry: { times: -1 } } }),
      RangeError,
      `Flow "f": option "defaults.retry" must be a Schedule or { times?, schedule?, while? }`
    )
    expectThrow(
      () => Flow.make({ name: "f", start, defaults: { cache: { key: js("k") } } }),
      TypeError,
      `Flow "f": option "defaults.cache.key" must be a function`
    )
    expectThrow(
      () => Flow.make({ name: "f", start, defaults: { limit: [""] } }),
      TypeError,
      `Flow "f": option "defaults.limit" must be a limit's name or an array of names`
    )
    expectThrow(
      () => Flow.make({ name: "f", start, defaults: js({ fallback: 1 }) }),
      TypeError,
      `Flow "f": option "defaults" takes retry, timeout, cache and limit; got an object with keys fallback ` +
        `(unknown: fallback)`
    )
  })
})
