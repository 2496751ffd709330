import { Effect, Layer, Option, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"

const State = Schema.Struct({ topic: Schema.String, draft: Schema.String })
class Essay extends Shared.Service<Essay>()("docs/workers/Essay", { schema: State }) {}

const write = Node.make({
  name: "write",
  prep: Essay.get,
  exec: (s) => Effect.succeed(`An essay about ${s.topic}`),
  post: (_, draft) => Essay.update((s) => ({ ...s, draft }))
})
const essay = Flow.make({ name: "essay", start: write })

// The worker hosts the flows it lists; any number of workers, in any number of processes, share one checkpointer.
const WorkerLive = Durable.layerWorker({
  flows: [Durable.register(essay, { stores: [Essay] })],
  concurrency: 4,
  poll: "200 millis"
})

export const program = Effect.gen(function*() {
  // An HTTP handler queues the run and answers at once; a worker runs it.
  yield* Durable.start(essay, { id: "essay-7", stores: [Essay.initial({ topic: "workers", draft: "" })] })
  while (Option.getOrUndefined(yield* Durable.get("essay-7"))?.status !== "done") yield* Effect.sleep("20 millis")
  return yield* Durable.state("essay-7", Essay)
}).pipe(Effect.provide(WorkerLive.pipe(Layer.provideMerge(Checkpointer.layerMemory))))
