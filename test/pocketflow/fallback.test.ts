/**
 * Ports PocketFlow's retry and fallback behaviour. PocketFlow's `max_retries=n` means n attempts in all;
 * here that is `retry: { times: n - 1 }`, and `cur_retry` is `Node.CurrentAttempt` (1 on the first attempt):
 * - tests/test_fall_back.py::TestExecFallback::test_successful_execution
 * - tests/test_fall_back.py::TestExecFallback::test_fallback_after_failure
 * - tests/test_fall_back.py::TestExecFallback::test_fallback_in_flow
 * - tests/test_fall_back.py::TestExecFallback::test_no_fallback_implementation
 * - tests/test_fall_back.py::TestExecFallback::test_retry_before_fallback
 * - tests/test_fall_back.py::TestAsyncExecFallback::test_async_successful_execution
 * - tests/test_fall_back.py::TestAsyncExecFallback::test_async_fallback_after_failure
 * - tests/test_fall_back.py::TestAsyncExecFallback::test_async_fallback_in_flow
 * - tests/test_fall_back.py::TestAsyncExecFallback::test_async_no_fallback_implementation
 * - tests/test_fall_back.py::TestAsyncExecFallback::test_async_retry_before_fallback
 * - tests/test_node_params_validation.py::TestNodeExecIsCalled::test_exec_called_with_max_retries_1
 * - tests/test_node_params_validation.py::TestNodeExecIsCalled::test_retry_calls_exec_multiple_times
 * - tests/test_node_params_validation.py::TestMaxRetriesValidation::test_max_retries_one_succeeds,
 *   test_max_retries_positive_succeeds, test_default_max_retries_is_one
 * - tests/test_node_params_validation.py::TestWaitValidation::test_wait_zero_succeeds, test_wait_positive_succeeds
 * - tests/test_node_params_validation.py::TestAsyncNodeValidation::test_async_valid_params_succeeds
 * PocketFlow's ValueError for max_retries < 1 or wait < 0 has no counterpart: a retry policy is a Schedule
 * (or `{ times, schedule, while }`), so "no retries" is simply leaving `retry` out.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect, Exit, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface Outcome {
  readonly attempts: number
  readonly result: string
}
interface State {
  readonly results: ReadonlyArray<Outcome>
  readonly finalResult: unknown
}
class Store extends Shared.Service<Store, State>()("test/fallback/Store") {}
const empty: State = { results: [], finalResult: undefined }

class IntentionalFailure extends Data.TaggedError("IntentionalFailure")<{ readonly attempt: number }> {}

/**
 * PocketFlow's FallbackNode: exec fails (or not) and reports the attempt it reached; the fallback reports the
 * attempt of the error it replaces. `async` makes the fallback sleep first.
 */
interface FallbackOptions {
  readonly shouldFail: boolean
  readonly maxRetries?: number
  readonly async?: boolean
}
const fallbackNode = (options: FallbackOptions) =>
  Node.make({
    name: "fallback-node",
    exec: () =>
      Effect.flatMap(Node.CurrentAttempt, (attempt): Effect.Effect<Outcome, IntentionalFailure> =>
        options.shouldFail
          ? Effect.fail(new IntentionalFailure({ attempt }))
          : Effect.succeed({ attempts: attempt, result: "success" })),
    retry: { times: (options.maxRetries ?? 1) - 1 },
    fallback: (_prep, error) => {
      const attempts = error._tag === "IntentionalFailure" ? error.attempt : -1
      return options.async === true
        ? Effect.as(Effect.sleep("10 millis"), { attempts, result: "async_fallback" })
        : Effect.succeed({ attempts, result: "fallback" })
    },
    post: (_prep, outcome) => Store.update((s) => ({ ...s, results: [...s.results, outcome] }))
  })

const resultNode = Node.make({
  name: "result-node",
  prep: Store.get.pipe(Effect.map((s) => s.results)),
  exec: (results) => Effect.succeed(results),
  post: (_prep, results) => Store.update((s) => ({ ...s, finalResult: results }))
})

const runWithStore = <A, E>(self: Effect.Effect<A, E, Store>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(
      Effect.gen(function*() {
        const exit = yield* Effect.exit(self)
        return { exit, state: yield* Store.get }
      }).pipe(Effect.provide(Store.layer(empty)))
    )
    yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

describe("PocketFlow test_fall_back (sync and async)", () => {
  for (const async of [false, true]) {
    const prefix = async ? "test_async_" : "test_"
    const fallbackResult = async ? "async_fallback" : "fallback"

    it.effect(`${prefix}successful_execution: no fallback when exec succeeds, one attempt`, () =>
      Effect.gen(function*() {
        const { state } = yield* runWithStore(fallbackNode({ shouldFail: false, async }))
        assert.deepStrictEqual(state.results, [{ attempts: 1, result: "success" }])
      }))

    it.effect(`${prefix}fallback_after_failure: two attempts, then the fallback`, () =>
      Effect.gen(function*() {
        const { exit, state } = yield* runWithStore(fallbackNode({ shouldFail: true, maxRetries: 2, async }))
        assert.deepStrictEqual(exit, Exit.succeed("default"))
        assert.deepStrictEqual(state.results, [{ attempts: 2, result: fallbackResult }])
      }))

    it.effect(`${prefix}retry_before_fallback: three attempts, then the fallback`, () =>
      Effect.gen(function*() {
        const { state } = yield* runWithStore(fallbackNode({ shouldFail: true, maxRetries: 3, async }))
        assert.deepStrictEqual(state.results, [{ attempts: 3, result: fallbackResult }])
      }))

    it.effect(`${prefix}fallback_in_flow: the fallback's result flows on to the next node`, () =>
      Effect.gen(function*() {
        const node = fallbackNode({ shouldFail: true, async })
        const flow = Flow.make({ name: "with-fallback", start: node }).pipe(Flow.next(node, resultNode))
        const { exit, state } = yield* runWithStore(flow)
        assert.deepStrictEqual(exit, Exit.succeed("default"))
        assert.deepStrictEqual(state.results, [{ attempts: 1, result: fallbackResult }])
        assert.deepStrictEqual(state.finalResult, [{ attempts: 1, result: fallbackResult }])
      }))

    it.effect(`${prefix}no_fallback_implementation: without a fallback the error propagates and post never runs`, () =>
      Effect.gen(function*() {
        const noFallback = Node.make({
          name: "no-fallback",
          exec: () =>
            async
              ? Effect.andThen(Effect.sleep("10 millis"), Effect.fail(new IntentionalFailure({ attempt: 1 })))
              : Effect.fail(new IntentionalFailure({ attempt: 1 })),
          post: () => Store.update((s) => ({ ...s, results: [...s.results, { attempts: 0, result: "post ran" }] }))
        })
        const { exit, state } = yield* runWithStore(noFallback)
        assert.deepStrictEqual(exit, Exit.fail(new IntentionalFailure({ attempt: 1 })))
        assert.deepStrictEqual(state.results, [])
        const inFlow = yield* runWithStore(Flow.make({ name: "no-fallback-flow", start: noFallback }))
        assert.deepStrictEqual(inFlow.exit, Exit.fail(new IntentionalFailure({ attempt: 1 })))
      }))
  }

  it.effect("the fallback receives prep's result and the last error", () =>
    Effect.gen(function*() {
      let received: unknown
      const node = Node.make({
        name: "fallback-args",
        prep: Effect.succeed("question"),
        exec: (q) => Effect.flatMap(Node.CurrentAttempt, (attempt) => Effect.fail(`${q} failed on attempt ${attempt}`)),
        retry: { times: 2 },
        fallback: (prep, error) => Effect.sync(() => void (received = { prep, error }))
      })
      yield* Node.run(node)
      assert.deepStrictEqual(received, { prep: "question", error: "question failed on attempt 3" })
    }))

  it.effect("a failing fallback fails the node with the fallback's error", () =>
    Effect.gen(function*() {
      const node = Node.make({
        name: "failing-fallback",
        exec: () => Effect.fail("exec error" as const),
        fallback: () => Effect.fail("fallback error" as const)
      })
      const exit = yield* Effect.exit(Node.run(node))
      assert.deepStrictEqual(exit, Exit.fail("fallback error"))
    }))
})

describe("PocketFlow test_node_params_validation (the cases that carry over)", () => {
  class RunFailure extends Data.TaggedError("RunFailure")<{ readonly message: string }> {}

  it.effect("test_exec_called_with_max_retries_1 / test_default_max_retries_is_one: no retry, one run", () =>
    Effect.gen(function*() {
      let count = 0
      const counter = Node.make({
        name: "counter",
        exec: () => Effect.sync(() => ++count),
        post: (_p, n) => Node.action(n === 1 ? "once" : "more")
      })
      assert.strictEqual(yield* Node.run(counter), "once")
      assert.strictEqual(count, 1)
      let failures = 0
      const failing = Node.make({
        name: "failing-once",
        exec: () => Effect.suspend(() => Effect.fail(new RunFailure({ message: `fail #${++failures}` })))
      })
      const exit = yield* Effect.exit(Node.run(failing))
      assert.deepStrictEqual(exit, Exit.fail(new RunFailure({ message: "fail #1" })))
      assert.strictEqual(failures, 1)
    }))

  it.effect("test_retry_calls_exec_multiple_times: three attempts, the last error surfaces", () =>
    Effect.gen(function*() {
      let count = 0
      const failing = Node.make({
        name: "fail-node",
        exec: () => Effect.suspend(() => Effect.fail(new RunFailure({ message: `fail #${++count}` }))),
        retry: { times: 2 }
      })
      const exit = yield* Effect.exit(Node.run(failing))
      assert.deepStrictEqual(exit, Exit.fail(new RunFailure({ message: "fail #3" })))
      assert.strictEqual(count, 3)
    }))

  it.effect("test_max_retries_one_succeeds / test_max_retries_positive_succeeds: a passing exec is not retried", () =>
    Effect.gen(function*() {
      for (const times of [0, 2]) {
        let count = 0
        const ok = Node.make({
          name: "ok",
          exec: () => Effect.sync(() => ++count),
          post: () => Node.action("ok"),
          retry: { times }
        })
        assert.strictEqual(yield* Node.run(ok), "ok")
        assert.strictEqual(count, 1)
      }
    }))

  it.effect("test_wait_zero_succeeds / test_wait_positive_succeeds / test_async_valid_params_succeeds", () =>
    Effect.gen(function*() {
      const ok = (retry: Node.Retry<unknown>) =>
        Node.make({ name: "ok", exec: () => Effect.succeed("ok"), post: (_p, x) => Node.action(x), retry })
      assert.strictEqual(yield* Node.run(ok({ times: 1, schedule: Schedule.spaced("0 millis") })), "ok")
      // a waiting schedule costs nothing when exec succeeds: no clock adjustment is needed here
      assert.strictEqual(yield* Node.run(ok({ times: 1, schedule: Schedule.spaced("100 millis") })), "ok")
      assert.strictEqual(yield* Node.run(ok(Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 1 })))), "ok")
    }))

  it.effect("PocketFlow's wait between attempts: a spaced schedule waits before each retry", () =>
    Effect.gen(function*() {
      let count = 0
      const node = Node.make({
        name: "waits",
        exec: () => Effect.suspend(() => ++count < 3 ? Effect.fail("not yet" as const) : Effect.succeed(count)),
        retry: { times: 5, schedule: Schedule.spaced("100 millis") }
      })
      const fiber = yield* Effect.forkChild(Node.run(node))
      yield* TestClock.adjust("199 millis")
      assert.strictEqual(count, 2)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "default")
      assert.strictEqual(count, 3)
    }))
})
