/**
 * Ports PocketFlow's parallel batch flow behaviour (`Flow.batch({ concurrency: "unbounded" })` over a flow
 * that contains a parallel batch node), with virtual time instead of wall-clock measurements:
 * - tests/test_async_parallel_batch_flow.py::TestAsyncParallelBatchFlow::test_parallel_batch_flow
 * - tests/test_async_parallel_batch_flow.py::TestAsyncParallelBatchFlow::test_error_handling
 * - tests/test_async_parallel_batch_flow.py::TestAsyncParallelBatchFlow::test_multiple_batch_sizes
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Data, type Duration, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly batches: ReadonlyArray<ReadonlyArray<number>>
  readonly processed: Readonly<Record<number, ReadonlyArray<number>>>
  readonly total: number | undefined
}
class Store extends Shared.Service<Store, State>()("test/parallel-batch-flow/Store") {}
class BatchId extends Context.Service<BatchId, { readonly batchId: number }>()("test/parallel-batch-flow/BatchId") {}

class ItemFailed extends Data.TaggedError("ItemFailed")<{ readonly item: number }> {}

const processor = <E = never>(delay: Duration.Input, exec?: (n: number) => Effect.Effect<number, E>) =>
  Node.batch({
    name: "processor",
    prep: Effect.gen(function*() {
      const { batchId } = yield* BatchId
      const { batches } = yield* Store.get
      return batches[batchId]!
    }),
    exec: (n: number) => Effect.andThen(Effect.sleep(delay), exec === undefined ? Effect.succeed(n * 2) : exec(n)),
    post: (_items, results) =>
      BatchId.pipe(
        Effect.flatMap(({ batchId }) =>
          Store.update((s) => ({ ...s, processed: { ...s.processed, [batchId]: results } }))
        ),
        Node.as("processed")
      ),
    concurrency: "unbounded"
  })

const aggregator = Node.make({
  name: "aggregator",
  prep: Store.get.pipe(
    Effect.map((s) => Object.keys(s.processed).map(Number).sort((a, b) => a - b).flatMap((id) => s.processed[id]!))
  ),
  exec: (all) => Effect.as(Effect.sleep("10 millis"), all.reduce((a, b) => a + b, 0)),
  post: (_all, total) => Store.update((s) => ({ ...s, total })).pipe(Node.as("aggregated"))
})

const perBatch = <E>(node: Node.Node<"processed", E, BatchId | Store>) =>
  Flow.batch({
    name: "parallel-batches",
    flow: Flow.make({ name: "per-batch", start: node }).pipe(Flow.on(node, "processed", aggregator)),
    params: BatchId,
    prep: Store.get.pipe(Effect.map((s) => s.batches.map((_, batchId) => ({ batchId })))),
    concurrency: "unbounded"
  })

const runTimed = <A, E>(flow: Effect.Effect<A, E, Store>, batches: State["batches"]) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(flow)
        const elapsed = (yield* Clock.currentTimeMillis) - start
        return { exit, elapsed, state: yield* Store.get }
      }).pipe(Effect.provide(Store.layer({ batches, processed: {}, total: undefined })))
    )
    yield* TestClock.adjust("10 seconds")
    return yield* Fiber.join(fiber)
  })

const doubledSum = (batches: State["batches"]) => batches.flat().reduce((a, n) => a + n * 2, 0)

describe("PocketFlow test_async_parallel_batch_flow", () => {
  it.effect("test_parallel_batch_flow: batches and their items all run at once", () =>
    Effect.gen(function*() {
      const batches = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
      const { elapsed, exit, state } = yield* runTimed(perBatch(processor("100 millis")), batches)
      assert.deepStrictEqual(exit, Exit.succeed("default"))
      assert.deepStrictEqual(state.processed, { 0: [2, 4, 6], 1: [8, 10, 12], 2: [14, 16, 18] })
      assert.strictEqual(state.total, doubledSum(batches))
      // one item delay plus one aggregation, not 9 × 100ms + 3 × 10ms
      assert.strictEqual(elapsed, 110)
    }))

  it.effect("test_error_handling: a failing item fails the whole batch flow with its error", () =>
    Effect.gen(function*() {
      const failing = processor(
        "10 millis",
        (n) => (n === 2 ? Effect.fail(new ItemFailed({ item: n })) : Effect.succeed(n))
      )
      const { exit, state } = yield* runTimed(perBatch(failing), [[1, 2, 3], [4, 5, 6]])
      assert.deepStrictEqual(exit, Exit.fail(new ItemFailed({ item: 2 })))
      assert.strictEqual(state.total, undefined, "no aggregation ran after the failure")
    }))

  it.effect("test_multiple_batch_sizes: batches of different sizes", () =>
    Effect.gen(function*() {
      const batches = [[1], [2, 3, 4], [5, 6], [7, 8, 9, 10]]
      const { elapsed, state } = yield* runTimed(perBatch(processor("50 millis")), batches)
      assert.deepStrictEqual(state.processed, { 0: [2], 1: [4, 6, 8], 2: [10, 12], 3: [14, 16, 18, 20] })
      assert.strictEqual(state.total, doubledSum(batches))
      assert.strictEqual(elapsed, 60)
    }))

  it.effect("a batch flow's post receives each run's action in parameter order", () =>
    Effect.gen(function*() {
      class Delay extends Context.Service<Delay, { readonly ms: number }>()("test/parallel-batch-flow/Delay") {}
      const wait = Node.make({
        name: "wait",
        prep: Delay,
        exec: ({ ms }) => Effect.as(Effect.sleep(ms), ms),
        post: (_p, ms) =>
          Effect.gen(function*() {
            return ms > 20 ? "slow" : "fast"
          })
      })
      let seen: ReadonlyArray<string> = []
      const all = Flow.batch({
        name: "all",
        flow: wait,
        params: Delay,
        prep: Effect.succeed([{ ms: 30 }, { ms: 10 }, { ms: 20 }]),
        concurrency: "unbounded",
        post: (_params, actions) => Effect.sync(() => void (seen = actions))
      })
      const { elapsed } = yield* runTimed(all, [])
      assert.deepStrictEqual(seen, ["slow", "fast", "fast"])
      assert.strictEqual(elapsed, 30)
    }))
})
