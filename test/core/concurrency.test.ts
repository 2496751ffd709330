/**
 * Concurrency guarantees PocketFlow does not test: `concurrency: n` is a hard limit, and parallel branches
 * updating the shared store never lose an update.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"
import { makeGauge } from "../support/tracing.ts"


const runAdvancing = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(self)
    yield* TestClock.adjust("1 minute")
    return yield* Fiber.join(fiber)
  })

describe("concurrency limits", () => {
  for (const limit of [1, 2, 3, 7] as const) {
    it.effect(`Node.batch with concurrency ${limit} never runs more than ${limit} items at once`, () =>
      Effect.gen(function*() {
        const gauge = yield* makeGauge
        const items = Array.from({ length: 20 }, (_, i) => i)
        const node = Node.batch({
          name: "limited",
          prep: Effect.succeed(items),
          // uneven durations so that slots free up at different times
          exec: (i: number) => gauge.track(Effect.as(Effect.sleep(10 + (i % 4) * 7), i)),
          post: (_items, results) => Effect.sync(() => assert.deepStrictEqual(results, items)),
          concurrency: limit
        })
        yield* runAdvancing(Node.run(node))
        assert.strictEqual(yield* gauge.max, limit)
        assert.strictEqual(yield* gauge.running, 0)
      }))
  }

  it.effect("Node.batch without concurrency runs one item at a time; \"unbounded\" runs them all at once", () =>
    Effect.gen(function*() {
      const sequential = yield* makeGauge
      yield* runAdvancing(Node.run(Node.batch({
        name: "sequential",
        prep: Effect.succeed([1, 2, 3, 4, 5]),
        exec: (i: number) => sequential.track(Effect.sleep(i))
      })))
      assert.strictEqual(yield* sequential.max, 1)
      const unbounded = yield* makeGauge
      yield* runAdvancing(Node.run(Node.batch({
        name: "unbounded",
        prep: Effect.succeed(Array.from({ length: 50 }, (_, i) => i)),
        exec: (i: number) => unbounded.track(Effect.sleep(10 + i)),
        concurrency: "unbounded"
      })))
      assert.strictEqual(yield* unbounded.max, 50)
    }))

  it.effect("Flow.batch with concurrency 2 never runs more than 2 inner flows at once", () =>
    Effect.gen(function*() {
      class Item extends Context.Service<Item, { readonly id: number }>()("test/concurrency/Item") {}
      const gauge = yield* makeGauge
      const work = Node.make({
        name: "work",
        prep: Item,
        exec: ({ id }) => gauge.track(Effect.sleep(5 + (id % 3) * 5))
      })
      const inner = Flow.make({ name: "inner", start: work })
      const batch = Flow.batch({
        name: "pairs",
        flow: inner,
        params: Item,
        prep: Effect.succeed(Array.from({ length: 9 }, (_, id) => ({ id }))),
        concurrency: 2
      })
      yield* runAdvancing(Node.run(batch))
      assert.strictEqual(yield* gauge.max, 2)
    }))

  it.effect("a limited batch inside a limited batch flow multiplies the limits", () =>
    Effect.gen(function*() {
      class Group extends Context.Service<Group, { readonly group: number }>()("test/concurrency/Group") {}
      const gauge = yield* makeGauge
      const items = Node.batch({
        name: "items",
        prep: Group.pipe(Effect.map(() => [1, 2, 3, 4, 5])),
        exec: (i: number) => gauge.track(Effect.sleep(10 * i)),
        concurrency: 2
      })
      const groups = Flow.batch({
        name: "groups",
        flow: items,
        params: Group,
        prep: Effect.succeed([{ group: 1 }, { group: 2 }, { group: 3 }, { group: 4 }]),
        concurrency: 3
      })
      yield* runAdvancing(Node.run(groups))
      assert.strictEqual(yield* gauge.max, 6)
    }))
})

describe("shared store under concurrency", () => {
  class Counter extends Shared.Service<Counter, { readonly count: number }>()("test/concurrency/Counter") {}
  class Slot extends Context.Service<Slot, { readonly slot: number }>()("test/concurrency/Slot") {}

  const runBranches = <E>(node: Node.Node<"default", E, Counter | Slot>, branches: number) =>
    Effect.gen(function*() {
      const all = Flow.batch({
        name: "branches",
        flow: node,
        params: Slot,
        prep: Effect.succeed(Array.from({ length: branches }, (_, slot) => ({ slot }))),
        concurrency: "unbounded"
      })
      yield* all
      return (yield* Counter.get).count
    }).pipe(Effect.provide(Counter.layer({ count: 0 })))

  it.effect("1000 parallel branches each updating the store: no update is lost", () =>
    Effect.gen(function*() {
      const increment = Node.make({
        name: "increment",
        prep: Slot,
        // every branch suspends before writing so that all of them are in flight together
        exec: ({ slot }) => Effect.sleep(slot % 7),
        post: () => Counter.update((s) => ({ count: s.count + 1 }))
      })
      const count = yield* runAdvancing(runBranches(increment, 1000))
      assert.strictEqual(count, 1000)
    }))

  it.effect("Store.modify returns distinct tickets to 500 parallel branches", () =>
    Effect.gen(function*() {
      const tickets: Array<number> = []
      const take = Node.make({
        name: "take",
        prep: Slot,
        exec: ({ slot }) => Effect.sleep(slot % 5),
        post: () =>
          Counter.modify((s) => [s.count, { count: s.count + 1 }] as const).pipe(
            Effect.map((ticket) => void tickets.push(ticket))
          )
      })
      const count = yield* runAdvancing(runBranches(take, 500))
      assert.strictEqual(count, 500)
      assert.deepStrictEqual([...tickets].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i))
    }))

  it.effect("control: a non-atomic read-then-write across a suspension does lose updates (the test can fail)", () =>
    Effect.gen(function*() {
      const racy = Node.make({
        name: "racy",
        prep: Effect.gen(function*() {
          yield* Slot
          return yield* Counter.get
        }),
        exec: () => Effect.sleep(1),
        post: (seen) => Counter.set({ count: seen.count + 1 })
      })
      const count = yield* runAdvancing(runBranches(racy, 100))
      assert.isBelow(count, 100)
    }))
})
