/**
 * `hello`: the smallest flow. One node reads the question from the shared store, asks the model, and
 * writes the answer back.
 *
 * Run it with `npm run example -- hello`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** The shared store of the hello flow. */
export class HelloStore extends Shared.Service<HelloStore, {
  readonly question: string
  readonly answer: string | undefined
}>()("examples/hello/Store") {}

/** The question the example asks unless the caller provides another store. */
export const question = "In one sentence, what is PocketFlow?"

/** Reads the question, asks the model, stores the answer. */
export const answer = Node.make({
  name: "answer",
  prep: HelloStore.get.pipe(Effect.map((s) => s.question)),
  exec: (q) => ask(`Answer the question in one sentence.\nQuestion: ${q}`),
  post: (_q, text) => HelloStore.update((s) => ({ ...s, answer: text })).pipe(Node.as("answered"))
})

/** A flow of one node: flows are how every example is run, even this one. */
export const flow = Flow.make({ name: "hello", start: answer })

/** The offline model's script: it knows one answer and admits ignorance otherwise. */
export const model = TestLanguageModel.layer(({ text }) => {
  if (/pocketflow/i.test(text)) {
    return "PocketFlow is a 100-line LLM framework that models a workflow as a graph of nodes joined by actions."
  }
  if (text.includes("Question:")) return "I don't know."
  // no reply: the test fails with a defect naming the call and its prompt
  return undefined
})

/** Everything the flow needs: the offline model and a fresh store holding the question. */
export const layer = Layer.mergeAll(model, HelloStore.layer({ question, answer: undefined }))

/** Runs the flow and returns the final store; the caller provides `layer` (or its own store and model). */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* HelloStore.get
})

/** Runs the example offline and prints the question and the answer. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${state.question}`)
  yield* Console.log(`Answer:   ${state.answer ?? "(none)"}`)
})
