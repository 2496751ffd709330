/**
 * Issue 7 / DESIGN.md Errors: `NodeTimeout` and `MaxStepsExceeded` are `Schema.TaggedError`s (they cross
 * process boundaries), `timeout` is a `Duration`, the constructor still takes a `Duration.Input`, and the
 * messages are unchanged.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"
import { MaxStepsExceeded, Node, NodeTimeout } from "../../src/index.ts"

describe("errors are Schema.TaggedError classes", () => {
  it("NodeTimeout takes a Duration.Input, stores a Duration, keeps its message and round-trips through JSON", () => {
    const error = new NodeTimeout({ node: "ask", timeout: "30 seconds" })
    assert.isTrue(Duration.isDuration(error.timeout))
    assert.isTrue(Duration.equals(error.timeout, Duration.seconds(30)))
    assert.strictEqual(error.message, "Node \"ask\" timed out after 30 seconds")
    assert.deepStrictEqual(new NodeTimeout({ node: "ask", timeout: Duration.seconds(30) }), error)
    const codec = Schema.toCodecJson(NodeTimeout)
    const encoded = Schema.encodeSync(codec)(error)
    const decoded = Schema.decodeUnknownSync(codec)(JSON.parse(JSON.stringify(encoded)))
    assert.instanceOf(decoded, NodeTimeout)
    assert.strictEqual(decoded.node, "ask")
    assert.isTrue(Duration.equals(decoded.timeout, Duration.seconds(30)))
    assert.strictEqual(new NodeTimeout({ node: "n", timeout: 1500 }).message, "Node \"n\" timed out after 1500 millis")
  })

  it("MaxStepsExceeded keeps its message and round-trips through JSON", () => {
    const error = new MaxStepsExceeded({ flow: "agent", maxSteps: 10, node: "decide" })
    assert.strictEqual(error.message, "Flow \"agent\" exceeded maxSteps (10): node \"decide\" would have run step 11")
    const codec = Schema.toCodecJson(MaxStepsExceeded)
    const decoded = Schema.decodeUnknownSync(codec)(JSON.parse(JSON.stringify(Schema.encodeSync(codec)(error))))
    assert.deepStrictEqual(decoded, error)
  })

  it.effect("a node's timeout fails with NodeTimeout carrying the timeout as a Duration", () =>
    Effect.gen(function*() {
      const slow = Node.make({ name: "slow", exec: () => Effect.never, timeout: "2 seconds" })
      const fiber = yield* Effect.forkChild(Effect.exit(Node.run(slow)))
      yield* TestClock.adjust("3 seconds")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail(new NodeTimeout({ node: "slow", timeout: Duration.seconds(2) })))
    }))
})
