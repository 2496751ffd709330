import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as hello from "../../examples/hello.ts"

describe("examples/hello", () => {
  it.effect("stores the model's answer to the question", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(hello.program, hello.layer)
      assert.strictEqual(state.question, hello.question)
      assert.strictEqual(
        state.answer,
        "PocketFlow is a 100-line LLM framework that models a workflow as a graph of nodes joined by actions."
      )
    }))

  it.effect("answers whatever question the provided store holds", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(hello.model, hello.HelloStore.layer({ question: "Why?", answer: undefined }))
      const state = yield* Effect.provide(hello.program, layer)
      assert.strictEqual(state.answer, "I don't know.")
    }))
})
