/**
 * `map-reduce`: summarize many documents in parallel, at most three model calls at a time, then combine
 * the summaries into one. The map step is a `Node.batch` with `concurrency: 3`; the reduce step is a
 * plain node.
 *
 * Run it with `npm run example -- map-reduce`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** A document to summarize. */
export interface Document {
  readonly title: string
  readonly text: string
}

/** The map-reduce flow's shared state. */
export interface MapReduceState {
  readonly documents: ReadonlyArray<Document>
  readonly summaries: ReadonlyArray<{ readonly title: string; readonly summary: string }>
  readonly report: string | undefined
}

/** The shared store of the map-reduce flow. */
export class MapReduceStore extends Shared.Service<MapReduceStore, MapReduceState>()("examples/map-reduce/Store") {}

/** How many documents are summarized at once: the batch never has more model calls in flight. */
export const concurrency = 3

/** Six short notes on PocketFlow's ideas, the input of the example. */
export const documents: ReadonlyArray<Document> = [
  {
    title: "Nodes",
    text: "A node runs prep, exec and post in that order. Prep reads the shared store, exec does the work and " +
      "post writes results back."
  },
  {
    title: "Actions",
    text: "The value post returns is an action that picks the next node. A node without post returns the " +
      "default action."
  },
  {
    title: "Flows",
    text: "A flow starts at one node and follows actions from node to node. A flow is itself a node, so flows " +
      "nest inside flows."
  },
  {
    title: "Batches",
    text: "A batch node maps exec over many items, sequentially or in parallel. A batch flow runs a whole flow " +
      "once per parameter set."
  },
  {
    title: "Retries",
    text: "Exec is retried on failure according to the node's policy. When the last attempt fails, a fallback " +
      "may supply a result instead."
  },
  {
    title: "Shared store",
    text: "Nodes communicate through a shared store that the caller provides. Keeping state outside the nodes " +
      "lets one node value run in many flows."
  }
]

const summaryPrompt = (doc: Document) => `Summarize the document in one sentence.\nTitle: ${doc.title}\n\n${doc.text}`

/** The map: one model call per document, at most `concurrency` at once; results arrive in document order. */
export const summarize = Node.batch({
  name: "summarize",
  prep: MapReduceStore.get.pipe(Effect.map((s) => s.documents)),
  exec: (doc) => ask(summaryPrompt(doc)),
  post: (docs, summaries) =>
    MapReduceStore.update((s) => ({
      ...s,
      summaries: docs.map((doc, i) => ({ title: doc.title, summary: summaries[i] ?? "" }))
    })),
  concurrency
})

/** The reduce: one model call that combines every summary. */
export const reduce = Node.make({
  name: "reduce",
  prep: MapReduceStore.get.pipe(Effect.map((s) => s.summaries)),
  exec: (summaries) =>
    ask(
      "Combine these summaries into one short paragraph.\n" +
        summaries.map((s) => `- ${s.title}: ${s.summary}`).join("\n")
    ),
  post: (_summaries, report) => MapReduceStore.update((s) => ({ ...s, report })).pipe(Node.as("done"))
})

/** summarize → reduce. */
export const flow = Flow.make({ name: "map-reduce", start: summarize }).pipe(Flow.next(summarize, reduce))

const firstSentence = (text: string) => /^[^.]*\./.exec(text.trim())?.[0] ?? text.trim()

/**
 * The offline model summarizes a document by its first sentence and combines summaries by listing
 * them, so every output can be traced back to its input. Each call takes 200 ms (simulated), so the
 * batch's calls overlap and the concurrency limit is visible.
 */
export const model = TestLanguageModel.layer(({ text }) => {
  if (text.startsWith("Summarize the document")) return firstSentence(text.split("\n\n").slice(1).join("\n\n"))
  if (text.startsWith("Combine these summaries")) {
    const items = text.split("\n").filter((line) => line.startsWith("- ")).map((line) => line.slice(2))
    const topics = items.map((item) => item.slice(0, item.indexOf(":")).toLowerCase())
    return `PocketFlow in ${items.length} ideas (${topics.join(", ")}): ` +
      items.map((item) => item.slice(item.indexOf(":") + 2)).join(" ")
  }
  return undefined
}, { latency: "200 millis" })

/** The offline model and a fresh store holding the documents. */
export const layer = Layer.mergeAll(model, MapReduceStore.layer({ documents, summaries: [], report: undefined }))

/** Runs the flow and returns the final store; the caller provides `layer` or its own. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* MapReduceStore.get
})

/** Runs the example offline and prints each summary, the combined report and how the calls overlapped. */
export const main = Effect.gen(function*() {
  const state = yield* program
  const calls = yield* TestLanguageModel.calls
  const maxInFlight = yield* TestLanguageModel.maxInFlight
  yield* Console.log(`Summarized ${state.summaries.length} documents, at most ${maxInFlight} at once:`)
  for (const s of state.summaries) yield* Console.log(`  - ${s.title}: ${s.summary}`)
  yield* Console.log(`Reduced: ${state.report ?? "(none)"}`)
  yield* Console.log(`Model calls: ${calls.length}`)
}).pipe(Effect.provide(layer))
