/**
 * Actions: a flow runs from its start node and returns the last action. Issue 7, defect 1: any post result that is
 * not a non-empty string means "default", in every place that turns a result into an action (plain loop, observed
 * loop, batch flows, a node's own Effect view).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Ref, Stream } from "effect"
import { Flow, FlowEvent, Node } from "../../src/index.ts"

/** A node whose post returns `value` at run time while claiming to return nothing. */
const returning = (name: string, value: unknown) => Node.make({ name, post: () => Effect.succeed(value as void) })

const odd: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["the empty string", ""],
  ["an object", { cell: 1 }],
  ["a number", 42]
]

describe("Flow.run", () => {
  it.effect("a flow runs its start node and returns its action", () =>
    Effect.gen(function*() {
      const hello = Node.make({ name: "hello", post: () => Node.action("done") })
      const action = yield* Flow.run(Flow.make({ name: "hi", start: hello }))
      assert.strictEqual(action, "done")
    }))
})

describe("7.1 a post result that is not a non-empty string is the default action", () => {
  it.effect("7.1 post: () => Ref.set(r, 1) follows the default edge and the flow returns \"default\"", () =>
    Effect.gen(function*() {
      const ref = yield* Ref.make(0)
      const visited: Array<string> = []
      const set = Node.make({ name: "set", post: () => Ref.set(ref, 1) })
      const next = Node.make({ name: "next", exec: () => Effect.sync(() => visited.push("next")) })
      const action = yield* Flow.run(Flow.make({ name: "f", start: set }).pipe(Flow.next(set, next)))
      assert.deepStrictEqual(visited, ["next"])
      assert.strictEqual(action, "default")
      assert.strictEqual(yield* Ref.get(ref), 1)
    }))

  for (const [label, value] of odd) {
    it.effect(`7.1 ${label}: plain loop, observed loop and the node's Effect view all say "default"`, () =>
      Effect.gen(function*() {
        const start = returning("start", value)
        const end = Node.make({ name: "end" })
        const flow = Flow.make({ name: "f", start }).pipe(Flow.next(start, end))
        assert.strictEqual(yield* Node.run(start), "default")
        assert.strictEqual(yield* Flow.run(flow), "default")
        const events = Array.from(yield* Stream.runCollect(Flow.events(flow)))
        const transition = events.find(FlowEvent.is("Transition"))
        assert.strictEqual(transition?.action, "default")
        assert.strictEqual(transition?.to, "end")
        const finished = events.filter(FlowEvent.is("NodeFinished")).map((e) => e.action)
        assert.deepStrictEqual(finished, ["default", "default"])
      }))
  }

  it.effect("7.1 a batch flow hands \"default\" to its post for an inner run that returned a non-string", () =>
    Effect.gen(function*() {
      class Item extends Context.Service<Item, number>()("hardening/Item") {}
      const inner = returning("inner", { cell: 1 })
      const seen: Array<ReadonlyArray<string>> = []
      const batch = Flow.batch({
        name: "each",
        flow: inner,
        params: Item,
        prep: Effect.succeed([1, 2]),
        post: (_items, actions) =>
          Effect.sync(() => {
            seen.push(actions)
          })
      })
      yield* Node.run(batch)
      const events = Array.from(yield* Stream.runCollect(Flow.events(batch)))
      assert.deepStrictEqual(seen, [["default", "default"], ["default", "default"]])
      assert.isTrue(events.filter(FlowEvent.is("NodeFinished")).every((e) => e.action === "default"))
    }))
})
