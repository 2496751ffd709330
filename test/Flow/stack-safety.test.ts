/**
 * Loops of any length are stack-safe and run in constant memory (PocketFlow's recursive orchestration
 * has neither guarantee to test).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"

class Counter extends Shared.Service<Counter, { readonly left: number; readonly steps: number }>()(
  "test/stack-safety/Counter"
) {}

const tick = Node.make({
  name: "tick",
  prep: Counter.modify((s) => [s.left, { left: s.left - 1, steps: s.steps + 1 }] as const),
  post: (left) => Node.action(left > 1 ? "again" : "stop")
})
const loop = Flow.make({ name: "loop", start: tick }).pipe(Flow.on(tick, "again", tick))

/** Two nodes ping-ponging: a loop through more than one node, with a bounded maxSteps. */
const ping = Node.make({ name: "ping", prep: Counter.update((s) => ({ ...s, steps: s.steps + 1 })) })
const pong = Node.make({
  name: "pong",
  prep: Counter.modify((s) => [s.left, { left: s.left - 1, steps: s.steps + 1 }] as const),
  post: (left) => Node.action(left > 1 ? "again" : "stop")
})
const pingPong = (maxSteps: number) =>
  Flow.make({ name: "ping-pong", start: ping, maxSteps }).pipe(Flow.next(ping, pong), Flow.on(pong, "again", ping))

const runLoop = <A, E>(flow: Effect.Effect<A, E, Counter>, left: number) =>
  Effect.gen(function*() {
    const action = yield* flow
    return { action, ...(yield* Counter.get) }
  }).pipe(Effect.provide(Counter.layer({ left, steps: 0 })))

const heapMb = () => process.memoryUsage().heapUsed / 1024 / 1024

describe("stack safety and memory", () => {
  it.effect("a 1,000,000-step loop finishes", () =>
    Effect.gen(function*() {
      const { action, left, steps } = yield* runLoop(loop, 1_000_000)
      assert.strictEqual(action, "stop")
      assert.strictEqual(steps, 1_000_000)
      assert.strictEqual(left, 0)
    }), 120_000)

  it.effect("a two-node loop of 1,000,000 steps under maxSteps finishes", () =>
    Effect.gen(function*() {
      const { action, steps } = yield* runLoop(pingPong(1_000_000), 500_000)
      assert.strictEqual(action, "stop")
      assert.strictEqual(steps, 1_000_000)
    }), 120_000)

  it.effect("a loop nested three flows deep is stack-safe too", () =>
    Effect.gen(function*() {
      const inner = Flow.make({ name: "inner", start: loop })
      const outer = Flow.make({ name: "outer", start: inner })
      const { action, steps } = yield* runLoop(outer, 300_000)
      assert.strictEqual(action, "stop")
      assert.strictEqual(steps, 300_000)
    }), 120_000)

  it.effect("memory stays flat: heap growth does not depend on the number of steps", () =>
    Effect.gen(function*() {
      // warm up so that one-off allocations (JIT, module state) are not counted
      yield* runLoop(loop, 50_000)
      const before = heapMb()
      yield* runLoop(loop, 200_000)
      const after200k = heapMb()
      yield* runLoop(loop, 1_000_000)
      const after1m = heapMb()
      // without --expose-gc the heap holds some garbage at any moment, so only a generous bound is robust:
      // retaining even 40 bytes per step would add 40MB over the 1M-step run
      assert.isBelow(after200k - before, 30, `heap grew ${(after200k - before).toFixed(1)}MB over 200k steps`)
      assert.isBelow(after1m - before, 30, `heap grew ${(after1m - before).toFixed(1)}MB over 1M steps`)
    }), 120_000)
})
