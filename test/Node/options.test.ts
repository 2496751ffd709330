/**
 * Issue 7, defects 3 and 5: options are checked when a node is made. Each bad value throws a TypeError (wrong type)
 * or RangeError (number out of range) naming the node, the option and what was received.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { Flow, Node } from "../../src/index.ts"
import { expectThrow, js } from "../support/throws.ts"

const a = Node.make({ name: "a" })

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
    assert.isTrue(
      Node.isNode(Node.make({ name: "all", retry: { times: 2, schedule: Schedule.spaced(10), while: () => true } }))
    )
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
      expectThrow(
        () => Node.batch({ name: "b", prep, exec, concurrency: bad }),
        RangeError,
        "concurrency",
        `got ${bad}`
      )
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
