/**
 * `streaming`: token streaming. One node streams the model's reply with `LanguageModel.streamText` and sends each
 * text delta to whoever observes the run with `Flow.emit`; the caller watches the run through `Flow.events` and
 * prints the tokens as they arrive. Without a subscriber, `Flow.emit` does nothing and the flow runs as any other.
 *
 * Run it with `npm run example -- streaming`.
 */
import { Flow, FlowEvent, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

/** The shared store of the streaming flow. */
export class ChatStore extends Shared.Service<ChatStore, {
  readonly question: string
  readonly answer: string | undefined
}>()("examples/streaming/Store") {}

/** The question the example asks unless the caller provides another store. */
export const question = "How does a PocketFlow node work?"

/** What the node emits for each piece of the reply. */
export interface Token {
  readonly token: string
}

/**
 * Streams the answer: every text delta goes out through `Flow.emit` as it arrives, and the whole text is kept for
 * the store.
 */
export const answer = Node.make({
  name: "answer",
  prep: ChatStore.get.pipe(Effect.map((s) => s.question)),
  exec: (q) =>
    LanguageModel.streamText({ prompt: `Answer in two sentences.\nQuestion: ${q}` }).pipe(
      Stream.filter((part) => part.type === "text-delta"),
      Stream.runFoldEffect(
        () => "",
        (text, part) => Effect.as(Flow.emit({ token: part.delta } satisfies Token), text + part.delta)
      )
    ),
  post: (_q, text) => ChatStore.update((s) => ({ ...s, answer: text })).pipe(Node.as("answered"))
})

/** A flow of one node. */
export const flow = Flow.make({ name: "streaming", start: answer })

/** The reply the offline model gives, streamed in small chunks with a pause between them. */
export const reply = "A node runs prep, exec and post: prep reads the shared store, exec does the work (here, " +
  "streaming a model's reply), and post writes back and returns the action that picks the next node."

/** The offline model: one answer, streamed 6 characters at a time, 30 ms apart (so you can watch it arrive). */
export const model = TestLanguageModel.layer(({ text }) => text.includes("Question:") ? reply : undefined, {
  chunkSize: 6,
  chunkDelay: "30 millis"
})

/** Everything the flow needs: the offline model and a fresh store holding the question. */
export const layer = Layer.mergeAll(model, ChatStore.layer({ question, answer: undefined }))

/** Runs the flow and returns the final store; the caller provides `layer` (or its own store and model). */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* ChatStore.get
})

/** The tokens of a run, as the node emits them: the run's `Custom` events. */
export const tokens = <E, R>(self: Node.Node<string, E, R>): Stream.Stream<string, E, R> =>
  Flow.events(self).pipe(
    Stream.filter(FlowEvent.is("Custom")),
    Stream.map((event) => (event.data as Token).token)
  )

/** Runs the example offline, printing the answer token by token as it streams in. */
export const main = Effect.gen(function*() {
  yield* Console.log(`Question: ${question}`)
  yield* Effect.sync(() => process.stdout.write("Answer:   "))
  yield* Stream.runForEach(tokens(flow), (token) => Effect.sync(() => process.stdout.write(token)))
  yield* Effect.sync(() => process.stdout.write("\n"))
  const state = yield* ChatStore.get
  yield* Console.log(`(stored ${state.answer?.length ?? 0} characters)`)
}).pipe(Effect.provide(layer))
