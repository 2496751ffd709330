/**
 * Ports PocketFlow's parallel batch node behaviour (`Node.batch({ concurrency: "unbounded" })`), with virtual
 * time instead of wall-clock measurements:
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_parallel_processing
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_empty_input
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_single_item
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_large_batch
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_error_handling
 * - tests/test_async_parallel_batch_node.py::TestAsyncParallelBatchNode::test_concurrent_execution
 * - tests/test_async_batch_none_handling.py::TestAsyncParallelBatchNodeNoneHandling::
 *   test_async_parallel_batch_node_empty_list_returns_empty
 * - tests/test_async_batch_none_handling.py::TestAsyncParallelBatchNodeNoneHandling::
 *   test_async_parallel_batch_node_with_data (here results keep item order, which is stronger than a set)
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, type Duration, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Node, Shared } from "../../src/index.ts"

interface State {
  readonly inputNumbers: ReadonlyArray<number>
  readonly processed: ReadonlyArray<number> | undefined
}
class Store extends Shared.Service<Store, State>()("test/parallel-batch-node/Store") {}

class ItemFailed extends Data.TaggedError("ItemFailed")<{ readonly item: number }> {}

const processor = <E = never>(
  delay: (n: number) => Duration.Input,
  exec?: (n: number) => Effect.Effect<number, E>
) =>
  Node.batch({
    name: "parallel-number-processor",
    prep: Store.get.pipe(Effect.map((s) => s.inputNumbers)),
    exec: (n: number) => Effect.andThen(Effect.sleep(delay(n)), exec === undefined ? Effect.succeed(n * 2) : exec(n)),
    post: (_items, results) => Store.update((s) => ({ ...s, processed: results })).pipe(Node.as("processed")),
    concurrency: "unbounded"
  })

/** Runs a node on a store holding `numbers`, advancing virtual time by `advance`; reports the elapsed time. */
const runTimed = <A, E>(node: Effect.Effect<A, E, Store>, numbers: ReadonlyArray<number>, advance: Duration.Input) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(node)
        const elapsed = (yield* Clock.currentTimeMillis) - start
        const state = yield* Store.get
        return { exit, elapsed, state }
      }).pipe(Effect.provide(Store.layer({ inputNumbers: numbers, processed: undefined })))
    )
    yield* TestClock.adjust(advance)
    return yield* Fiber.join(fiber)
  })

describe("PocketFlow test_async_parallel_batch_node", () => {
  it.effect("test_parallel_processing: five 100ms items finish together after 100ms", () =>
    Effect.gen(function*() {
      const { elapsed, exit, state } = yield* runTimed(processor(() => "100 millis"), [0, 1, 2, 3, 4], "1 second")
      assert.deepStrictEqual(exit, Exit.succeed("processed"))
      assert.deepStrictEqual(state.processed, [0, 2, 4, 6, 8])
      assert.strictEqual(elapsed, 100) // sequential would take 500
    }))

  it.effect("test_empty_input: post runs with []", () =>
    Effect.gen(function*() {
      const { elapsed, state } = yield* runTimed(processor(() => "100 millis"), [], "0 millis")
      assert.deepStrictEqual(state.processed, [])
      assert.strictEqual(elapsed, 0)
    }))

  it.effect("test_single_item: one item", () =>
    Effect.gen(function*() {
      const { state } = yield* runTimed(processor(() => "100 millis"), [42], "100 millis")
      assert.deepStrictEqual(state.processed, [84])
    }))

  it.effect("test_large_batch: a hundred items, in order, in one delay", () =>
    Effect.gen(function*() {
      const numbers = Array.from({ length: 100 }, (_, i) => i)
      const { elapsed, state } = yield* runTimed(processor(() => "10 millis"), numbers, "10 millis")
      assert.deepStrictEqual(state.processed, numbers.map((n) => n * 2))
      assert.strictEqual(elapsed, 10)
    }))

  it.effect("test_error_handling: a failing item fails the node with its error and interrupts the others", () =>
    Effect.gen(function*() {
      const finished: Array<number> = []
      const failing = processor(
        (n) => (n === 2 ? "10 millis" : "50 millis"),
        (n) => (n === 2 ? Effect.fail(new ItemFailed({ item: n })) : Effect.sync(() => (finished.push(n), n)))
      )
      const { elapsed, exit, state } = yield* runTimed(failing, [1, 2, 3], "1 second")
      assert.deepStrictEqual(exit, Exit.fail(new ItemFailed({ item: 2 })))
      assert.deepStrictEqual(finished, [], "the slower items were interrupted before finishing")
      assert.strictEqual(state.processed, undefined, "post did not run")
      assert.strictEqual(elapsed, 10)
    }))

  it.effect("test_concurrent_execution: faster items finish first, results stay in item order", () =>
    Effect.gen(function*() {
      const completionOrder: Array<number> = []
      const tracking = processor(
        (n) => (n % 2 === 0 ? "100 millis" : "50 millis"),
        (n) => Effect.sync(() => (completionOrder.push(n), n))
      )
      const { elapsed, state } = yield* runTimed(tracking, [0, 1, 2, 3], "1 second")
      assert.isBelow(completionOrder.indexOf(1), completionOrder.indexOf(0))
      assert.isBelow(completionOrder.indexOf(3), completionOrder.indexOf(2))
      assert.deepStrictEqual(completionOrder, [1, 3, 0, 2])
      assert.deepStrictEqual(state.processed, [0, 1, 2, 3])
      assert.strictEqual(elapsed, 100)
    }))

  it.effect("every item has started before any finishes (proof of concurrency)", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const node = Node.batch({
        name: "overlap",
        prep: Effect.succeed([1, 2, 3]),
        exec: (n: number) =>
          Effect.sync(() => events.push(`start ${n}`)).pipe(
            Effect.andThen(Effect.sleep("10 millis")),
            Effect.andThen(Effect.sync(() => events.push(`end ${n}`)))
          ),
        concurrency: "unbounded"
      })
      const fiber = yield* Effect.forkChild(Node.run(node))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(events.slice(0, 3), ["start 1", "start 2", "start 3"])
      assert.sameMembers(events.slice(3), ["end 1", "end 2", "end 3"])
    }))
})

describe("PocketFlow test_async_batch_none_handling (parallel)", () => {
  const collect = (items: ReadonlyArray<string>) => {
    let received: { items: ReadonlyArray<string>; results: ReadonlyArray<string> } | undefined
    const node = Node.batch({
      name: "collect",
      prep: Effect.succeed(items),
      // later items finish first
      exec: (item: string) =>
        Effect.as(Effect.sleep(`${10 * (items.length - items.indexOf(item))} millis`), `processed:${item}`),
      post: (items, results) => Effect.sync(() => void (received = { items, results })),
      concurrency: "unbounded"
    })
    return Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Node.run(node))
      yield* TestClock.adjust("1 second")
      const action = yield* Fiber.join(fiber)
      return { action, received }
    })
  }

  it.effect("test_async_parallel_batch_node_empty_list_returns_empty", () =>
    Effect.gen(function*() {
      const { action, received } = yield* collect([])
      assert.deepStrictEqual(received, { items: [], results: [] })
      assert.strictEqual(action, "default")
    }))

  it.effect("test_async_parallel_batch_node_with_data: results in item order although they finish reversed", () =>
    Effect.gen(function*() {
      const { received } = yield* collect(["a", "b", "c"])
      assert.deepStrictEqual(received?.results, ["processed:a", "processed:b", "processed:c"])
    }))
})
