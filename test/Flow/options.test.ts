/**
 * Issue 7, defect 5: flow options are checked when a flow is made or wired. Each bad value throws a TypeError (wrong
 * type) or RangeError (number out of range) naming the flow, the option and what was received.
 */
import { describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { Flow, Node } from "../../src/index.ts"
import { expectThrow, js } from "../support/throws.ts"

const a = Node.make({ name: "a" })
const b = Node.make({ name: "b" })

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
    expectThrow(
      () => Flow.batch(js({ name: "fb", flow: Effect.void, params: P, prep })),
      TypeError,
      "Batch flow \"fb\"",
      "flow"
    )
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, prep })), TypeError, "\"fb\"", "params", "undefined")
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, params: "P", prep })), TypeError, "params", "\"P\"")
    expectThrow(() => Flow.batch(js({ name: "fb", flow: a, params: P })), TypeError, "prep")
    expectThrow(() => Flow.batch({ name: "fb", flow: a, params: P, prep, concurrency: 0 }), RangeError, "concurrency")
  })
})
