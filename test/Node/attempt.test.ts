/**
 * Issue 7, defect 6: `Node.CurrentAttempt` belongs to the node whose exec is retried. Nodes of a
 * sub-flow run from that exec, and nodes yielded from it, start at attempt 1.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect } from "effect"
import { Flow, Node } from "../../src/index.ts"

class NotYet extends Data.TaggedError("NotYet")<{}> {}

/** A node that records the attempt number it sees in exec. */
const recorder = (name: string, seen: Array<number>) =>
  Node.make({ name, exec: () => Effect.flatMap(Node.CurrentAttempt, (n) => Effect.sync(() => seen.push(n))) })

describe("7.6 CurrentAttempt does not leak", () => {
  it.effect("7.6 nodes of a sub-flow run from a retrying exec see attempt 1 on every attempt", () =>
    Effect.gen(function*() {
      const inner: Array<number> = []
      const outer: Array<number> = []
      const sub = Flow.make({ name: "sub", start: recorder("inner", inner) })
      const retrying = Node.make({
        name: "retrying",
        exec: () =>
          Effect.gen(function*() {
            const attempt = yield* Node.CurrentAttempt
            outer.push(attempt)
            yield* Flow.run(sub)
            if (attempt < 3) return yield* new NotYet()
          }),
        retry: { times: 5 }
      })
      yield* Node.run(retrying)
      assert.deepStrictEqual(outer, [1, 2, 3])
      assert.deepStrictEqual(inner, [1, 1, 1])
    }))

  it.effect("7.6 a node yielded directly from a retrying exec sees 1; its own retries count from 1", () =>
    Effect.gen(function*() {
      const plain: Array<number> = []
      const own: Array<number> = []
      const plainNode = recorder("plain", plain)
      let failures = 0
      const ownRetry = Node.make({
        name: "own",
        exec: () =>
          Effect.flatMap(Node.CurrentAttempt, (n) => {
            own.push(n)
            return failures++ % 2 === 0 ? Effect.fail(new NotYet()) : Effect.void
          }),
        retry: { times: 1 }
      })
      const retrying = Node.make({
        name: "retrying",
        exec: () =>
          Effect.gen(function*() {
            const attempt = yield* Node.CurrentAttempt
            yield* plainNode
            yield* ownRetry
            if (attempt < 2) return yield* new NotYet()
          }),
        retry: { times: 3 }
      })
      yield* Node.run(retrying)
      assert.deepStrictEqual(plain, [1, 1])
      assert.deepStrictEqual(own, [1, 2, 1, 2])
    }))
})
