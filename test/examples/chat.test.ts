import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as chat from "../../examples/chat.ts"

const transcript = Effect.flatMap(chat.ChatTranscript, (t) => t.lines)

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
      // each request is the system message plus the conversation so far, as messages with roles
      assert.deepStrictEqual(
        calls[2]!.prompt.content.map((m) => m.role),
        ["system", "user", "assistant", "user", "assistant", "user"]
      )
    }))

  it.effect("the model sees only the last `window` messages", () =>
    Effect.gen(function*() {
      const lines = yield* Effect.provide(
        Effect.andThen(chat.program, transcript),
        Layer.mergeAll(
          chat.model,
          chat.ChatStore.layer({ messages: [], window: 3 }),
          chat.ChatIO.scripted(["My name is Ada.", "My favourite colour is green.", "What is my name?"])
        )
      )
      // "My name is Ada." is four messages back when the question is asked: out of the window
      assert.strictEqual(lines.at(-1), "bot> You have not told me your name.")
    }))

  it.effect("the end of the input ends the chat like exit", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(chat.program, Layer.mergeAll(chat.layer, chat.ChatIO.scripted([])))
      assert.deepStrictEqual(state.messages, [])
    }))
})
