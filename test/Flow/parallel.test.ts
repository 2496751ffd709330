/**
 * `Flow.parallel`: branches run at once (bounded by `concurrency`), join in branch order, share stores, and a failing
 * branch interrupts its siblings.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { FlowDefinitionError } from "../../src/Errors.ts"
import { Flow, Node, Shared } from "../../src/index.ts"
import { makeGauge } from "../support/tracing.ts"

const sleeper = (
  name: string,
  millis: number,
  track: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
) => Node.make({ name, exec: () => track(Effect.sleep(millis)), post: () => Node.action(`${name}-done`) })

describe("Flow.parallel", () => {
  it.effect("runs the branches at once: the block takes as long as its slowest branch", () =>
    Effect.gen(function*() {
      const gauge = yield* makeGauge
      const par = Flow.parallel({
        name: "par",
        branches: [sleeper("a", 100, gauge.track), sleeper("b", 300, gauge.track), sleeper("c", 200, gauge.track)]
      })
      const fiber = yield* Effect.forkChild(Node.run(par))
      yield* TestClock.adjust(299)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), "default")
      assert.strictEqual(yield* gauge.max, 3)
      assert.strictEqual(yield* gauge.running, 0)
    }))

  for (const limit of [1, 2] as const) {
    it.effect(`concurrency: ${limit} never runs more than ${limit} branches at once`, () =>
      Effect.gen(function*() {
        const gauge = yield* makeGauge
        const par = Flow.parallel({
          name: "par",
          concurrency: limit,
          branches: [100, 300, 200, 50].map((ms, i) => sleeper(`b${i}`, ms, gauge.track))
        })
        const fiber = yield* Effect.forkChild(Node.run(par))
        yield* TestClock.adjust("1 minute")
        yield* Fiber.join(fiber)
        assert.strictEqual(yield* gauge.max, limit)
      }))
  }

  it.effect("post receives the branch actions in branch order, not finishing order, and picks the action", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<string>> = []
      const { track } = yield* makeGauge
      const par = Flow.parallel({
        name: "par",
        branches: [sleeper("slow", 300, track), sleeper("fast", 10, track), Node.make({ name: "plain" })],
        post: (actions) => {
          seen.push(actions)
          return Node.action(actions[0] === "slow-done" ? "joined" : "odd")
        }
      })
      const fiber = yield* Effect.forkChild(Node.run(par))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "joined")
      assert.deepStrictEqual(seen, [["slow-done", "fast-done", "default"]])
    }))

  it.effect("a failing branch interrupts the others: their finalizers run, nothing after the failure point runs", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const slow = Node.make({
        name: "slow",
        exec: () =>
          Effect.sleep(1000).pipe(
            Effect.andThen(Effect.sync(() => log.push("slow finished"))),
            Effect.onInterrupt(() => Effect.sync(() => log.push("slow finalizer")))
          ),
        post: () => Effect.sync(() => void log.push("slow post"))
      })
      const boom = Node.make({
        name: "boom",
        exec: () => Effect.sleep(100).pipe(Effect.andThen(Effect.fail("boom" as const)))
      })
      const par = Flow.parallel({
        name: "par",
        branches: [slow, boom],
        post: () => Effect.sync(() => void log.push("post"))
      })
      const flow = Flow.make({ name: "flow", start: par })
      const fiber = yield* Effect.forkChild(Effect.exit(Flow.run(flow)))
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail("boom"))
      assert.deepStrictEqual(log, ["slow finalizer"])
    }))

  class Store extends Shared.Service<Store, { readonly hits: ReadonlyArray<string> }>()("test/parallel/Store") {}

  it.effect("branches share the run's stores; every update lands", () =>
    Effect.gen(function*() {
      const writer = (name: string, millis: number) =>
        Node.make({
          name,
          exec: () => Effect.sleep(millis),
          post: () => Store.update((s) => ({ hits: [...s.hits, name] }))
        })
      const reader = Node.make({ name: "reader", prep: Store.get, post: (s) => Node.action(s.hits.join(",")) })
      const par = Flow.parallel({ name: "par", branches: [writer("a", 30), writer("b", 10), writer("c", 20)] })
      const flow = Flow.make({ name: "flow", start: par }).pipe(Flow.next(par, reader))
      const fiber = yield* Effect.forkChild(Flow.run(flow))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "b,c,a")
    }).pipe(Effect.provide(Store.layer({ hits: [] }))))

  it.effect("branches can be flows, and the block nests in a flow wired by its post's action", () =>
    Effect.gen(function*() {
      const x = Node.make({ name: "x", post: () => Node.action("next") })
      const y = Node.make({ name: "y", post: () => Node.action("y-done") })
      const sub = Flow.make({ name: "sub", start: x }).pipe(Flow.on(x, "next", y))
      const z = Node.make({ name: "z" })
      const par = Flow.parallel({ name: "par", branches: [sub, z], post: ([s, t]) => Node.action(`${s}+${t}`) })
      const end = Node.make({ name: "end", post: () => Node.action("finished") })
      const flow = Flow.make({ name: "flow", start: par }).pipe(Flow.on(par, "y-done+default", end))
      assert.strictEqual(yield* Flow.run(flow), "finished")
    }))

  it("refuses no branches, a node listed twice, two branches with one name, and bad options", () => {
    const a = Node.make({ name: "a" })
    const a2 = Node.make({ name: "a" })
    assert.throws(() => Flow.parallel({ name: "par", branches: [] }), FlowDefinitionError)
    assert.throws(() => Flow.parallel({ name: "par", branches: [a, a] }), FlowDefinitionError)
    assert.throws(() => Flow.parallel({ name: "par", branches: [a, a2] }), FlowDefinitionError)
    assert.throws(() => Flow.parallel({ name: "", branches: [a] }), TypeError)
    assert.throws(() => Flow.parallel({ name: "par", branches: [a], concurrency: 0 }), RangeError)
    assert.throws(() => Flow.parallel({ name: "par", branches: [a], concurrency: "2" as never }), TypeError)
    assert.throws(() => Flow.parallel({ name: "par", branches: [Effect.void as never] }), /must be a node/)
    assert.throws(() => Flow.parallel({ name: "par", branches: a as never }), /must be an array/)
    assert.throws(() => Flow.parallel({ name: "par", branches: [a], post: "x" as never }), /"post" must be a function/)
    const par = Flow.parallel({ name: "par", branches: [a] })
    assert.strictEqual(par.kind, "parallel")
    assert.strictEqual(par.name, "par")
  })
})
