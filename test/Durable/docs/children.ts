import { Effect, Layer, Option, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"

class Mail extends Shared.Service<Mail>()("docs/children/Mail", { schema: Schema.Struct({ to: Schema.String }) }) {}
const send = Flow.make({
  name: "send",
  start: Node.make({ name: "send", prep: Mail.get, exec: (m) => Effect.log(`mail to ${m.to}`) })
})

const State = Schema.Struct({ subscribers: Schema.Array(Schema.String), sent: Schema.Array(Schema.String) })
class Newsletter extends Shared.Service<Newsletter>()("docs/children/Newsletter", { schema: State }) {}

// One child run per subscriber, one at a time: the parent waits ("waiting") until each child is done.
const deliver = Node.make({
  name: "deliver",
  prep: Newsletter.get,
  exec: (n) =>
    Durable.child(send, { id: `issue-1/${n.subscribers[0]}`, stores: [Mail.initial({ to: n.subscribers[0]! })] }),
  post: (n) =>
    Effect.as(
      Newsletter.update((s) => ({ subscribers: s.subscribers.slice(1), sent: [...s.sent, s.subscribers[0]!] })),
      n.subscribers.length > 1 ? "next" as const : "done" as const
    )
})
const newsletter = Flow.make({ name: "newsletter", start: deliver }).pipe(
  Flow.on(deliver, "next", deliver),
  Flow.end(deliver, "done")
)

const WorkerLive = Durable.layerWorker({
  flows: [Durable.register(newsletter, { stores: [Newsletter] }), Durable.register(send, { stores: [Mail] })]
})

export const program = Effect.gen(function*() {
  const stores = [Newsletter.initial({ subscribers: ["ada", "grace"], sent: [] })]
  yield* Durable.start(newsletter, { id: "issue-1", stores })
  while (Option.getOrUndefined(yield* Durable.get("issue-1"))?.status !== "done") yield* Effect.sleep("20 millis")
  const parent = Option.getOrThrow(yield* Durable.get("issue-1"))
  return { sent: (yield* Durable.state("issue-1", Newsletter)).sent, children: parent.children }
}).pipe(Effect.provide(WorkerLive.pipe(Layer.provideMerge(Checkpointer.layerMemory))))
