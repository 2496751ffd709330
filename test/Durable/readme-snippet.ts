import { Effect, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"

// A store that can be saved carries a Schema; its state type is inferred from it.
const Essay = Schema.Struct({ draft: Schema.String, published: Schema.Boolean })
class Store extends Shared.Service<Store>()("app/Essay", { schema: Essay }) {}

// A human input: the answer's schema and the prompt's.
const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })

const write = Node.make({ name: "write", post: () => Store.update((s) => ({ ...s, draft: "Effect in 3 points" })) })
const review = Node.make({
  name: "review",
  prep: Store.get,
  exec: (s) => Approval.ask(`Publish "${s.draft}"?`), // suspends the run until answered
  post: (_, ok) => (ok ? Node.action("publish") : Node.action("rewrite"))
})
const publish = Node.make({ name: "publish", post: () => Store.update((s) => ({ ...s, published: true })) })
const essay = Flow.make({ name: "essay", start: write }).pipe(
  Flow.next(write, review),
  Flow.on(review, "publish", publish),
  Flow.on(review, "rewrite", write)
)

const start = Store.initial({ draft: "", published: false })

export const program = Effect.gen(function*() {
  const first = yield* Durable.run(essay, { id: "essay-1", stores: [start] })
  // { _tag: "Suspended", waiting: [{ key: "essay/review#1/approval#1", prompt: 'Publish "Effect in 3 points"?', … }] }

  // Later — another request, another process — answer it and run again: "write" is not run a second time.
  yield* Durable.answer({ id: "essay-1", input: Approval, value: true })
  const second = yield* Durable.run(essay, { id: "essay-1", stores: [start] })
  const state = yield* Durable.state("essay-1", Store)
  return { first: first._tag, second: second._tag, state }
}).pipe(Effect.provide(Checkpointer.layerMemory)) // or layerSqlite({ filename }) / layerFileSystem / layerSql
