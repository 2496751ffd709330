/**
 * Ports PocketFlow's flow composition behaviour:
 * - tests/test_flow_composition.py::TestFlowComposition::test_flow_as_node
 * - tests/test_flow_composition.py::TestFlowComposition::test_nested_flow
 * - tests/test_flow_composition.py::TestFlowComposition::test_flow_chaining_flows
 * - tests/test_flow_composition.py::TestFlowComposition::test_composition_with_action_propagation
 * - PocketFlow-Typescript tests/core-abstraction-examples.test.ts::"should process a complete order through
 *   multiple flows" (three sub-flows chained in a master flow)
 * plus PocketFlow's Flow.post contract (a flow's own prep/post may replace the action it passes out).
 *
 * In PocketFlow successors hang on nodes, so `f1 >> add` wires f1 inside whichever flow contains f1;
 * here the containing flow holds that edge.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly current: number
  readonly lastSignal: string | undefined
  readonly pathTaken: string | undefined
  readonly trail: ReadonlyArray<string>
}
class Store extends Shared.Service<Store, State>()("test/flow-composition/Store") {}
const initial: State = { current: 0, lastSignal: undefined, pathTaken: undefined, trail: [] }

const numberNode = (name: string, n: number) => Node.make({ name, prep: Store.update((s) => ({ ...s, current: n })) })
const addNode = (name: string, n: number) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, current: s.current + n })) })
const multiplyNode = (name: string, n: number) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, current: s.current * n })) })
const signalNode = <const S extends string>(name: string, signal: S) =>
  Node.make({ name, post: () => Store.update((s) => ({ ...s, lastSignal: signal })).pipe(Node.as(signal)) })
const pathNode = (name: string, path: string) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, pathTaken: path })) })
const trailNode = (name: string) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, trail: [...s.trail, name] })) })

const runWithStore = <A, E>(flow: Effect.Effect<A, E, Store>) =>
  Effect.gen(function*() {
    const action = yield* flow
    const state = yield* Store.get
    return { action, state }
  }).pipe(Effect.provide(Store.layer(initial)))

describe("PocketFlow test_flow_composition", () => {
  it.effect("test_flow_as_node: a flow is a node, nested three deep", () =>
    Effect.gen(function*() {
      const number = numberNode("number", 5)
      const f1 = Flow.make({ name: "f1", start: number })
      const add = addNode("add", 10)
      const multiply = multiplyNode("multiply", 2)
      const f2 = Flow.make({ name: "f2", start: f1 }).pipe(Flow.next(f1, add), Flow.next(add, multiply))
      const f3 = Flow.make({ name: "f3", start: f2 })
      const { action, state } = yield* runWithStore(f3)
      assert.strictEqual(state.current, 30)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_nested_flow: inner flow, then a node, inside a middle flow, inside a wrapper", () =>
    Effect.gen(function*() {
      const number = numberNode("number", 5)
      const inner = Flow.make({ name: "inner", start: number })
      const add = addNode("add", 3)
      const middle = Flow.make({ name: "middle", start: inner }).pipe(Flow.next(inner, add))
      const multiply = multiplyNode("multiply", 4)
      const wrapper = Flow.make({ name: "wrapper", start: middle }).pipe(Flow.next(middle, multiply))
      const { state } = yield* runWithStore(wrapper)
      assert.strictEqual(state.current, 32)
    }))

  it.effect("test_flow_chaining_flows: one flow's default action leads to the next flow", () =>
    Effect.gen(function*() {
      const number = numberNode("number", 10)
      const add = addNode("add", 10)
      const flow1 = Flow.make({ name: "flow1", start: number }).pipe(Flow.next(number, add))
      const flow2 = Flow.make({ name: "flow2", start: multiplyNode("multiply", 2) })
      const wrapper = Flow.make({ name: "wrapper", start: flow1 }).pipe(Flow.next(flow1, flow2))
      const { action, state } = yield* runWithStore(wrapper)
      assert.strictEqual(state.current, 40)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_composition_with_action_propagation: the outer flow branches on the inner flow's last action", () =>
    Effect.gen(function*() {
      const innerStart = numberNode("inner-start", 100)
      // typed as either signal so that both outer edges type-check; it emits "inner_done"
      const innerEnd = signalNode<"inner_done" | "other_action">("inner-end", "inner_done")
      const inner = Flow.make({ name: "inner", start: innerStart }).pipe(Flow.next(innerStart, innerEnd))
      const pathA = pathNode("path-a", "A")
      const pathB = pathNode("path-b", "B")
      const outer = Flow.make({ name: "outer", start: inner }).pipe(
        Flow.on(inner, "inner_done", pathB),
        Flow.on(inner, "other_action", pathA)
      )
      const { action, state } = yield* runWithStore(outer)
      assert.strictEqual(state.current, 100)
      assert.strictEqual(state.lastSignal, "inner_done")
      assert.strictEqual(state.pathTaken, "B")
      assert.strictEqual(action, "default")
    }))

  it.effect("an inner flow that ends on a signal passes that signal out as its own action", () =>
    Effect.gen(function*() {
      const start = numberNode("start", 1)
      const end = signalNode("end", "finished")
      const inner = Flow.make({ name: "inner", start }).pipe(Flow.next(start, end))
      const action: "default" | "finished" = yield* Flow.run(inner).pipe(
        Effect.provide(Store.layer(initial))
      )
      assert.strictEqual(action, "finished")
    }))

  it.effect("order pipeline: payment, inventory and shipping sub-flows chained in a master flow", () =>
    Effect.gen(function*() {
      const sub = (name: string, [first, second, third]: readonly [string, string, string]) => {
        const a = trailNode(first)
        const b = trailNode(second)
        const c = trailNode(third)
        return Flow.make({ name, start: a }).pipe(Flow.next(a, b), Flow.next(b, c))
      }
      const payment = sub("payment", ["validate-payment", "process-payment", "confirm-payment"])
      const inventory = sub("inventory", ["check-stock", "reserve-items", "update-inventory"])
      const shipping = sub("shipping", ["create-label", "assign-carrier", "schedule-pickup"])
      const order = Flow.make({ name: "order", start: payment }).pipe(
        Flow.next(payment, inventory),
        Flow.next(inventory, shipping)
      )
      const { action, state } = yield* runWithStore(order)
      assert.deepStrictEqual(state.trail, [
        "validate-payment",
        "process-payment",
        "confirm-payment",
        "check-stock",
        "reserve-items",
        "update-inventory",
        "create-label",
        "assign-carrier",
        "schedule-pickup"
      ])
      assert.strictEqual(action, "default")
    }))
})

describe("a flow's own prep and post (PocketFlow Flow.post)", () => {
  it.effect("post receives prep's result and the last action, and its action drives the outer flow", () =>
    Effect.gen(function*() {
      const seen: Array<readonly [number, string]> = []
      const start = numberNode("start", 7)
      const end = signalNode("end", "inner_done")
      const inner = Flow.make({
        name: "inner",
        start,
        prep: Effect.succeed(41),
        post: (prep, last) =>
          Effect.gen(function*() {
            seen.push([prep, last])
            const { current } = yield* Store.get
            return current > 5 ? "big" : "small"
          })
      }).pipe(Flow.next(start, end))
      const onBig = pathNode("on-big", "big")
      const onSmall = pathNode("on-small", "small")
      const outer = Flow.make({ name: "outer", start: inner }).pipe(
        Flow.on(inner, "big", onBig),
        Flow.on(inner, "small", onSmall)
      )
      const { action, state } = yield* runWithStore(outer)
      assert.deepStrictEqual(seen, [[41, "inner_done"]])
      assert.strictEqual(state.lastSignal, "inner_done")
      assert.strictEqual(state.pathTaken, "big")
      assert.strictEqual(action, "default")
    }))

  it.effect("a flow's post that returns nothing makes the flow's action 'default'", () =>
    Effect.gen(function*() {
      const end = signalNode("end", "finished")
      const flow = Flow.make({
        name: "quiet",
        start: end,
        post: (_prep, last) => Store.update((s) => ({ ...s, pathTaken: last }))
      })
      const { action, state } = yield* runWithStore(flow)
      assert.strictEqual(state.pathTaken, "finished")
      assert.strictEqual(action, "default")
    }))

  it.effect("a flow's prep runs before its start node and its post after its last node", () =>
    Effect.gen(function*() {
      const node = trailNode("node")
      const flow = Flow.make({
        name: "wrapped",
        start: node,
        prep: Store.update((s) => ({ ...s, trail: [...s.trail, "flow-prep"] })),
        post: () => Store.update((s) => ({ ...s, trail: [...s.trail, "flow-post"] })).pipe(Node.as("wrapped"))
      })
      const { action, state } = yield* runWithStore(flow)
      assert.deepStrictEqual(state.trail, ["flow-prep", "node", "flow-post"])
      assert.strictEqual(action, "wrapped")
    }))
})
