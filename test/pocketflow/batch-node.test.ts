/**
 * Ports PocketFlow's batch node behaviour (sequential batches, `concurrency: 1`, the default):
 * - tests/test_batch_node.py::TestBatchNode::test_array_chunking
 * - tests/test_batch_node.py::TestBatchNode::test_map_reduce_sum
 * - tests/test_batch_node.py::TestBatchNode::test_uneven_chunks
 * - tests/test_batch_node.py::TestBatchNode::test_custom_chunk_size
 * - tests/test_batch_node.py::TestBatchNode::test_single_element_chunks
 * - tests/test_batch_node.py::TestBatchNode::test_empty_array
 * - tests/test_async_batch_node.py::TestAsyncBatchNode::test_array_chunking (and its commented-out
 *   test_error_handling)
 * - tests/test_async_batch_none_handling.py::TestBatchNodeNoneHandling::test_batch_node_empty_list_returns_empty
 * - tests/test_async_batch_none_handling.py::TestAsyncBatchNodeNoneHandling::
 *   test_async_batch_node_empty_list_returns_empty
 * - tests/test_async_batch_none_handling.py::TestAsyncBatchNodeNoneHandling::test_async_batch_node_with_data
 * The `None`-prep cases (test_*_none_returns_empty) do not carry over: `Node.batch` requires a `prep` typed
 * as an iterable, and a non-iterable at run time is the defect `InvalidBatchItems` (see
 * test/core/misuse.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, type Duration, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly input: ReadonlyArray<number>
  readonly chunkResults: ReadonlyArray<number> | undefined
  readonly total: number | undefined
}
class Store extends Shared.Service<Store, State>()("test/batch-node/Store") {}
const withInput = (input: ReadonlyArray<number>): State => ({ input, chunkResults: undefined, total: undefined })

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

const chunksOf = (xs: ReadonlyArray<number>, size: number) => {
  const chunks: Array<ReadonlyArray<number>> = []
  for (let start = 0; start < xs.length; start += size) chunks.push(xs.slice(start, start + size))
  return chunks
}

const arrayChunk = (chunkSize: number, execDelay: Duration.Input = 0) =>
  Node.batch({
    name: "array-chunk",
    prep: Store.get.pipe(Effect.map((s) => chunksOf(s.input, chunkSize))),
    exec: (chunk) => Effect.as(Effect.sleep(execDelay), sum(chunk)),
    post: (_chunks, sums) => Store.update((s) => ({ ...s, chunkResults: sums })).pipe(Node.as("default"))
  })

const sumReduce = Node.make({
  name: "sum-reduce",
  prep: Store.update((s) => ({ ...s, total: sum(s.chunkResults ?? []) }))
})

const runWithStore = <A, E>(self: Effect.Effect<A, E, Store>, init: State) =>
  Effect.gen(function*() {
    const action = yield* self
    const state = yield* Store.get
    return { action, state }
  }).pipe(Effect.provide(Store.layer(init)))

const mapReduce = (input: ReadonlyArray<number>, chunkSize: number) => {
  const chunk = arrayChunk(chunkSize)
  const pipeline = Flow.make({ name: "map-reduce", start: chunk }).pipe(Flow.next(chunk, sumReduce))
  return runWithStore(pipeline, withInput(input))
}

describe("PocketFlow test_batch_node", () => {
  it.effect("test_array_chunking: a batch node run on its own sums each chunk, in order", () =>
    Effect.gen(function*() {
      const { action, state } = yield* runWithStore(Node.run(arrayChunk(10)), withInput(range(25)))
      assert.deepStrictEqual(state.chunkResults, [45, 145, 110])
      assert.strictEqual(action, "default")
    }))

  it.effect("test_map_reduce_sum: chunk sums reduced by the next node", () =>
    Effect.gen(function*() {
      const { state } = yield* mapReduce(range(100), 10)
      assert.strictEqual(state.total, 4950)
      assert.strictEqual(state.chunkResults?.length, 10)
    }))

  it.effect("test_uneven_chunks: a short last chunk is summed too", () =>
    Effect.gen(function*() {
      const { state } = yield* mapReduce(range(25), 10)
      assert.strictEqual(state.total, 300)
    }))

  it.effect("test_custom_chunk_size: chunks of 15", () =>
    Effect.gen(function*() {
      const { state } = yield* mapReduce(range(100), 15)
      assert.strictEqual(state.total, 4950)
      assert.deepStrictEqual(state.chunkResults, chunksOf(range(100), 15).map(sum))
      assert.strictEqual(state.chunkResults?.length, 7)
    }))

  it.effect("test_single_element_chunks: chunks of one element", () =>
    Effect.gen(function*() {
      const { state } = yield* mapReduce(range(5), 1)
      assert.strictEqual(state.total, 10)
      assert.deepStrictEqual(state.chunkResults, [0, 1, 2, 3, 4])
    }))

  it.effect("test_empty_array: an empty batch runs post with [] and the flow goes on", () =>
    Effect.gen(function*() {
      const { state } = yield* mapReduce([], 10)
      assert.deepStrictEqual(state.chunkResults, [])
      assert.strictEqual(state.total, 0)
    }))
})

class ItemFailed extends Data.TaggedError("ItemFailed")<{ readonly item: number }> {}

describe("PocketFlow test_async_batch_node and test_async_batch_none_handling", () => {
  it.effect("test_array_chunking (async): sleeping items run one after another by default", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(runWithStore(Node.run(arrayChunk(10, "10 millis")), withInput(range(25))))
      yield* TestClock.adjust("29 millis")
      assert.isUndefined(fiber.pollUnsafe(), "three sequential 10ms items cannot be done after 29ms")
      yield* TestClock.adjust("1 millis")
      const { action, state } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(state.chunkResults, [45, 145, 110])
      assert.strictEqual(action, "default")
    }))

  it.effect("test_error_handling (async): a failing item fails the node with its error; later items never run", () =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const node = Node.batch({
        name: "error-batch",
        prep: Effect.succeed([1, 2, 3]),
        exec: (item) =>
          Effect.sync(() => started.push(item)).pipe(
            Effect.andThen(item === 2 ? Effect.fail(new ItemFailed({ item })) : Effect.succeed(item))
          )
      })
      const exit = yield* Effect.exit(Node.run(node))
      assert.deepStrictEqual(exit, Exit.fail(new ItemFailed({ item: 2 })))
      assert.deepStrictEqual(started, [1, 2])
    }))

  const collect = (items: ReadonlyArray<string>) => {
    let received: { items: ReadonlyArray<string>; results: ReadonlyArray<string> } | undefined
    const node = Node.batch({
      name: "collect",
      prep: Effect.succeed(items),
      exec: (item) => Effect.succeed(`processed:${item}`),
      post: (items, results) => Effect.sync(() => void (received = { items, results }))
    })
    return Effect.map(Node.run(node), (action) => ({ action, received }))
  }

  it.effect("test_batch_node_empty_list_returns_empty / test_async_batch_node_empty_list_returns_empty", () =>
    Effect.gen(function*() {
      const { action, received } = yield* collect([])
      assert.deepStrictEqual(received, { items: [], results: [] })
      assert.strictEqual(action, "default")
    }))

  it.effect("test_async_batch_node_with_data: results arrive in item order", () =>
    Effect.gen(function*() {
      const { received } = yield* collect(["a", "b", "c"])
      assert.deepStrictEqual(received, {
        items: ["a", "b", "c"],
        results: ["processed:a", "processed:b", "processed:c"]
      })
    }))

  it.effect("prep may yield any iterable, e.g. a generator; post receives it as an array", () =>
    Effect.gen(function*() {
      let seen: ReadonlyArray<number> = []
      const node = Node.batch({
        name: "from-generator",
        prep: Effect.sync(function*() {
          yield 1
          yield 2
        }),
        exec: (n: number) => Effect.succeed(n * 10),
        post: (_items, results) => Effect.sync(() => void (seen = results))
      })
      yield* Node.run(node)
      assert.deepStrictEqual(seen, [10, 20])
    }))

  it.effect("a batch node's time is the sum of its items when sequential", () =>
    Effect.gen(function*() {
      const node = Node.batch({
        name: "timed",
        prep: Effect.succeed([30, 10, 20]),
        exec: (ms) => Effect.as(Effect.sleep(ms), ms)
      })
      const fiber = yield* Effect.forkChild(Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        yield* node
        return (yield* Clock.currentTimeMillis) - start
      }))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 60)
    }))
})
