import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestEmbeddingModel } from "effect-pocketflow/testing"
import * as rag from "../../examples/rag.ts"
import { recorded } from "../support/model.ts"

describe("examples/rag", () => {
  it.effect("indexes six paragraphs once, then answers each question from the chunks it retrieved", () =>
    Effect.gen(function*() {
      const { calls, result } = yield* Effect.provide(recorded(rag.program), rag.layer)
      assert.strictEqual(result.indexed, 6)
      assert.deepStrictEqual(result.answers.map((a) => a.answer), [
        "Worker bees perform the waggle dance, which tells the others the direction and distance of the flowers.",
        "Basalt lava is runny because it holds little silica."
      ])
      // the best chunk of each question is the paragraph that holds the fact
      assert.match(result.answers[0]!.sources[0]!, /waggle dance/)
      assert.match(result.answers[1]!.sources[0]!, /little silica/)
      assert.strictEqual(result.answers[0]!.sources.length, rag.topK)
      // one model call per question: the index is built without the language model
      assert.strictEqual(calls.length, 2)
    }))

  it.effect("the embeddings are the embedding model's: another model gives another index", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(
        Effect.andThen(rag.offline, rag.RagStore.get),
        Layer.mergeAll(
          TestEmbeddingModel.layer({ dimensions: 8 }),
          rag.model,
          rag.RagStore.layer({
            documents: rag.documents,
            chunks: [],
            index: [],
            question: "",
            retrieved: [],
            answer: undefined
          })
        )
      )
      assert.deepStrictEqual(
        state.index.map((e) => e.vector),
        state.chunks.map((c) => TestEmbeddingModel.vector(`${c.title}\n${c.text}`, { dimensions: 8 }))
      )
    }))

  it.effect("with nothing relevant retrieved, the model says it does not know", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(
        Effect.gen(function*() {
          yield* rag.offline
          // keep only the two honeybee chunks
          const question = "Why is basalt lava runny?"
          yield* rag.RagStore.update((s) => ({ ...s, question, index: s.index.slice(0, 2) }))
          yield* rag.online
          return yield* rag.RagStore.get
        }),
        rag.layer
      )
      assert.deepStrictEqual(state.retrieved.map((c) => c.title), ["Honeybees", "Honeybees"])
      assert.strictEqual(state.answer, "I don't know.")
    }))
})
