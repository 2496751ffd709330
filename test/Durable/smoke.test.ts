/** A durable run that suspends, is answered and continues, on every checkpointer. */
import { assert, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Durable, Flow, Node, Shared } from "../../src/index.ts"
import { forEachCheckpointer } from "../support/checkpointers.ts"

const State = Schema.Struct({ n: Schema.Number, log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("test/Store", { schema: State }) {}

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })

const inc = Node.make({
  name: "inc",
  post: () =>
    Effect.gen(function*() {
      const s = yield* Store.get
      yield* Store.set({ n: s.n + 1, log: [...s.log, `inc${s.n + 1}`] })
      return s.n + 1 < 3 ? Node.action("again") : Node.action("ask")
    }).pipe(Effect.flatten)
})
const review = Node.make({
  name: "review",
  exec: () => Approval.ask("Publish?"),
  post: (_, a) => Store.update((s) => ({ ...s, log: [...s.log, `ok=${a.ok}`] }))
})
const flow = Flow.make({ name: "f", start: inc }).pipe(Flow.on(inc, "again", inc), Flow.on(inc, "ask", review))

forEachCheckpointer("durable smoke", ({ storage }) => {
  it.effect("runs, suspends, answers, continues", () =>
    Effect.gen(function*() {
      const o1 = yield* Durable.run(flow, { id: "r1", stores: [Store.initial({ n: 0, log: [] })] })
      assert.strictEqual(o1._tag, "Suspended")
      const s1 = yield* Durable.state("r1", Store)
      assert.deepStrictEqual(s1, { n: 3, log: ["inc1", "inc2", "inc3"] })
      yield* Durable.answer({ id: "r1", input: Approval, value: { ok: true } })
      const o2 = yield* Durable.run(flow, { id: "r1", stores: [Store.initial({ n: 0, log: [] })] })
      assert.strictEqual(o2._tag, "Done")
      const s2 = yield* Durable.state("r1", Store)
      assert.deepStrictEqual(s2, { n: 3, log: ["inc1", "inc2", "inc3", "ok=true"] })
    }).pipe(Effect.provide(storage("smoke").layer())))
})
