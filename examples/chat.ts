/**
 * `chat`: a terminal chat with memory. The flow is a loop: `listen` reads a line from the user, `archive`
 * embeds the messages that have left the window, and `respond` sends the conversation to the model as
 * messages (system, user, assistant, …) and prints the reply. The model sees the last `window` messages, so a
 * long chat stays within its context, plus the archived message most similar to the user's latest one
 * (retrieved by `EmbeddingModel`), so it still recalls what was said long ago. Typing `exit` (or closing
 * the input) ends the flow.
 *
 * The terminal is a small `ChatIO` service: `ChatIO.terminal` reads stdin with `node:readline`,
 * `ChatIO.scripted(lines)` plays given lines and records what was printed, which is how the test drives
 * the loop and how `npm run example -- chat` runs when stdin is not a terminal.
 *
 * Run it with `npm run example -- chat`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestEmbeddingModel, TestLanguageModel } from "effect-pocketflow/testing"
import * as EmbeddingModel from "effect/ai/EmbeddingModel"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { createInterface } from "node:readline"

/** Where the chat reads the user's lines and prints its own. */
export class ChatIO extends Context.Service<ChatIO, {
  /** The user's next line; `None` when the input is closed. */
  readonly read: Effect.Effect<Option.Option<string>>
  readonly write: (line: string) => Effect.Effect<void>
}>()("examples/chat/ChatIO") {
  /** The process's terminal: a `you> ` prompt on stdout, lines from stdin. */
  static readonly terminal: Layer.Layer<ChatIO> = Layer.effect(
    ChatIO,
    Effect.gen(function*() {
      const rl = yield* Effect.acquireRelease(
        Effect.sync(() => createInterface({ input: process.stdin, output: process.stdout })),
        (rl) => Effect.sync(() => rl.close())
      )
      let closed = false
      rl.on("close", () => {
        closed = true
      })
      return ChatIO.of({
        read: Effect.callback<Option.Option<string>>((resume) => {
          if (closed) return resume(Effect.succeed(Option.none()))
          const onClose = () => resume(Effect.succeed(Option.none()))
          rl.once("close", onClose)
          rl.question("you> ", (line) => {
            rl.off("close", onClose)
            resume(Effect.succeed(Option.some(line)))
          })
        }),
        write: (line) => Console.log(line)
      })
    })
  )

  /** Plays `lines` as the user's input, then closes it; everything printed is kept in `ChatTranscript`. */
  static readonly scripted = (lines: ReadonlyArray<string>): Layer.Layer<ChatIO | ChatTranscript> =>
    Layer.effectContext(
      Effect.gen(function*() {
        const next = yield* Ref.make(0)
        const printed = yield* Ref.make<ReadonlyArray<string>>([])
        const write = (line: string) => Effect.andThen(Ref.update(printed, (all) => [...all, line]), Console.log(line))
        const read = Ref.getAndUpdate(next, (i) => i + 1).pipe(
          Effect.map((i) => Option.fromUndefinedOr(lines[i])),
          Effect.tap((line) => Option.isSome(line) ? write(`you> ${line.value}`) : Effect.void)
        )
        return Context.make(ChatIO, ChatIO.of({ read, write })).pipe(
          Context.add(ChatTranscript, { lines: Ref.get(printed) })
        )
      })
    )
}

/** What a scripted `ChatIO` printed, line by line. */
export class ChatTranscript extends Context.Service<ChatTranscript, {
  readonly lines: Effect.Effect<ReadonlyArray<string>>
}>()("examples/chat/ChatTranscript") {}

/** One message of the conversation. */
export interface Message {
  readonly role: "user" | "assistant"
  readonly content: string
}

/** A message that left the window, with its embedding. */
export interface Archived {
  readonly message: Message
  readonly vector: ReadonlyArray<number>
}

/**
 * The conversation so far, how many of its latest messages the model is shown, and the older messages,
 * embedded for retrieval.
 */
export interface ChatState {
  readonly messages: ReadonlyArray<Message>
  readonly window: number
  readonly archive: ReadonlyArray<Archived>
}

/** The shared store of the chat. */
export class ChatStore extends Shared.Service<ChatStore, ChatState>()("examples/chat/Store") {}

/** The system message every request starts with. */
export const system = "You are a friendly assistant. Answer in one or two sentences."

/** Reads a line; `exit` or the end of the input ends the chat. */
export const listen = Node.make({
  name: "listen",
  exec: () => Effect.flatMap(ChatIO, (io) => io.read),
  post: (_prep, line) =>
    Option.isNone(line) || line.value.trim().toLowerCase() === "exit"
      ? Node.action("exit")
      : ChatStore.update((s) => ({ ...s, messages: [...s.messages, { role: "user", content: line.value.trim() }] }))
        .pipe(Node.as("message"))
})

const similarity = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
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

/** An archived message counts as relevant from this cosine similarity to the user's latest message up. */
export const minSimilarity = 0.5

/** The archived message most similar to `text`, if any is similar enough. */
const recall = (archive: ReadonlyArray<Archived>, text: string) =>
  archive.length === 0 ?
    Effect.succeed(undefined) :
    Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) =>
      Effect.map(model.embed(text), ({ vector }) => {
        const best = archive
          .map((a) => ({ a, score: similarity(vector, a.vector) }))
          .reduce((x, y) => (y.score > x.score ? y : x))
        return best.score >= minSimilarity ? best.a.message : undefined
      }))

/**
 * Sends the system message, the recalled archived message (if any) and the latest messages to the model;
 * stores and prints its reply.
 */
export const respond = Node.make({
  name: "respond",
  prep: ChatStore.get,
  exec: (s) =>
    Effect.gen(function*() {
      const recent = s.messages.slice(-s.window)
      const recalled = yield* recall(s.archive, recent.at(-1)?.content ?? "")
      const memory = recalled === undefined
        ? []
        : [{ role: "system" as const, content: `Earlier in this conversation, ${recalled.role}: ${recalled.content}` }]
      const response = yield* LanguageModel.generateText({
        prompt: [{ role: "system", content: system }, ...memory, ...recent]
      })
      return response.text
    }),
  post: (_recent, reply) =>
    ChatStore.update((s) => ({ ...s, messages: [...s.messages, { role: "assistant", content: reply }] })).pipe(
      Effect.andThen(Effect.flatMap(ChatIO, (io) => io.write(`bot> ${reply}`)))
    )
})

/** Embeds the messages that have left the window (all at once) and adds them to the archive. */
export const archive = Node.make({
  name: "archive",
  prep: ChatStore.get.pipe(
    Effect.map((s) => s.messages.slice(s.archive.length, Math.max(s.archive.length, s.messages.length - s.window)))
  ),
  exec: (leaving) =>
    leaving.length === 0 ? Effect.succeed([]) : Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) =>
      Effect.map(
        model.embedMany(leaving.map((m) => m.content)),
        ({ embeddings }) => leaving.map((message, i): Archived => ({ message, vector: embeddings[i]!.vector }))
      )),
  post: (_leaving, archived) => ChatStore.update((s) => ({ ...s, archive: [...s.archive, ...archived] }))
})

/** listen → archive → respond → listen …, until `exit`. */
export const flow = Flow.make({ name: "chat", start: listen }).pipe(
  Flow.on(listen, "message", archive),
  Flow.next(archive, respond),
  Flow.next(respond, listen),
  Flow.end(listen, "exit")
)

/**
 * The scripted assistant remembers only what is in its prompt: it knows your name or favourite colour
 * when a message it was sent says so.
 */
export const model = TestLanguageModel.layer(({ text }) => {
  const said = (pattern: RegExp) => pattern.exec(text.split("\n").slice(1, -1).join("\n"))?.[1]
  const last = text.split("\n").at(-1) ?? ""
  if (/what is my name/i.test(last)) {
    const name = said(/my name is (\w+)/i)
    return name === undefined ? "You have not told me your name." : `Your name is ${name}.`
  }
  if (/what is my favou?rite colou?r/i.test(last)) {
    const colour = said(/favou?rite colou?r is (\w+)/i)
    return colour === undefined ? "You have not told me." : `Your favourite colour is ${colour}.`
  }
  const name = /my name is (\w+)/i.exec(last)?.[1]
  if (name !== undefined) return `Nice to meet you, ${name}!`
  return "Noted."
})

/** The example's scripted user, for runs without a terminal. */
export const demoLines: ReadonlyArray<string> = [
  "Hi! My name is Ada.",
  "My favourite colour is green.",
  "What is my name?",
  "What is my favourite colour?",
  "exit"
]

/**
 * The scripted model, the offline embedding model and an empty conversation that shows the model its last 4
 * messages.
 */
export const layer = Layer.mergeAll(
  model,
  TestEmbeddingModel.layer({ dimensions: 256 }),
  ChatStore.layer({ messages: [], window: 4, archive: [] })
)

/** Runs the chat loop and returns the conversation; provide `layer` and a `ChatIO`. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* ChatStore.get
})

/** Chats in the terminal when there is one; otherwise plays `demoLines`. */
export const main = Effect.gen(function*() {
  const io = process.stdin.isTTY ? ChatIO.terminal : ChatIO.scripted(demoLines)
  if (process.stdin.isTTY) yield* Console.log("Chat with the scripted model (type exit to leave).")
  else yield* Console.log("(no terminal: playing a scripted user)")
  const state = yield* Effect.provide(program, Layer.mergeAll(layer, io))
  yield* Console.log(`(${state.messages.length} messages, ${state.archive.length} archived)`)
})
