/**
 * Concurrency guarantees PocketFlow does not test: `concurrency: n` of a batch node (and of a batch flow, alone or
 * around a batch node) is a hard limit.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { Flow, Node } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"
import { makeGauge } from "../support/tracing.ts"

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
        yield* advancing(Node.run(node))
        assert.strictEqual(yield* gauge.max, limit)
        assert.strictEqual(yield* gauge.running, 0)
      }))
  }

  it.effect("Node.batch without concurrency runs one item at a time; \"unbounded\" runs them all at once", () =>
    Effect.gen(function*() {
      const sequential = yield* makeGauge
      yield* advancing(Node.run(Node.batch({
        name: "sequential",
        prep: Effect.succeed([1, 2, 3, 4, 5]),
        exec: (i: number) => sequential.track(Effect.sleep(i))
      })))
      assert.strictEqual(yield* sequential.max, 1)
      const unbounded = yield* makeGauge
      yield* advancing(Node.run(Node.batch({
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
      yield* advancing(Node.run(batch))
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
      yield* advancing(Node.run(groups))
      assert.strictEqual(yield* gauge.max, 6)
    }))
})
