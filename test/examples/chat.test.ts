import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestEmbeddingModel, TestLanguageModel } from "effect-pocketflow/testing"
import * as chat from "../../examples/chat.ts"

const transcript = Effect.flatMap(chat.ChatTranscript, (t) => t.lines)

/** The chat with a `window` of messages, fed `input` from a fresh store: its transcript and the model's calls. */
const chatting = (window: number, input: ReadonlyArray<string>) =>
  Effect.provide(
    Effect.all({ lines: Effect.andThen(chat.program, transcript), calls: TestLanguageModel.calls }),
    Layer.mergeAll(
      chat.model,
      TestEmbeddingModel.layer({ dimensions: 256 }),
      chat.ChatStore.layer({ messages: [], window, archive: [] }),
      chat.ChatIO.scripted(input)
    )
  )

describe("examples/chat", () => {
  it.effect("remembers what the user said earlier in the conversation; exit ends the loop", () =>
    Effect.gen(function*() {
      const { calls, lines, state } = yield* Effect.provide(
        Effect.all({ state: chat.program, lines: transcript, calls: TestLanguageModel.calls }),
        Layer.mergeAll(chat.layer, chat.ChatIO.scripted(chat.demoLines))
      )
      assert.deepStrictEqual(lines, [
        "you> Hi! My name is Ada.",
        "bot> Nice to meet you, Ada!",
        "you> My favourite colour is green.",
        "bot> Noted.",
        "you> What is my name?",
        "bot> Your name is Ada.",
        "you> What is my favourite colour?",
        "bot> Your favourite colour is green.",
        "you> exit"
      ])
      assert.strictEqual(state.messages.length, 8)
      // the model sees the last 4 messages; older ones are archived with their embeddings
      assert.deepStrictEqual(state.archive.map((a) => a.message.content), [
        "Hi! My name is Ada.",
        "Nice to meet you, Ada!",
        "My favourite colour is green."
      ])
      // the name had left the window when it was asked for: it came back as a recalled system message
      assert.deepStrictEqual(
        calls[2]!.prompt.content.map((m) => m.role),
        ["system", "system", "assistant", "user", "assistant", "user"]
      )
      assert.include(calls[2]!.text, "Earlier in this conversation, user: Hi! My name is Ada.")
      assert.include(calls[3]!.text, "Earlier in this conversation, user: My favourite colour is green.")
      assert.notInclude(calls[1]!.text, "Earlier in this conversation")
    }))

  it.effect("the model sees the last `window` messages and a recalled one, never the whole conversation", () =>
    Effect.gen(function*() {
      const { calls, lines } = yield* chatting(1, ["My name is Ada.", "I like tea.", "What is my favourite colour?"])
      // nothing about a colour was said: nothing similar enough is recalled, and the model does not know
      assert.strictEqual(lines.at(-1), "bot> You have not told me.")
      assert.deepStrictEqual(calls.map((c) => c.prompt.content.length), [2, 2, 2])
    }))

  it.effect("a fact that left the window long ago is recalled from the archive", () =>
    Effect.gen(function*() {
      const { calls, lines } = yield* chatting(2, ["My name is Ada.", "I like tea.", "What is my name?"])
      assert.strictEqual(lines.at(-1), "bot> Your name is Ada.")
      // the window holds the last reply and the question; the name came from the archive
      assert.deepStrictEqual(calls[2]!.prompt.content.map((m) => m.role), ["system", "system", "assistant", "user"])
      assert.include(calls[2]!.text, "Earlier in this conversation, user: My name is Ada.")
    }))

  it.effect("the end of the input ends the chat like exit", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(chat.program, Layer.mergeAll(chat.layer, chat.ChatIO.scripted([])))
      assert.deepStrictEqual(state.messages, [])
    }))
})
