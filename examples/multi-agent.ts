/**
 * `multi-agent`: two agents play Taboo. The hinter describes a secret word without saying it or any of its
 * forbidden words; the guesser guesses from the hints. Each agent is its own flow (one node that loops on
 * itself), both run at the same time, and they talk only through mailboxes: two `Queue`s in a `Mailboxes`
 * service. When the guesser is right (or gives up) it tells the hinter the game is over, both flows end,
 * and closing the `Mailboxes` layer shuts the queues down. If one agent fails, the other, waiting on its
 * mailbox, is interrupted: nothing is left hanging.
 *
 * Run it with `npm run example -- multi-agent`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import { ask } from "./model.ts"

/** What the hinter receives: the start signal, a wrong guess, or the end of the game. */
export type ToHinter =
  | { readonly _tag: "Start" }
  | { readonly _tag: "Guess"; readonly word: string }
  | { readonly _tag: "GameOver" }

/** What the guesser receives: a hint. */
export interface ToGuesser {
  readonly _tag: "Hint"
  readonly text: string
}

/**
 * One mailbox per agent. The layer owns the queues: when the program's scope closes, they are shut down,
 * so an agent still waiting on one is released.
 */
export class Mailboxes extends Context.Service<Mailboxes, {
  readonly hinter: Queue.Queue<ToHinter>
  readonly guesser: Queue.Queue<ToGuesser>
}>()("examples/multi-agent/Mailboxes") {
  static readonly layer: Layer.Layer<Mailboxes> = Layer.effect(
    Mailboxes,
    Effect.acquireRelease(
      Effect.all({ hinter: Queue.unbounded<ToHinter>(), guesser: Queue.unbounded<ToGuesser>() }),
      ({ guesser, hinter }) => Effect.andThen(Queue.shutdown(hinter), Queue.shutdown(guesser))
    )
  )
}

/** The game, shared by both agents: the word, what may not be said, and what was said. */
export interface GameState {
  readonly target: string
  readonly forbidden: ReadonlyArray<string>
  readonly maxGuesses: number
  readonly hints: ReadonlyArray<string>
  readonly guesses: ReadonlyArray<string>
  readonly outcome: "guessed" | "gave up" | undefined
}

/** The game's shared store. Both agents update it; each update is atomic. */
export class GameStore extends Shared.Service<GameStore, GameState>()("examples/multi-agent/Game") {}

const toHinter = (message: ToHinter) => Effect.flatMap(Mailboxes, (boxes) => Queue.offer(boxes.hinter, message))
const toGuesser = (message: ToGuesser) => Effect.flatMap(Mailboxes, (boxes) => Queue.offer(boxes.guesser, message))

/** Waits for the next message to the hinter; a game-over message means there is nothing to do. */
export const hinter = Node.make({
  name: "hinter",
  prep: Effect.gen(function*() {
    const message = yield* Effect.flatMap(Mailboxes, (boxes) => Queue.take(boxes.hinter))
    return { message, game: yield* GameStore.get }
  }),
  exec: ({ game, message }) =>
    message._tag === "GameOver" ? Effect.succeed(undefined) : ask(
      [
        "You are the hinter in a game of Taboo.",
        `Describe the word "${game.target}" in at most eight words without using it or any of: ${
          game.forbidden.join(", ")
        }.`,
        game.guesses.length === 0 ? "" : `Wrong guesses so far: ${game.guesses.join(", ")}. Be more specific.`
      ].filter((line) => line !== "").join("\n")
    ),
  post: (_prep, hint) =>
    hint === undefined ? Node.action("end") : Effect.gen(function*() {
      yield* GameStore.update((s) => ({ ...s, hints: [...s.hints, hint] }))
      yield* toGuesser({ _tag: "Hint", text: hint })
      return yield* Node.action("continue")
    })
})

/** Waits for a hint, guesses, and tells the hinter the guess or that the game is over. */
export const guesser = Node.make({
  name: "guesser",
  prep: Effect.gen(function*() {
    const hint = yield* Effect.flatMap(Mailboxes, (boxes) => Queue.take(boxes.guesser))
    return { hint: hint.text, game: yield* GameStore.get }
  }),
  exec: ({ game, hint }) =>
    ask(
      [
        "You are the guesser in a game of Taboo. Reply with a single word.",
        `Hint: ${hint}`,
        game.guesses.length === 0 ? "" : `Your wrong guesses so far: ${game.guesses.join(", ")}`
      ].filter((line) => line !== "").join("\n")
    ).pipe(Effect.map((word) => word.trim().toLowerCase().replace(/[^a-z]/g, ""))),
  post: (_prep, word) =>
    Effect.gen(function*() {
      const game = yield* GameStore.modify((s) => {
        const next = { ...s, guesses: [...s.guesses, word] }
        return [next, next] as const
      })
      const outcome = word === game.target ? "guessed" : game.guesses.length >= game.maxGuesses ? "gave up" : undefined
      if (outcome === undefined) {
        yield* toHinter({ _tag: "Guess", word })
        return yield* Node.action("continue")
      }
      yield* GameStore.update((s) => ({ ...s, outcome }))
      yield* toHinter({ _tag: "GameOver" })
      return yield* Node.action("end")
    })
})

/** The hinter agent: one node looping on itself until the game is over. */
export const hinterFlow = Flow.make({ name: "hinter", start: hinter, maxSteps: 50 }).pipe(
  Flow.on(hinter, "continue", hinter),
  Flow.end(hinter, "end")
)

/** The guesser agent. */
export const guesserFlow = Flow.make({ name: "guesser", start: guesser, maxSteps: 50 }).pipe(
  Flow.on(guesser, "continue", guesser),
  Flow.end(guesser, "end")
)

/** Starts the game and runs both agents concurrently until both have ended; returns the final game. */
export const program = Effect.gen(function*() {
  yield* toHinter({ _tag: "Start" })
  yield* Effect.all([hinterFlow, guesserFlow], { concurrency: 2 })
  return yield* GameStore.get
})

/** The game of the example. */
export const game: GameState = {
  target: "nostalgia",
  forbidden: ["memory", "past", "remember", "feeling", "longing"],
  maxGuesses: 5,
  hints: [],
  guesses: [],
  outcome: undefined
}

const hints = [
  "A bittersweet ache for the old days",
  "Looking at childhood photos and sighing",
  "Homesick for a time, not a place"
]
const guessFor: Readonly<Record<string, string>> = {
  [hints[0]!]: "Melancholy",
  [hints[1]!]: "reminiscence",
  [hints[2]!]: "Nostalgia."
}

/** The scripted agents: each hint gets more specific with the number of wrong guesses it is shown. */
export const model = TestLanguageModel.layer(({ text }) => {
  if (text.startsWith("You are the hinter")) {
    const wrong = /Wrong guesses so far: (.*)\./.exec(text)?.[1]?.split(", ").length ?? 0
    return hints[Math.min(wrong, hints.length - 1)]
  }
  if (text.startsWith("You are the guesser")) return guessFor[/Hint: (.*)/.exec(text)?.[1] ?? ""]
  return undefined
})

/** The scripted model, fresh mailboxes and a fresh game. */
export const layer = Layer.mergeAll(model, Mailboxes.layer, GameStore.layer(game))

/** Plays the game offline and prints the conversation. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Secret word: ${state.target} (forbidden: ${state.forbidden.join(", ")})`)
  for (const [i, hint] of state.hints.entries()) {
    yield* Console.log(`  hinter:  ${hint}`)
    if (state.guesses[i] !== undefined) yield* Console.log(`  guesser: ${state.guesses[i]}`)
  }
  yield* Console.log(`Outcome: ${state.outcome ?? "(none)"} after ${state.guesses.length} guesses`)
})
