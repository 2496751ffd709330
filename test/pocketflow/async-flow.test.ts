/**
 * Ports PocketFlow's async node and async flow behaviour (every node is an Effect here, so "async" nodes
 * are ordinary nodes whose steps sleep; time is virtual, driven by TestClock):
 * - tests/test_async_flow.py::TestAsyncNode::test_async_number_node_direct_call
 * - tests/test_async_flow.py::TestAsyncNode::test_async_increment_node_direct_call
 * - tests/test_async_flow.py::TestAsyncFlow::test_simple_async_flow
 * - tests/test_async_flow.py::TestAsyncFlow::test_async_flow_branching
 * - tests/test_async_flow.py::TestAsyncFlow::test_async_composition_with_action_propagation
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, type Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly current: number | undefined
  readonly value: number
  readonly path: string | undefined
  readonly lastSignal: string | undefined
}
class Store extends Shared.Service<Store, State>()("test/async-flow/Store") {}
const empty: State = { current: undefined, value: 0, path: undefined, lastSignal: undefined }

/** Forks `self`, advances the virtual clock by `by`, then joins: sleeps complete without real waiting. */
const runAdvancing = <A, E>(self: Effect.Effect<A, E>, by: Duration.Input) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(self)
    yield* TestClock.adjust(by)
    return yield* Fiber.join(fiber)
  })

const runWithStore = <A, E>(flow: Effect.Effect<A, E, Store>, init: State = empty) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const action = yield* flow
    const state = yield* Store.get
    const elapsed = (yield* Clock.currentTimeMillis) - start
    return { action, state, elapsed }
  }).pipe(Effect.provide(Store.layer(init)))

const asyncNumber = (name: string, n: number) =>
  Node.make({
    name,
    prep: Store.update((s) => ({ ...s, current: n })),
    post: () => Effect.sleep("10 millis").pipe(Node.as("number_set"))
  })
const asyncIncrement = (name: string) =>
  Node.make({
    name,
    prep: Store.update((s) => ({ ...s, current: (s.current ?? 0) + 1 })),
    post: () => Effect.sleep("10 millis").pipe(Node.as("done"))
  })
const asyncSignal = <const S extends string>(name: string, signal: S) =>
  Node.make({
    name,
    prep: Effect.sleep("10 millis"),
    post: () =>
      Store.update((s) => ({ ...s, lastSignal: signal })).pipe(
        Effect.andThen(Effect.sleep("10 millis")),
        Node.as(signal)
      )
  })
const asyncPath = (name: string, path: string) =>
  Node.make({
    name,
    prep: Effect.sleep("10 millis").pipe(Effect.andThen(Store.update((s) => ({ ...s, path })))),
    post: () => Effect.sleep("10 millis")
  })

describe("PocketFlow test_async_flow", () => {
  it.effect("test_async_number_node_direct_call: a node runs on its own and returns its action", () =>
    Effect.gen(function*() {
      const node = asyncNumber("number", 42)
      const { action, elapsed, state } = yield* runAdvancing(runWithStore(Node.run(node)), "10 millis")
      assert.strictEqual(state.current, 42)
      assert.strictEqual(action, "number_set")
      assert.strictEqual(elapsed, 10)
    }))

  it.effect("test_async_increment_node_direct_call: a node is yieldable too", () =>
    Effect.gen(function*() {
      const node = asyncIncrement("increment")
      const program = runWithStore(
        Effect.gen(function*() {
          return yield* node
        }),
        { ...empty, current: 10 }
      )
      const { action, state } = yield* runAdvancing(program, "10 millis")
      assert.strictEqual(state.current, 11)
      assert.strictEqual(action, "done")
    }))

  it.effect("test_simple_async_flow: a named action links two sleeping nodes", () =>
    Effect.gen(function*() {
      const start = asyncNumber("start", 5)
      const increment = asyncIncrement("increment")
      const flow = Flow.make({ name: "simple", start }).pipe(Flow.on(start, "number_set", increment))
      const { action, elapsed, state } = yield* runAdvancing(runWithStore(flow), "20 millis")
      assert.strictEqual(state.current, 6)
      assert.strictEqual(action, "done")
      assert.strictEqual(elapsed, 20) // the two nodes ran one after the other
    }))

  it.effect("test_async_flow_branching: an async post picks the branch", () =>
    Effect.gen(function*() {
      const branching = Node.make({
        name: "branching",
        exec: () => Effect.void,
        post: () =>
          Effect.gen(function*() {
            yield* Effect.sleep("10 millis")
            const { value } = yield* Store.get
            return value >= 0 ? "positive_branch" : "negative_branch"
          })
      })
      const positive = Node.make({ name: "positive", prep: Store.update((s) => ({ ...s, path: "positive" })) })
      const negative = Node.make({ name: "negative", prep: Store.update((s) => ({ ...s, path: "negative" })) })
      const flow = Flow.make({ name: "branching", start: branching }).pipe(
        Flow.on(branching, "positive_branch", positive),
        Flow.on(branching, "negative_branch", negative)
      )
      const up = yield* runAdvancing(runWithStore(flow, { ...empty, value: 10 }), "10 millis")
      assert.strictEqual(up.state.path, "positive")
      const down = yield* runAdvancing(runWithStore(flow, { ...empty, value: -10 }), "10 millis")
      assert.strictEqual(down.state.path, "negative")
    }))

  it.effect("test_async_composition_with_action_propagation: the outer flow branches on the inner flow's action", () =>
    Effect.gen(function*() {
      const innerStart = asyncNumber("inner-start", 200)
      const innerEnd = asyncSignal<"async_inner_done" | "other_action">("inner-end", "async_inner_done")
      const inner = Flow.make({ name: "inner", start: innerStart }).pipe(Flow.on(innerStart, "number_set", innerEnd))
      const pathA = asyncPath("path-a", "AsyncA")
      const pathB = asyncPath("path-b", "AsyncB")
      const outer = Flow.make({ name: "outer", start: inner }).pipe(
        Flow.on(inner, "async_inner_done", pathB),
        Flow.on(inner, "other_action", pathA)
      )
      const { action, elapsed, state } = yield* runAdvancing(runWithStore(outer), "50 millis")
      assert.strictEqual(state.current, 200)
      assert.strictEqual(state.lastSignal, "async_inner_done")
      assert.strictEqual(state.path, "AsyncB")
      assert.strictEqual(action, "default")
      assert.strictEqual(elapsed, 50)
    }))
})
