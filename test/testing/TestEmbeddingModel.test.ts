import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestEmbeddingModel } from "effect-pocketflow/testing"
import { EmbeddingModel } from "effect/ai"

const embed = (text: string) => Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) => model.embed(text))

describe("TestEmbeddingModel", () => {
  it.effect("the same text gives the same vector, of the chosen dimension, with length 1", () =>
    Effect.gen(function*() {
      const a = yield* embed("The cat sat on the mat")
      const b = yield* embed("The cat sat on the mat")
      assert.deepStrictEqual(a.vector, b.vector)
      assert.strictEqual(a.vector.length, 32)
      assert.closeTo(Math.hypot(...a.vector), 1, 1e-12)
      assert.deepStrictEqual(a.vector, TestEmbeddingModel.vector("The cat sat on the mat", { dimensions: 32 }))
      assert.strictEqual(yield* EmbeddingModel.Dimensions, 32)
    }).pipe(Effect.provide(TestEmbeddingModel.layer({ dimensions: 32 }))))

  it.effect("vectors do not depend on case, punctuation or which model instance made them", () =>
    Effect.gen(function*() {
      const first = yield* embed("Hello, World!").pipe(Effect.provide(TestEmbeddingModel.layer()))
      const second = yield* embed("hello world").pipe(Effect.provide(TestEmbeddingModel.layer()))
      assert.deepStrictEqual(first.vector, second.vector)
      assert.strictEqual(first.vector.length, 64)
    }))

  it.effect("texts that share words are nearer than texts that do not", () =>
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const { embeddings } = yield* model.embedMany([
        "effect pocketflow runs nodes in a flow",
        "a flow runs nodes",
        "bananas are yellow fruit"
      ])
      const [query, near, far] = embeddings.map((e) => e.vector)
      const toNear = TestEmbeddingModel.cosine(query!, near!)
      const toFar = TestEmbeddingModel.cosine(query!, far!)
      assert.isAbove(toNear, 0.5)
      assert.isBelow(Math.abs(toFar), 0.3)
    }).pipe(Effect.provide(TestEmbeddingModel.layer({ dimensions: 256 }))))

  it.effect("embedMany keeps input order and reports one input token per word", () =>
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const texts = ["one", "two words", "three words here"]
      const response = yield* model.embedMany(texts)
      assert.deepStrictEqual(
        response.embeddings.map((e) => e.vector),
        texts.map((t) => TestEmbeddingModel.vector(t))
      )
      assert.strictEqual(response.usage.inputTokens, 6)
    }).pipe(Effect.provide(TestEmbeddingModel.layer())))

  it("a text without words is the zero vector", () => {
    assert.deepStrictEqual(TestEmbeddingModel.vector("  ...  ", { dimensions: 4 }), [0, 0, 0, 0])
    assert.strictEqual(TestEmbeddingModel.cosine([0, 0], [1, 0]), 0)
  })

  it("words are lower-cased runs of letters and digits in any script", () => {
    assert.deepStrictEqual(TestEmbeddingModel.words("Grüße, 2024 Ärzte—OK"), ["grüße", "2024", "ärzte", "ok"])
  })

  it("rejects a dimension that is not a positive integer", () => {
    assert.throws(() => TestEmbeddingModel.layer({ dimensions: 0 }), RangeError, /dimensions/)
    assert.throws(() => TestEmbeddingModel.vector("x", { dimensions: 2.5 }), RangeError, /dimensions/)
    assert.throws(() => TestEmbeddingModel.cosine([1], [1, 2]), RangeError, /lengths 1 and 2/)
  })
})
