/**
 * Interrupting a running flow stops its in-flight work: no batch item starts or completes after the
 * interrupt, and nodes after the interrupted one never run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node } from "../../src/index.ts"

const makeJournal = () => {
  const events: Array<string> = []
  const record = (event: string) => Effect.sync(() => void events.push(event))
  return { events, record }
}

describe("interruption", () => {
  it.effect("interrupting a flow stops its in-flight batch items; none starts or completes afterwards", () =>
    Effect.gen(function*() {
      const { events, record } = makeJournal()
      const items = Node.batch({
        name: "items",
        prep: Effect.succeed([1, 2, 3, 4, 5, 6]),
        exec: (i: number) =>
          record(`start ${i}`).pipe(
            Effect.andThen(Effect.sleep("100 millis")),
            Effect.andThen(record(`end ${i}`)),
            Effect.onInterrupt(() => record(`interrupted ${i}`))
          ),
        concurrency: 2
      })
      const after = Node.make({ name: "after", exec: () => record("after ran") })
      const flow = Flow.make({ name: "interruptible", start: items }).pipe(Flow.next(items, after))
      const fiber = yield* Effect.forkChild(Flow.run(flow))
      yield* TestClock.adjust("150 millis") // items 1, 2 done at 100ms; 3, 4 in flight
      yield* Fiber.interrupt(fiber)
      const atInterrupt = [...events]
      // slot order between items is the scheduler's business; the set of events is not
      assert.sameMembers(atInterrupt, [
        "start 1",
        "start 2",
        "end 1",
        "end 2",
        "start 3",
        "start 4",
        "interrupted 3",
        "interrupted 4"
      ])
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(events, atInterrupt, "nothing happened after the interrupt")
      assert.notInclude(events, "start 5")
      assert.notInclude(events, "end 3")
      assert.notInclude(events, "after ran")
    }))

  it.effect("interrupting an unbounded batch interrupts every item", () =>
    Effect.gen(function*() {
      const { events, record } = makeJournal()
      const node = Node.batch({
        name: "all",
        prep: Effect.succeed(Array.from({ length: 20 }, (_, i) => i)),
        exec: (i: number) =>
          Effect.sleep(`${10 + i} millis`).pipe(
            Effect.andThen(record(`end ${i}`)),
            Effect.onInterrupt(() => record(`interrupted ${i}`))
          ),
        concurrency: "unbounded"
      })
      const fiber = yield* Effect.forkChild(Node.run(node))
      yield* TestClock.adjust("15 millis") // items 0..5 done
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(events.filter((e) => e.startsWith("end")), [0, 1, 2, 3, 4, 5].map((i) => `end ${i}`))
      assert.strictEqual(events.filter((e) => e.startsWith("interrupted")).length, 14)
    }))

  it.effect("interrupting a batch flow stops its running inner flows and starts no new ones", () =>
    Effect.gen(function*() {
      class Id extends Context.Service<Id, { readonly id: number }>()("test/interruption/Id") {}
      const { events, record } = makeJournal()
      const step = (name: string) =>
        Node.make({
          name,
          prep: Id,
          exec: ({ id }) =>
            record(`${name} start ${id}`).pipe(
              Effect.andThen(Effect.sleep("100 millis")),
              Effect.andThen(record(`${name} end ${id}`))
            )
        })
      const first = step("first")
      const second = step("second")
      const inner = Flow.make({ name: "inner", start: first }).pipe(Flow.next(first, second))
      const batch = Flow.batch({
        name: "batch",
        flow: inner,
        params: Id,
        prep: Effect.succeed([{ id: 1 }, { id: 2 }, { id: 3 }]),
        concurrency: 2
      })
      const fiber = yield* Effect.forkChild(Node.run(batch))
      yield* TestClock.adjust("150 millis") // both inner flows are in their second node
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("10 seconds")
      assert.sameMembers(events, [
        "first start 1",
        "first start 2",
        "first end 1",
        "second start 1",
        "first end 2",
        "second start 2"
      ])
    }))

  it.effect("interrupting a long loop stops it between steps", () =>
    Effect.gen(function*() {
      let steps = 0
      const tick = Node.make({
        name: "tick",
        exec: () => Effect.sleep("1 second"),
        post: () => Effect.sync(() => steps++).pipe(Node.as("again"))
      })
      const loop = Flow.make({ name: "forever", start: tick }).pipe(Flow.on(tick, "again", tick))
      const fiber = yield* Effect.forkChild(Flow.run(loop))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.interrupt(fiber)
      const at = steps
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(at, 10)
      assert.strictEqual(steps, 10)
    }))
})
