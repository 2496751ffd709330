/**
 * Issue 7, defect 11: a defect thrown in a node says where it happened. The die reason keeps the
 * original defect object, and carries a `Cause.StackTrace` frame naming the node and the flow path, which
 * `Cause.pretty` prints.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Stream } from "effect"
import { Flow, Node } from "../../src/index.ts"

const dieOf = <A, E>(exit: Exit.Exit<A, E>) => {
  assert.isTrue(Exit.isFailure(exit))
  const reason = Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isDieReason) : undefined
  assert.isDefined(reason)
  return { reason: reason!, cause: Exit.isFailure(exit) ? exit.cause : Cause.empty }
}

describe("7.11 defects name their node and flow", () => {
  it.effect("7.11 JSON.parse throwing in exec: same SyntaxError object, Cause.pretty names node and flow", () =>
    Effect.gen(function*() {
      let thrown: unknown
      const parse = Node.make({
        name: "parse",
        exec: () =>
          Effect.sync(() => {
            try {
              return JSON.parse("{oops")
            } catch (error) {
              thrown = error
              throw error
            }
          })
      })
      const read = Node.make({ name: "read" })
      const agent = Flow.make({ name: "agent", start: read }).pipe(Flow.next(read, parse))
      const { cause, reason } = dieOf(yield* Effect.exit(Flow.run(agent)))
      assert.instanceOf(reason.defect, SyntaxError)
      assert.strictEqual(reason.defect, thrown)
      const pretty = Cause.pretty(cause)
      assert.include(pretty, "SyntaxError")
      assert.include(pretty, "node \"parse\" in flow \"agent\"")
    }))

  it.effect("7.11 nested flows: the path runs from the outermost flow down to the node", () =>
    Effect.gen(function*() {
      const boom = Node.make({ name: "boom", exec: () => Effect.die(new Error("kaput")) })
      const inner = Flow.make({ name: "inner", start: boom })
      const middle = Flow.make({ name: "middle", start: inner })
      const first = Node.make({ name: "first" })
      const wired = Flow.make({ name: "outer", start: first }).pipe(Flow.next(first, middle))
      const { cause, reason } = dieOf(yield* Effect.exit(Flow.run(wired)))
      assert.strictEqual((reason.defect as Error).message, "kaput")
      assert.include(Cause.pretty(cause), "node \"boom\" in flow \"outer/middle/inner\"")
    }))

  it.effect("7.11 the observed run names the node too", () =>
    Effect.gen(function*() {
      const boom = Node.make({ name: "boom", exec: () => Effect.die(new Error("kaput")) })
      const flow = Flow.make({ name: "watched", start: boom })
      const exit = yield* Effect.exit(Stream.runDrain(Flow.events(flow)))
      assert.include(Cause.pretty(dieOf(exit).cause), "node \"boom\" in flow \"watched\"")
    }))

  it.effect("7.11 typed failures are left alone", () =>
    Effect.gen(function*() {
      const fails = Node.make({ name: "fails", exec: () => Effect.fail("nope" as const) })
      const exit = yield* Effect.exit(Flow.run(Flow.make({ name: "f", start: fails })))
      assert.deepStrictEqual(exit, Exit.fail("nope"))
    }))
})
