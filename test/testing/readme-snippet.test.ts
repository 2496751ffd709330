import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestEmbeddingModel, TestLanguageModel } from "effect-pocketflow/testing"
import { EmbeddingModel, LanguageModel } from "effect/ai"

// The flow under test: one node asks the model to summarize the document in the store.
class Doc extends Shared.Service<Doc, {
  readonly text: string
  readonly summary: string | undefined
}>()("Doc") {}

const summarize = Node.make({
  name: "summarize",
  prep: Doc.get.pipe(Effect.map((doc) => doc.text)),
  exec: (text) => Effect.map(LanguageModel.generateText({ prompt: `Summarize: ${text}` }), (r) => r.text),
  retry: { times: 1 },
  post: (_text, summary) => Doc.update((doc) => ({ ...doc, summary })).pipe(Node.as("done"))
})
const flow = Flow.make({ name: "summarize", start: summarize })

// Each test provides a fresh store and a scripted model.
const provide = (script: TestLanguageModel.Script) =>
  Effect.provide(Layer.mergeAll(
    Doc.layer({ text: "Effect is a TypeScript library for typed effects.", summary: undefined }),
    TestLanguageModel.layer(script)
  ))

describe("summarize", () => {
  it.effect("stores the model's reply and sends the document in the prompt", () =>
    Effect.gen(function*() {
      yield* flow
      assert.strictEqual((yield* Doc.get).summary, "A typed-effects library.")
      assert.deepStrictEqual(yield* TestLanguageModel.prompts, [
        "Summarize: Effect is a TypeScript library for typed effects."
      ])
    }).pipe(provide(["A typed-effects library."])))

  it.effect("retries once when the model fails", () =>
    Effect.gen(function*() {
      yield* flow
      assert.strictEqual((yield* Doc.get).summary, "Second try.")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 2)
    }).pipe(provide([TestLanguageModel.fail("overloaded"), "Second try."])))

  it.effect("a script can answer from the prompt", () =>
    Effect.gen(function*() {
      yield* flow
      assert.strictEqual((yield* Doc.get).summary, "About Effect.")
    }).pipe(provide(({ text }) => (text.includes("Effect") ? "About Effect." : undefined))))
})

it.effect("TestEmbeddingModel: same text, same vector; shared words, nearer vectors", () =>
  Effect.gen(function*() {
    const model = yield* EmbeddingModel.EmbeddingModel
    const { embeddings } = yield* model.embedMany(["typed effects", "typed effects in TypeScript", "banana bread"])
    const [a, b, c] = embeddings.map((e) => e.vector)
    assert.deepStrictEqual(a, TestEmbeddingModel.vector("typed effects", { dimensions: 128 }))
    assert.isAbove(TestEmbeddingModel.cosine(a!, b!), TestEmbeddingModel.cosine(a!, c!))
  }).pipe(Effect.provide(TestEmbeddingModel.layer({ dimensions: 128 }))))
