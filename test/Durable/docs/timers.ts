import { Effect, Option, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"

const State = Schema.Struct({ email: Schema.String, reminded: Schema.Boolean })
class Trial extends Shared.Service<Trial>()("docs/timers/Trial", { schema: State }) {}

// Three days of nothing, then a reminder: the wake-up time is saved with the run, not kept in the process.
const remind = Node.make({
  name: "remind",
  prep: Trial.get,
  exec: (t) => Effect.andThen(Durable.sleep("3 days"), Effect.log(`reminding ${t.email}`)),
  post: () => Trial.update((t) => ({ ...t, reminded: true }))
})
const trial = Flow.make({ name: "trial", start: remind })

export const program = Effect.gen(function*() {
  const outcome = yield* Durable.run(trial, {
    id: "trial-ada",
    stores: [Trial.initial({ email: "ada@example.com", reminded: false })]
  })
  // { _tag: "Suspended", waiting: [{ kind: "timer", until: <now + 3 days>, … }] }: a worker wakes it then.
  const run = Option.getOrThrow(yield* Durable.get("trial-ada"))
  return { outcome: outcome._tag, status: run.status, until: run.waiting[0]?.until }
}).pipe(Effect.provide(Checkpointer.layerMemory))
