import { Effect, Schema } from "effect"
import { Flow, Node, Shared } from "effect-pocketflow"
import { Persistence } from "effect/persistence"

class Doc extends Shared.Service<Doc, { readonly text: string; readonly summary?: string }>()("app/Doc") {}

export const calls = { model: 0 }
const summarize = Node.make({
  name: "summarize",
  prep: Doc.get.pipe(Effect.map((doc) => doc.text)),
  // In an app: a model call that costs money and seconds.
  exec: (text) => Effect.sync(() => `${++calls.model}: a summary of ${text.length} characters`),
  post: (_, summary) => Doc.update((doc) => ({ ...doc, summary })),
  resultSchema: Schema.String,
  cache: { key: (text) => text, ttl: "7 days", version: 1 }
})
// summarize: Node<"default", never, Doc | Persistence>

const once = Flow.run(Flow.make({ name: "summarize-doc", start: summarize })).pipe(
  Effect.andThen(Doc.get),
  Effect.provide(Doc.layer({ text: "A long document." }))
)

export const program = Effect.all([once, once]).pipe(Effect.provide(Persistence.layerMemory))
// both runs end with summary "1: a summary of 16 characters": the model was called once
