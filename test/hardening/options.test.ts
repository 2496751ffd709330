/**
 * Issue 7, defects 3 and 5: options are checked when a node or flow is made. Each bad value throws a
 * TypeError (wrong type) or RangeError (number out of range) naming the node or flow, the option and what
 * was received.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Schedule } from "effect"
import { Flow, Node } from "../../src/index.ts"

/** What `f` throws; fails the test when it does not throw. */
const thrown = (f: () => unknown): Error => {
  try {
    f()
  } catch (error) {
    return error as Error
  }
  assert.fail("expected a throw")
}

const expectThrow = (
  f: () => unknown,
  type: typeof TypeError | typeof RangeError,
  ...parts: ReadonlyArray<string>
) => {
  const error = thrown(f)
  assert.instanceOf(error, type)
  for (const part of parts) assert.include(error.message, part)
  return error
}

/** Plain JavaScript callers get no type checks: these casts stand for them. */
const js = (u: unknown): never => u as never

const a = Node.make({ name: "a" })
const b = Node.make({ name: "b" })

describe("7.3 retry accepts only a Schedule or { times?, schedule?, while? }", () => {
  it("7.3 retry: 3 throws a TypeError naming the node and showing the accepted forms", () => {
    const error = expectThrow(() => Node.make({ name: "ask", retry: js(3) }), TypeError, "\"ask\"", "retry", "got 3")
    assert.include(error.message, "{ times?, schedule?, while? }")
    assert.include(error.message, "max_retries=3 is { times: 2 }")
  })

  it("7.3 retry: \"3\", { attempts: 3 } and { until } throw a TypeError", () => {
    expectThrow(() => Node.make({ name: "s", retry: js("3") }), TypeError, "\"s\"", "retry", "\"3\"")
    expectThrow(() => Node.make({ name: "o", retry: js({ attempts: 3 }) }), TypeError, "\"o\"", "attempts")
    expectThrow(() => Node.make({ name: "u", retry: js({ until: () => true }) }), TypeError, "\"u\"", "until")
    expectThrow(() => Node.make({ name: "w", retry: js({ while: 1 }) }), TypeError, "\"w\"", "while: 1")
    expectThrow(() => Node.make({ name: "sc", retry: js({ schedule: "1 second" }) }), TypeError, "schedule")
  })

  it("7.3 times must be a non-negative integer: -1, NaN and 1.5 throw a RangeError, \"2\" a TypeError", () => {
    expectThrow(() => Node.make({ name: "neg", retry: { times: -1 } }), RangeError, "\"neg\"", "times: -1")
    expectThrow(() => Node.make({ name: "nan", retry: { times: NaN } }), RangeError, "\"nan\"", "times: NaN")
    expectThrow(() => Node.make({ name: "frac", retry: { times: 1.5 } }), RangeError, "times: 1.5")
    expectThrow(() => Node.make({ name: "str", retry: js({ times: "2" }) }), TypeError, "times: \"2\"")
    expectThrow(
      () => Node.batch({ name: "items", prep: Effect.succeed([1]), exec: () => Effect.void, retry: js(3) }),
      TypeError,
      "Batch node \"items\"",
      "retry"
    )
  })

  it("7.3 the accepted forms still make nodes", () => {
    assert.isTrue(Node.isNode(Node.make({ name: "s", retry: Schedule.recurs(2) })))
    assert.isTrue(Node.isNode(Node.make({ name: "t", retry: { times: 0 } })))
    assert.isTrue(Node.isNode(Node.make({ name: "all", retry: { times: 2, schedule: Schedule.spaced(10), while: () => true } })))
  })
})

describe("7.5 node options are checked when the node is made", () => {
  it("7.5 timeout: \"abc\" throws a TypeError; NaN, -1000, {} and 0 throw a RangeError", () => {
    expectThrow(() => Node.make({ name: "t", timeout: js("abc") }), TypeError, "Node \"t\"", "timeout", "\"abc\"")
    expectThrow(() => Node.make({ name: "t", timeout: NaN }), RangeError, "timeout", "NaN")
    expectThrow(() => Node.make({ name: "t", timeout: -1000 }), RangeError, "timeout", "-1000")
    expectThrow(() => Node.make({ name: "t", timeout: js({}) }), RangeError, "timeout", "{}")
    expectThrow(() => Node.make({ name: "t", timeout: 0 }), RangeError, "timeout", "got 0")
  })

  it("7.5 exec, post and fallback must be functions; prep must be an Effect (not a PocketFlow-style function)", () => {
    expectThrow(() => Node.make(js({ name: "n", exec: Effect.void })), TypeError, "Node \"n\"", "\"exec\"", "an Effect")
    expectThrow(() => Node.make(js({ name: "n", post: "done" })), TypeError, "\"post\"", "\"done\"")
    expectThrow(() => Node.make(js({ name: "n", fallback: 1 })), TypeError, "\"fallback\"", "got 1")
    const error = expectThrow(() => Node.make(js({ name: "n", prep: () => Effect.void })), TypeError, "\"prep\"")
    assert.include(error.message, "not a function")
    assert.include(error.message, "got a function")
  })

  it("7.5 a batch node needs prep and exec; concurrency must be a positive integer or \"unbounded\"", () => {
    const exec = () => Effect.void
    const prep = Effect.succeed([1])
    expectThrow(() => Node.batch(js({ name: "b", exec })), TypeError, "Batch node \"b\"", "\"prep\"", "undefined")
    expectThrow(() => Node.batch(js({ name: "b", prep })), TypeError, "\"exec\"", "undefined")
    for (const bad of [0, -1, NaN, 1.5]) {
      expectThrow(() => Node.batch({ name: "b", prep, exec, concurrency: bad }), RangeError, "concurrency", `got ${bad}`)
    }
    for (const bad of ["abc", "Unbounded"]) {
      expectThrow(() => Node.batch({ name: "b", prep, exec, concurrency: js(bad) }), TypeError, "concurrency", bad)
    }
  })

  it("7.5 a missing name is a TypeError saying what was received", () => {
    expectThrow(() => Node.make(js({})), TypeError, "\"name\"", "undefined")
    expectThrow(() => Flow.make(js({ start: a })), TypeError, "Flow", "\"name\"")
  })
})

describe("7.5 flow options are checked when the flow is made or wired", () => {
  it("7.5 a flow without start, or with a plain Effect as start, throws a TypeError naming the flow", () => {
    expectThrow(() => Flow.make(js({ name: "f" })), TypeError, "Flow \"f\"", "start", "undefined")
    expectThrow(() => Flow.make(js({ name: "f", start: Effect.void })), TypeError, "Flow \"f\"", "an Effect")
    expectThrow(() => Flow.make(js({ name: "f", start: a, maxSteps: "5" })), TypeError, "maxSteps", "\"5\"")
  })

  it("7.5 an Effect as edge target, Flow.next(a, undefined) and a non-string action name the flow", () => {
    const flow = Flow.make({ name: "wired", start: a })
    expectThrow(() => flow.pipe(Flow.on(a, "default", js(Effect.void))), TypeError, "Flow \"wired\"", "an Effect")
    expectThrow(() => flow.pipe(Flow.next(a, js(undefined))), TypeError, "Flow \"wired\"", "target", "undefined")
    expectThrow(() => flow.pipe(Flow.on(js(Effect.void), js("x"), b)), TypeError, "Flow \"wired\"", "from")
    expectThrow(() => flow.pipe(Flow.on(a, js(1), b)), TypeError, "Flow \"wired\"", "action", "got 1")
  })

  it("7.5 Flow.batch checks flow, params, prep and concurrency", () => {
    class P extends Context.Service<P, number>()("hardening/P") {}
    const prep = Effect.succeed([1])
    expectThrow(() => Flow.batch(js({ name: "fb", flow: Effect.void, params: P, prep })), TypeError, "Batch flow \"fb\"", "flow")
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, prep })), TypeError, "\"fb\"", "params", "undefined")
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, params: "P", prep })), TypeError, "params", "\"P\"")
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, params: P })), TypeError, "prep")
    expectThrow(() => Flow.batch({ name: "fb", flow: a, params: P, prep, concurrency: 0 }), RangeError, "concurrency")
  })

  it("7.5 Flow.events(undefined) and strategy: \"bogus\" throw a TypeError", () => {
    expectThrow(() => Flow.events(js(undefined)), TypeError, "Flow.events", "undefined")
    const flow = Flow.make({ name: "ev", start: a })
    expectThrow(() => Flow.events(flow, { strategy: js("bogus") }), TypeError, "\"ev\"", "strategy", "\"bogus\"")
    expectThrow(() => Flow.events(flow, { bufferSize: js("8") }), TypeError, "bufferSize")
    expectThrow(() => Flow.events(flow, { bufferSize: 0 }), RangeError, "bufferSize")
  })
})
