/**
 * `rag`: retrieval-augmented generation in two flows. The offline flow chunks the documents, embeds every
 * chunk with `effect/ai`'s `EmbeddingModel` (a batch node, four chunks at a time) and stores the index. The
 * online flow embeds a question, retrieves the closest chunks by cosine similarity and asks the model to
 * answer from them alone. The index is built once; the online flow runs once per question.
 *
 * Offline it runs on `TestEmbeddingModel` (a hashed bag of words: texts that share words are close) and a
 * scripted `TestLanguageModel` that can only answer from the context it is given.
 *
 * Run it with `npm run example -- rag`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestEmbeddingModel, TestLanguageModel } from "effect-pocketflow/testing"
import * as EmbeddingModel from "effect/ai/EmbeddingModel"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** One source document. */
export interface Document {
  readonly title: string
  readonly text: string
}

/** One paragraph of a document. */
export interface Chunk {
  readonly title: string
  readonly text: string
}

/** An embedded chunk: what the index holds. */
export interface Entry extends Chunk {
  readonly vector: ReadonlyArray<number>
}

/** The RAG store: the documents in, the index built from them, and the current question and its answer. */
export interface RagState {
  readonly documents: ReadonlyArray<Document>
  readonly chunks: ReadonlyArray<Chunk>
  readonly index: ReadonlyArray<Entry>
  readonly question: string
  readonly retrieved: ReadonlyArray<Chunk>
  readonly answer: string | undefined
}

/** The shared store of the RAG flows. */
export class RagStore extends Shared.Service<RagStore, RagState>()("examples/rag/Store") {}

/** How many chunks the online flow puts in the prompt. */
export const topK = 2

// ---------------------------------------------------------------------------------------------------
// Offline: chunk → embed → index
// ---------------------------------------------------------------------------------------------------

/** Splits every document into paragraphs: small chunks retrieve more precisely than whole documents. */
export const chunk = Node.make({
  name: "chunk",
  prep: RagStore.get.pipe(Effect.map((s) => s.documents)),
  exec: (documents) =>
    Effect.succeed(
      documents.flatMap((doc) =>
        doc.text.split(/\n\s*\n/).map((text) => text.trim()).filter((text) => text.length > 0)
          .map((text): Chunk => ({ title: doc.title, text }))
      )
    ),
  post: (_documents, chunks) => RagStore.update((s) => ({ ...s, chunks }))
})

/** Embeds each chunk; a provider's rate limits are why the batch is bounded. */
export const embed = Node.batch({
  name: "embed",
  prep: RagStore.get.pipe(Effect.map((s) => s.chunks)),
  exec: (chunk) =>
    Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) => model.embed(`${chunk.title}\n${chunk.text}`)).pipe(
      Effect.map((response): Entry => ({ ...chunk, vector: response.vector }))
    ),
  post: (_chunks, index) => RagStore.update((s) => ({ ...s, index })),
  concurrency: 4
})

/** chunk → embed: builds the index once, before any question. */
export const offline = Flow.make({ name: "index", start: chunk }).pipe(Flow.next(chunk, embed))

// ---------------------------------------------------------------------------------------------------
// Online: embed the question → retrieve → answer
// ---------------------------------------------------------------------------------------------------

/** Cosine similarity: how closely two embeddings point the same way. */
export const similarity = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/** Embeds the question and keeps the `topK` chunks closest to it. */
export const retrieve = Node.make({
  name: "retrieve",
  prep: RagStore.get,
  exec: (s) =>
    Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) => model.embed(s.question)).pipe(
      Effect.map(({ vector }) =>
        s.index
          .map((entry) => ({ entry, score: similarity(vector, entry.vector) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, topK)
          .map(({ entry }): Chunk => ({ title: entry.title, text: entry.text }))
      )
    ),
  post: (_s, retrieved) => RagStore.update((s) => ({ ...s, retrieved }))
})

/** Answers from the retrieved chunks only. */
export const generate = Node.make({
  name: "generate",
  prep: RagStore.get,
  exec: (s) =>
    ask(
      [
        "Answer the question in one sentence using only the context. " +
        "If the context does not say, reply \"I don't know.\"",
        `## CONTEXT\n${s.retrieved.map((c) => `[${c.title}] ${c.text}`).join("\n")}`,
        `## QUESTION\n${s.question}`
      ].join("\n\n")
    ),
  post: (_s, answer) => RagStore.update((s) => ({ ...s, answer })).pipe(Node.as("answered"))
})

/** retrieve → generate: runs once per question against the index. */
export const online = Flow.make({ name: "query", start: retrieve }).pipe(Flow.next(retrieve, generate))

// ---------------------------------------------------------------------------------------------------
// Data, offline models, programs
// ---------------------------------------------------------------------------------------------------

/** The example's corpus: three short notes on different subjects, two paragraphs each. */
export const documents: ReadonlyArray<Document> = [
  {
    title: "Honeybees",
    text: "A honeybee colony has one queen, thousands of female workers and a few hundred male drones.\n\n" +
      "Workers perform the waggle dance to tell other bees the direction and distance of flowers."
  },
  {
    title: "Volcanoes",
    text: "Basalt lava is runny because it holds little silica, so shield volcanoes grow wide and gentle.\n\n" +
      "Explosive eruptions come from sticky, silica rich magma that traps gas until it bursts."
  },
  {
    title: "Sourdough",
    text: "A sourdough starter is flour and water fermented by wild yeast and lactic acid bacteria.\n\n" +
      "Bakers feed the starter every day and use it to leaven bread instead of commercial yeast."
  }
]

/** The questions the example asks, in order. */
export const questions: ReadonlyArray<string> = [
  "How do bees tell other bees where the flowers are?",
  "Why is basalt lava runny?"
]

/**
 * The scripted model answers only when the fact is in its context, so the answers prove the retrieval: a
 * wrong chunk gives "I don't know."
 */
export const model = TestLanguageModel.layer(({ text }) => {
  if (!text.startsWith("Answer the question")) return undefined
  const context = text.split("## QUESTION")[0]!
  const question = text.split("## QUESTION")[1] ?? ""
  if (/bees/.test(question) && context.includes("waggle dance")) {
    return "Worker bees perform the waggle dance, which tells the others the direction and distance of the flowers."
  }
  if (/basalt/.test(question) && context.includes("little silica")) {
    return "Basalt lava is runny because it holds little silica."
  }
  return "I don't know."
})

/** The offline embedding model, the scripted language model and a store holding the documents. */
export const layer = Layer.mergeAll(
  TestEmbeddingModel.layer({ dimensions: 256 }),
  model,
  RagStore.layer({ documents, chunks: [], index: [], question: "", retrieved: [], answer: undefined })
)

/** What one question produced. */
export interface Answered {
  readonly question: string
  readonly sources: ReadonlyArray<string>
  readonly answer: string | undefined
}

/** Builds the index, then runs the online flow for each question; returns the index size and the answers. */
export const program = Effect.gen(function*() {
  yield* offline
  const answers: Array<Answered> = []
  for (const question of questions) {
    yield* RagStore.update((s) => ({ ...s, question, retrieved: [], answer: undefined }))
    yield* online
    const s = yield* RagStore.get
    answers.push({ question, sources: s.retrieved.map((c) => c.text), answer: s.answer })
  }
  const { index } = yield* RagStore.get
  return { indexed: index.length, answers }
})

/** Runs the example offline and prints each question, the chunks it retrieved and the answer. */
export const main = Effect.gen(function*() {
  const { answers, indexed } = yield* Effect.provide(program, layer)
  yield* Console.log(`Indexed ${indexed} chunks from ${documents.length} documents.`)
  for (const a of answers) {
    yield* Console.log(`\nQ: ${a.question}`)
    for (const source of a.sources) yield* Console.log(`  retrieved: ${source}`)
    yield* Console.log(`A: ${a.answer ?? "(none)"}`)
  }
})
