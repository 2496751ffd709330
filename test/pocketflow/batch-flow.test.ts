/**
 * Ports PocketFlow's batch flow behaviour (sequential batch flows, `concurrency: 1`, the default). PocketFlow's
 * `self.params` dicts become typed services that `Flow.batch` provides to each run:
 * - tests/test_batch_flow.py::TestBatchFlow::test_basic_batch_processing
 * - tests/test_batch_flow.py::TestBatchFlow::test_empty_input
 * - tests/test_batch_flow.py::TestBatchFlow::test_single_item
 * - tests/test_batch_flow.py::TestBatchFlow::test_error_handling
 * - tests/test_batch_flow.py::TestBatchFlow::test_nested_flow
 * - tests/test_batch_flow.py::TestBatchFlow::test_custom_parameters
 * - tests/test_async_batch_flow.py::TestAsyncBatchFlow::test_basic_async_batch_processing
 * - tests/test_async_batch_flow.py::TestAsyncBatchFlow::test_empty_async_batch
 * - tests/test_async_batch_flow.py::TestAsyncBatchFlow::test_async_error_handling
 * - tests/test_async_batch_flow.py::TestAsyncBatchFlow::test_nested_async_flow
 * - tests/test_async_batch_flow.py::TestAsyncBatchFlow::test_custom_async_parameters
 * - PocketFlow-Typescript tests/core-abstraction-examples.test.ts::"should process multiple files" (a batch
 *   flow whose inner flow is load → summarize)
 * - PocketFlow's nested batch flows (docs "Nested or Multi-Level Batches": a batch flow per directory running
 *   a batch flow per file, where the innermost node sees the merged params of both)
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Data, Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly input: Readonly<Record<string, number>>
  readonly intermediate: Readonly<Record<string, number>>
  readonly results: Readonly<Record<string, number>>
  readonly log: ReadonlyArray<string>
}
class Store extends Shared.Service<Store, State>()("test/batch-flow/Store") {}
const withInput = (input: Record<string, number>): State => ({ input, intermediate: {}, results: {}, log: [] })

class KeyParams extends Context.Service<KeyParams, { readonly key: string; readonly multiplier?: number }>()(
  "test/batch-flow/KeyParams"
) {}

class KeyError extends Data.TaggedError("KeyError")<{ readonly key: string }> {}

const keysOf = Store.get.pipe(Effect.map((s) => Object.keys(s.input).map((key) => ({ key }))))

const setResult = (key: string, value: number) =>
  Store.update((s) => ({ ...s, results: { ...s.results, [key]: value } }))

/** Reads its key from the params service and doubles that input. */
const dataProcess = Node.make({
  name: "data-process",
  prep: Effect.gen(function*() {
    const { key } = yield* KeyParams
    const { input } = yield* Store.get
    return { key, data: input[key]! }
  }),
  exec: ({ data }) => Effect.succeed(data * 2),
  post: ({ key }, doubled) => setResult(key, doubled).pipe(Node.as("processed"))
})

const runWithStore = <A, E>(self: Effect.Effect<A, E, Store>, init: State) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(self)
    const state = yield* Store.get
    return { exit, state }
  }).pipe(Effect.provide(Store.layer(init)))

describe("PocketFlow test_batch_flow / test_async_batch_flow", () => {
  it.effect("test_basic_batch_processing: the inner node runs once per key", () =>
    Effect.gen(function*() {
      const flow = Flow.batch({ name: "simple-batch", flow: dataProcess, params: KeyParams, prep: keysOf })
      const { exit, state } = yield* runWithStore(flow, withInput({ a: 1, b: 2, c: 3 }))
      assert.deepStrictEqual(exit, Exit.succeed("default"))
      assert.deepStrictEqual(state.results, { a: 2, b: 4, c: 6 })
    }))

  it.effect("test_empty_input: no parameter sets, no runs, post still runs with []", () =>
    Effect.gen(function*() {
      let postArgs: unknown
      const flow = Flow.batch({
        name: "empty-batch",
        flow: dataProcess,
        params: KeyParams,
        prep: keysOf,
        post: (params, actions) => Effect.sync(() => void (postArgs = { params, actions }))
      })
      const { exit, state } = yield* runWithStore(flow, withInput({}))
      assert.deepStrictEqual(exit, Exit.succeed("default"))
      assert.deepStrictEqual(state.results, {})
      assert.deepStrictEqual(postArgs, { params: [], actions: [] })
    }))

  it.effect("test_single_item: one parameter set", () =>
    Effect.gen(function*() {
      const flow = Flow.batch({ name: "single-batch", flow: dataProcess, params: KeyParams, prep: keysOf })
      const { state } = yield* runWithStore(flow, withInput({ single: 5 }))
      assert.deepStrictEqual(state.results, { single: 10 })
    }))

  it.effect("test_error_handling: a failing run fails the batch flow; later runs never start", () =>
    Effect.gen(function*() {
      const errorProcess = Node.make({
        name: "error-process",
        prep: Effect.gen(function*() {
          const { key } = yield* KeyParams
          yield* Store.update((s) => ({ ...s, log: [...s.log, key] }))
          if (key === "error_key") return yield* new KeyError({ key })
          yield* setResult(key, 1)
        })
      })
      const flow = Flow.batch({ name: "error-batch", flow: errorProcess, params: KeyParams, prep: keysOf })
      const { exit, state } = yield* runWithStore(flow, withInput({ normal_key: 1, error_key: 2, another_key: 3 }))
      assert.deepStrictEqual(exit, Exit.fail(new KeyError({ key: "error_key" })))
      assert.deepStrictEqual(state.log, ["normal_key", "error_key"])
      assert.deepStrictEqual(state.results, { normal_key: 1 })
    }))

  it.effect("test_nested_flow: the batch runs a two-node flow per key", () =>
    Effect.gen(function*() {
      const inner = Node.make({
        name: "inner",
        post: () =>
          Effect.gen(function*() {
            const { key } = yield* KeyParams
            yield* Store.update((s) => ({ ...s, intermediate: { ...s.intermediate, [key]: s.input[key]! + 1 } }))
            return "next" as const // a single literal returned from Effect.gen widens to string without it
          })
      })
      const outer = Node.make({
        name: "outer",
        post: () =>
          Effect.gen(function*() {
            const { key } = yield* KeyParams
            const { intermediate } = yield* Store.get
            yield* setResult(key, intermediate[key]! * 2)
            return "done" as const
          })
      })
      const perKey = Flow.make({ name: "per-key", start: inner }).pipe(Flow.on(inner, "next", outer))
      const flow = Flow.batch({ name: "nested-batch", flow: perKey, params: KeyParams, prep: keysOf })
      const { state } = yield* runWithStore(flow, withInput({ x: 1, y: 2 }))
      assert.deepStrictEqual(state.results, { x: 4, y: 6 })
    }))

  it.effect("test_custom_parameters: a parameter set carries more than a key", () =>
    Effect.gen(function*() {
      const customParam = Node.make({
        name: "custom-param",
        prep: Effect.gen(function*() {
          const { key, multiplier } = yield* KeyParams
          const { input } = yield* Store.get
          return { key, value: input[key]! * (multiplier ?? 1) }
        }),
        post: ({ key, value }) => setResult(key, value)
      })
      const flow = Flow.batch({
        name: "custom-batch",
        flow: customParam,
        params: KeyParams,
        prep: Store.get.pipe(Effect.map((s) => Object.keys(s.input).map((key, i) => ({ key, multiplier: i + 1 }))))
      })
      const { state } = yield* runWithStore(flow, withInput({ a: 1, b: 2, c: 3 }))
      assert.deepStrictEqual(state.results, { a: 1, b: 4, c: 9 })
    }))

  it.effect("test_basic_async_batch_processing: sleeping runs go one after another; post sees every action", () =>
    Effect.gen(function*() {
      const slow = Node.make({
        name: "slow-process",
        prep: Effect.gen(function*() {
          const { key } = yield* KeyParams
          const { input } = yield* Store.get
          return { key, data: input[key]! }
        }),
        post: ({ data, key }) =>
          Effect.sleep("10 millis").pipe(Effect.andThen(setResult(key, data * 2)), Node.as("processed"))
      })
      let actions: ReadonlyArray<string> = []
      const flow = Flow.batch({
        name: "async-batch",
        flow: slow,
        params: KeyParams,
        prep: keysOf,
        post: (_params, runActions) => Effect.sync(() => void (actions = runActions)).pipe(Node.as("all-done"))
      })
      const fiber = yield* Effect.forkChild(Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const result = yield* runWithStore(flow, withInput({ a: 1, b: 2, c: 3 }))
        return { ...result, elapsed: (yield* Clock.currentTimeMillis) - start }
      }))
      yield* TestClock.adjust("100 millis")
      const { elapsed, exit, state } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.succeed("all-done"))
      assert.deepStrictEqual(state.results, { a: 2, b: 4, c: 6 })
      assert.deepStrictEqual(actions, ["processed", "processed", "processed"])
      assert.strictEqual(elapsed, 30)
    }))
})

describe("batch flows with flows inside and batch flows inside", () => {
  class FileParams extends Context.Service<FileParams, { readonly file: string }>()("test/batch-flow/FileParams") {}
  class DirParams extends Context.Service<DirParams, { readonly dir: string }>()("test/batch-flow/DirParams") {}

  it.effect("summarize all files: a batch flow over a load → summarize flow", () =>
    Effect.gen(function*() {
      const load = Node.make({
        name: "load-file",
        prep: FileParams,
        exec: ({ file }) => Effect.succeed(`Content of ${file}`),
        post: ({ file }, content) => Store.update((s) => ({ ...s, log: [...s.log, `${file}: ${content}`] }))
      })
      const summarize = Node.make({
        name: "summarize-file",
        prep: FileParams,
        post: ({ file }) => Store.update((s) => ({ ...s, log: [...s.log, `summary of ${file}`] }))
      })
      const perFile = Flow.make({ name: "per-file", start: load }).pipe(Flow.next(load, summarize))
      const all = Flow.batch({
        name: "all-files",
        flow: perFile,
        params: FileParams,
        prep: Effect.succeed(["file1.txt", "file2.txt"].map((file) => ({ file })))
      })
      const { state } = yield* runWithStore(all, withInput({}))
      assert.deepStrictEqual(state.log, [
        "file1.txt: Content of file1.txt",
        "summary of file1.txt",
        "file2.txt: Content of file2.txt",
        "summary of file2.txt"
      ])
    }))

  it.effect("nested batch flows merge params: the inner node sees the outer dir and the inner file", () =>
    Effect.gen(function*() {
      const tree: Record<string, ReadonlyArray<string>> = { docs: ["a.md", "b.md"], src: ["x.ts"], empty: [] }
      const visit = Node.make({
        name: "visit",
        prep: Effect.gen(function*() {
          const { dir } = yield* DirParams
          const { file } = yield* FileParams
          return `${dir}/${file}`
        }),
        post: (path) => Store.update((s) => ({ ...s, log: [...s.log, path] }))
      })
      // the per-file batch flow reads DirParams (from the outer batch) to list its files
      const perFile = Flow.batch({
        name: "per-file",
        flow: visit,
        params: FileParams,
        prep: DirParams.pipe(Effect.map(({ dir }) => tree[dir]!.map((file) => ({ file }))))
      })
      const perDir = Flow.batch({
        name: "per-dir",
        flow: perFile,
        params: DirParams,
        prep: Effect.succeed(Object.keys(tree).map((dir) => ({ dir })))
      })
      const { exit, state } = yield* runWithStore(perDir, withInput({}))
      assert.deepStrictEqual(exit, Exit.succeed("default"))
      assert.deepStrictEqual(state.log, ["docs/a.md", "docs/b.md", "src/x.ts"])
    }))

  it.effect("an inner batch's params shadow an outer batch's params of the same service", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const show = Node.make({
        name: "show",
        prep: FileParams,
        post: ({ file }) => Effect.sync(() => void seen.push(file))
      })
      const inner = Flow.batch({
        name: "inner",
        flow: show,
        params: FileParams,
        prep: FileParams.pipe(Effect.map(({ file }) => [{ file: `${file}.1` }, { file: `${file}.2` }]))
      })
      const outer = Flow.batch({
        name: "outer",
        flow: inner,
        params: FileParams,
        prep: Effect.succeed([{ file: "a" }, { file: "b" }])
      })
      yield* outer
      assert.deepStrictEqual(seen, ["a.1", "a.2", "b.1", "b.2"])
    }))
})
