/**
 * The diagram marks: from a real durable run's saved position to classes on the ids `Flow.toMermaid` declares,
 * through a nested flow.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
import { highlight, mermaidId, nodeAt, positions } from "../../src/server/internal/diagram.ts"

class Store extends Shared.Service<Store>()("test/viewer/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
const Ok = Durable.input("ok", { answer: Schema.Boolean, prompt: Schema.String })

const bump = (name: string) => Node.make({ name, post: () => Store.update((s) => ({ n: s.n + 1 })) })
const first = bump("first")
const x = bump("x")
const ask = Node.make({ name: "ask me", exec: () => Ok.ask("go on?") })
const last = bump("end")
const sub = Flow.make({ name: "sub", start: x }).pipe(Flow.next(x, ask))
const flow = Flow.make({ name: "outer", start: first }).pipe(Flow.next(first, sub), Flow.next(sub, last))

describe("viewer diagram", () => {
  it.effect("marks the waiting node inside a nested flow, the flow around it as current, and the visited ones", () =>
    Effect.gen(function*() {
      const outcome = yield* Durable.run(flow, { id: "d1", stores: [Store.initial({ n: 0 })] })
      assert.strictEqual(outcome._tag, "Suspended")
      const snapshot = Option.getOrThrow(yield* Durable.get("d1"))
      const mermaid = Flow.toMermaid(flow)
      const marks = highlight(mermaid, snapshot)
      assert.deepStrictEqual(marks.waiting, ["sub_ask_me"])
      assert.deepStrictEqual(marks.current, ["sub"])
      assert.deepStrictEqual(marks.visited, ["first", "sub_x"])
      for (const id of [...marks.waiting, ...marks.current, ...marks.visited]) {
        assert.match(mermaid, new RegExp(`^\\s*(subgraph )?${id}\\[`, "m"))
      }
      assert.include(marks.text, "class sub_ask_me waiting")
      assert.include(marks.text, "class sub current")
      assert.strictEqual(nodeAt(snapshot.position), "sub/ask me")

      // Answered and done: nothing current or waiting, every node visited.
      yield* Durable.answer({ id: "d1", input: Ok, value: true })
      yield* Durable.run(flow, { id: "d1", stores: [Store.initial({ n: 0 })] })
      const done = highlight(mermaid, Option.getOrThrow(yield* Durable.get("d1")))
      assert.deepStrictEqual(done.waiting, [])
      assert.deepStrictEqual(done.current, [])
      // The finished sub-flow's inner position is gone: its nodes are marked through the sub-flow itself.
      assert.deepStrictEqual(done.visited, ["first", "sub", "n_end"])
      assert.match(mermaid, /^\s*n_end\["end"\]/m)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it("maps paths to Flow.toMermaid's ids and ignores what the chart does not declare", () => {
    assert.strictEqual(mermaidId("review"), "review")
    assert.strictEqual(mermaidId("sub/ask me"), "sub_ask_me")
    assert.strictEqual(mermaidId("end"), "n_end")
    assert.deepStrictEqual(positions({ at: "b", kind: "flow", steps: 1, visits: { a: 1, b: 1 } }), {
      current: ["b"],
      visited: ["a", "b"]
    })
    const marks = highlight("flowchart TD\n  a[\"a\"]\n", {
      status: "running",
      waiting: [],
      position: { at: "gone", kind: "flow", steps: 1, visits: { a: 1, gone: 1 } }
    })
    assert.deepStrictEqual(marks.current, [])
    assert.deepStrictEqual(marks.visited, ["a"])
  })
})
