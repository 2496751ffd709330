import { Effect, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "./src/index.ts"
class Store extends Shared.Service<Store>()("b/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
const step = Node.make({ name: "step", post: () => Effect.map(Store.modify((s) => [s.n + 1, { n: s.n + 1 }] as const), (n) => n < 1000 ? "again" as const : "done" as const) })
const flow = Flow.make({ name: "loop", start: step }).pipe(Flow.on(step, "again", step))
const N = 1000
let i = 0
const once = Effect.suspend(() => Durable.run(flow, { id: `r${i++}`, stores: [Store.initial({ n: 0 })] })).pipe(Effect.provide(Checkpointer.layerMemory))
const main = Effect.gen(function*() {
  for (let w = 0; w < 5; w++) yield* once
  const t = performance.now()
  const R = 100
  for (let r = 0; r < R; r++) yield* once
  console.log(((performance.now() - t) * 1000 / (R * N)).toFixed(2), "µs/step")
})
Effect.runPromise(main)
