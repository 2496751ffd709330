/**
 * Concurrency guarantee PocketFlow does not test: parallel branches updating the shared store never lose an update.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"

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
      const count = yield* advancing(runBranches(increment, 1000))
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
      const count = yield* advancing(runBranches(take, 500))
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
      const count = yield* advancing(runBranches(racy, 100))
      assert.isBelow(count, 100)
    }))
})
