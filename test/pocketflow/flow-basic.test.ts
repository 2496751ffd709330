/**
 * Ports PocketFlow's basic flow behaviour:
 * - tests/test_flow_basic.py::TestFlowBasic::test_start_method_initialization
 * - tests/test_flow_basic.py::TestFlowBasic::test_start_method_chaining
 * - tests/test_flow_basic.py::TestFlowBasic::test_sequence_with_rshift
 * - tests/test_flow_basic.py::TestFlowBasic::test_branching_positive
 * - tests/test_flow_basic.py::TestFlowBasic::test_branching_negative
 * - tests/test_flow_basic.py::TestFlowBasic::test_cycle_until_negative_ends_with_signal
 * - tests/test_flow_basic.py::TestFlowBasic::test_flow_ends_warning_default_missing
 * - tests/test_flow_basic.py::TestFlowBasic::test_flow_ends_warning_specific_missing
 * - tests/test_flow_none_successor.py::TestNoneSuccessor::test_none_successor_no_warning
 * - tests/test_flow_none_successor.py::TestNoneSuccessor::test_none_successor_with_other_branches
 * - tests/test_flow_none_successor.py::TestNoneSuccessor::test_unknown_action_still_warns
 * - tests/test_flow_none_successor.py::TestNoneSuccessor::test_default_none_successor
 *
 * PocketFlow returns `None` for the default action; here a flow's action is the string "default".
 * PocketFlow's `>> None` (an explicit terminal edge) has no counterpart: a node without edges in a flow
 * ends it silently, and a node that has edges but returns an unwired action ends it with a warning.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"

class Store extends Shared.Service<Store, { readonly current: number }>()("test/flow-basic/Store") {}

const numberNode = (name: string, n: number) => Node.make({ name, prep: Store.update((s) => ({ ...s, current: n })) })
const addNode = (name: string, n: number) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, current: s.current + n })) })
const multiplyNode = (name: string, n: number) =>
  Node.make({ name, prep: Store.update((s) => ({ ...s, current: s.current * n })) })
const checkPositive = (name: string) =>
  Node.make({
    name,
    post: () => Effect.flatMap(Store.get, (s) => Node.action(s.current >= 0 ? "positive" : "negative"))
  })
const noOp = (name: string) => Node.make({ name })

/** Runs a flow on a fresh store and returns its action with the final state. */
const runWithStore = <A, E>(flow: Effect.Effect<A, E, Store>, current = 0) =>
  Effect.gen(function*() {
    const action = yield* flow
    const state = yield* Store.get
    return { action, state }
  }).pipe(Effect.provide(Store.layer({ current })))

interface LogLine {
  readonly level: string
  readonly message: string
}

/** Runs an effect with a logger that records every line, and returns the lines with the result. */
const withLogs = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<LogLine> = []
    const logger = Logger.make((options) => {
      const parts = Array.isArray(options.message) ? options.message : [options.message]
      lines.push({ level: options.logLevel, message: parts.map(String).join(" ") })
    })
    const result = yield* Effect.provide(self, Logger.layer([logger]))
    return { result, lines }
  })

const flowEnds = (lines: ReadonlyArray<LogLine>) => lines.filter((line) => line.message.includes("ends"))

describe("PocketFlow test_flow_basic", () => {
  it.effect("test_start_method_initialization: a flow runs its start node", () =>
    Effect.gen(function*() {
      const n1 = numberNode("n1", 5)
      const pipeline = Flow.make({ name: "pipeline", start: n1 })
      const { action, state } = yield* runWithStore(pipeline)
      assert.strictEqual(state.current, 5)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_start_method_chaining: start, then next, then next", () =>
    Effect.gen(function*() {
      const n1 = numberNode("n1", 5)
      const n2 = addNode("n2", 3)
      const n3 = multiplyNode("n3", 2)
      const pipeline = Flow.make({ name: "pipeline", start: n1 }).pipe(Flow.next(n1, n2), Flow.next(n2, n3))
      const { action, state } = yield* runWithStore(pipeline)
      assert.strictEqual(state.current, 16)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_sequence_with_rshift: edges wired in any order give the same pipeline", () =>
    Effect.gen(function*() {
      const n1 = numberNode("n1", 5)
      const n2 = addNode("n2", 3)
      const n3 = multiplyNode("n3", 2)
      // the later edge first: wiring order does not matter, the graph does
      const pipeline = Flow.make({ name: "pipeline", start: n1 }).pipe(Flow.next(n2, n3), Flow.next(n1, n2))
      const { action, state } = yield* runWithStore(pipeline)
      assert.strictEqual(state.current, 16)
      assert.strictEqual(action, "default")
    }))

  const branching = (start: number) => {
    const startNode = numberNode("start", start)
    const check = checkPositive("check")
    const addIfPositive = addNode("add-if-positive", 10)
    const addIfNegative = addNode("add-if-negative", -20)
    return Flow.make({ name: "branching", start: startNode }).pipe(
      Flow.next(startNode, check),
      Flow.on(check, "positive", addIfPositive),
      Flow.on(check, "negative", addIfNegative)
    )
  }

  it.effect("test_branching_positive: the 'positive' action picks its branch", () =>
    Effect.gen(function*() {
      const { action, state } = yield* runWithStore(branching(5))
      assert.strictEqual(state.current, 15)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_branching_negative: the 'negative' action picks its branch", () =>
    Effect.gen(function*() {
      const { action, state } = yield* runWithStore(branching(-5))
      assert.strictEqual(state.current, -25)
      assert.strictEqual(action, "default")
    }))

  it.effect("test_cycle_until_negative_ends_with_signal: a loop runs until its exit branch", () =>
    Effect.gen(function*() {
      const visits: Array<number> = []
      const n1 = numberNode("n1", 10)
      const check = checkPositive("check")
      const subtract3 = Node.make({
        name: "subtract3",
        prep: Store.modify((s) => [s.current - 3, { ...s, current: s.current - 3 }] as const),
        post: (current) => Effect.sync(() => void visits.push(current))
      })
      const end = Node.make({ name: "end", post: () => Node.action("cycle_done") })
      const pipeline = Flow.make({ name: "cycle", start: n1 }).pipe(
        Flow.next(n1, check),
        Flow.on(check, "positive", subtract3),
        Flow.on(check, "negative", end),
        Flow.next(subtract3, check)
      )
      const { action, state } = yield* runWithStore(pipeline)
      assert.strictEqual(state.current, -2)
      assert.deepStrictEqual(visits, [7, 4, 1, -2])
      assert.strictEqual(action, "cycle_done")
    }))

  it.effect("test_flow_ends_warning_default_missing: 'default' without an edge logs a warning", () =>
    Effect.gen(function*() {
      // the node can return "specific_action" (so that edge type-checks) but returns "default" this time
      let specific = false
      const start = Node.make({
        name: "start",
        // Effect.gen keeps both: "specific_action" | "default"
        post: () =>
          Effect.gen(function*() {
            if (specific) return "specific_action"
          })
      })
      const next = noOp("next")
      const pipeline = Flow.make({ name: "pipeline", start }).pipe(Flow.on(start, "specific_action", next))
      const { lines, result } = yield* withLogs(runWithStore(pipeline))
      const warnings = flowEnds(lines)
      assert.strictEqual(warnings.length, 1)
      assert.strictEqual(warnings[0]!.level, "Warn")
      assert.strictEqual(
        warnings[0]!.message,
        "Flow \"pipeline\" ends: node \"start\" returned action \"default\", which has no edge " +
          "(known actions: \"specific_action\")"
      )
      assert.strictEqual(result.action, "default")
      specific = true
      const again = yield* withLogs(runWithStore(pipeline))
      assert.strictEqual(flowEnds(again.lines).length, 0)
      assert.strictEqual(again.result.action, "default") // "next" ran last and returned "default"
    }))

  it.effect("test_flow_ends_warning_specific_missing: an unwired specific action logs a warning", () =>
    Effect.gen(function*() {
      let specific = true
      const start = Node.make({
        name: "start",
        // Effect.gen keeps both: "specific_action" | "default"
        post: () =>
          Effect.gen(function*() {
            if (specific) return "specific_action"
          })
      })
      const next = noOp("next")
      const pipeline = Flow.make({ name: "pipeline", start }).pipe(Flow.next(start, next))
      const { lines, result } = yield* withLogs(runWithStore(pipeline))
      const warnings = flowEnds(lines)
      assert.strictEqual(warnings.length, 1)
      assert.strictEqual(warnings[0]!.level, "Warn")
      const message = warnings[0]!.message
      assert.include(message, "Flow \"pipeline\" ends")
      assert.include(message, "node \"start\"")
      assert.include(message, "action \"specific_action\"")
      assert.include(message, "known actions: \"default\"")
      assert.strictEqual(result.action, "specific_action")
      specific = false
      assert.strictEqual(flowEnds((yield* withLogs(runWithStore(pipeline))).lines).length, 0)
    }))

  it.effect("the warning lists every known action of the node", () =>
    Effect.gen(function*() {
      let choice: "a" | "b" | "c" = "c"
      const pick = Node.make({ name: "pick", post: () => Node.action(choice) })
      const pipeline = Flow.make({ name: "picker", start: pick }).pipe(
        Flow.on(pick, "a", noOp("on-a")),
        Flow.on(pick, "b", noOp("on-b"))
      )
      const { lines } = yield* withLogs(runWithStore(pipeline))
      assert.strictEqual(flowEnds(lines).length, 1)
      assert.include(flowEnds(lines)[0]!.message, "(known actions: \"a\", \"b\")")
      choice = "a"
      assert.strictEqual(flowEnds((yield* withLogs(runWithStore(pipeline))).lines).length, 0)
    }))
})

describe("PocketFlow test_flow_none_successor", () => {
  it.effect("test_none_successor_no_warning: a node without edges ends the flow silently", () =>
    Effect.gen(function*() {
      const decide = Node.make({ name: "decide", exec: () => Effect.succeed("end"), post: () => Node.action("end") })
      const flow = Flow.make({ name: "decider", start: decide })
      const { lines, result } = yield* withLogs(runWithStore(flow))
      assert.strictEqual(flowEnds(lines).length, 0)
      assert.strictEqual(result.action, "end")
    }))

  it.effect("test_none_successor_with_other_branches: a branch into a node without edges ends silently", () =>
    Effect.gen(function*() {
      let choice: "continue" | "end" = "continue"
      const branch = Node.make({ name: "branch", post: () => Node.action(choice) })
      const process = Node.make({ name: "process", post: () => Node.action("processed") })
      const flow = Flow.make({ name: "branches", start: branch }).pipe(Flow.on(branch, "continue", process))
      const continued = yield* withLogs(runWithStore(flow))
      assert.strictEqual(flowEnds(continued.lines).length, 0)
      assert.strictEqual(continued.result.action, "processed")
      // PocketFlow can wire `branch - "end" >> None` to end without a warning; this library has no terminal
      // edge, so an unwired action of a node that has edges is reported, as the design asks.
      choice = "end"
      const ended = yield* withLogs(runWithStore(flow))
      assert.strictEqual(ended.result.action, "end")
      assert.strictEqual(flowEnds(ended.lines).length, 1)
      assert.include(flowEnds(ended.lines)[0]!.message, "known actions: \"continue\"")
    }))

  it.effect("test_unknown_action_still_warns: an action with no edge is named in the warning", () =>
    Effect.gen(function*() {
      let choice: "expected" | "nonexistent" = "nonexistent"
      const decide = Node.make({ name: "decide", post: () => Node.action(choice) })
      const flow = Flow.make({ name: "decider", start: decide }).pipe(Flow.on(decide, "expected", noOp("next")))
      const { lines, result } = yield* withLogs(runWithStore(flow))
      assert.strictEqual(flowEnds(lines).length, 1)
      assert.include(flowEnds(lines)[0]!.message, "\"nonexistent\"")
      assert.strictEqual(result.action, "nonexistent")
      choice = "expected"
      assert.strictEqual(flowEnds((yield* withLogs(runWithStore(flow))).lines).length, 0)
    }))

  it.effect("test_default_none_successor: a lone node returning 'default' ends silently", () =>
    Effect.gen(function*() {
      const end = Node.make({ name: "end", post: () => Node.action("default") })
      const { lines, result } = yield* withLogs(runWithStore(Flow.make({ name: "lone", start: end })))
      assert.strictEqual(flowEnds(lines).length, 0)
      assert.strictEqual(result.action, "default")
    }))
})
