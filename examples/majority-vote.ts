/**
 * `majority-vote`: ask the same question several times and keep the answer most samples agree on. A batch
 * node runs the samples concurrently; each reply is decoded with `effect/Schema`, and a sample whose reply
 * does not decode falls back to an abstention instead of failing the whole vote. `post` counts the votes
 * and ends with `"decided"`, or `"undecided"` when every sample abstained.
 *
 * Run it with `npm run example -- majority-vote`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { ask } from "./model.ts"

/** The vote's state: the question, how many samples, every vote and the winner. */
export interface VoteState {
  readonly question: string
  readonly samples: number
  readonly votes: ReadonlyArray<string | undefined>
  readonly answer: string | undefined
  readonly agreement: number
}

/** The shared store of the majority vote. */
export class VoteStore extends Shared.Service<VoteStore, VoteState>()("examples/majority-vote/Store") {}

/** A sample's reply did not contain a decodable answer. */
export class Unreadable extends Data.TaggedError("Unreadable")<{ readonly reply: string }> {}

// The reply format: the reasoning, then a line `answer: <decimal with three places>`.
const Answer = Schema.String.check(Schema.isPattern(/^\d+\.\d{3}$/))
const decodeAnswer = Schema.decodeUnknownEffect(Answer)

/** Tallies the votes: the most frequent answer and its count; ties go to the answer seen first. */
export const tally = (votes: ReadonlyArray<string | undefined>): { answer: string; count: number } | undefined => {
  const counts = new Map<string, number>()
  for (const vote of votes) if (vote !== undefined) counts.set(vote, (counts.get(vote) ?? 0) + 1)
  let best: { answer: string; count: number } | undefined
  for (const [answer, count] of counts) if (best === undefined || count > best.count) best = { answer, count }
  return best
}

/** Samples the model `samples` times at once; each sample that cannot be read abstains. */
export const vote = Node.batch({
  name: "vote",
  prep: VoteStore.get.pipe(Effect.map((s) => Array.from({ length: s.samples }, () => s.question))),
  exec: (question) =>
    Effect.gen(function*() {
      const reply = yield* ask(
        "Answer the question. Think step by step, then end with a line " +
          `"answer: <a decimal with three places>".\n\n${question}`
      )
      const line = /^answer:\s*(.*)$/m.exec(reply)?.[1]?.trim() ?? ""
      return yield* decodeAnswer(line).pipe(Effect.mapError(() => new Unreadable({ reply })))
    }),
  fallback: () => Effect.succeed(undefined),
  concurrency: 5,
  post: (_questions, votes) =>
    Effect.gen(function*() {
      const best = tally(votes)
      yield* VoteStore.update((s) => ({ ...s, votes, answer: best?.answer, agreement: best?.count ?? 0 }))
      return yield* (best === undefined ? Node.action("undecided") : Node.action("decided"))
    })
})

/** A flow of the one batch node. */
export const flow = Flow.make({ name: "majority-vote", start: vote }).pipe(
  Flow.end(vote, "decided"),
  Flow.end(vote, "undecided")
)

/** PocketFlow's shoe-factory puzzle: the right answer is 1/3. */
export const question = "Six shoes (two each of sizes 4, 5 and 6) are drawn into three random pairs. " +
  "A pair is acceptable when its sizes differ by at most one. " +
  "What is the probability that all three pairs are acceptable?"

/**
 * Five samples, as a model at a high temperature might give: three right, one wrong, one that forgot the
 * format. Each reply takes a second; sampled at once, the vote takes one second, not five.
 */
export const model = TestLanguageModel.layer([
  "There are 15 ways to pair six shoes; 5 of them are acceptable.\nanswer: 0.333",
  "Counting pairings gives 5 good ones out of 15.\nanswer: 0.333",
  "Each pair has a 1/2 chance.\nanswer: 0.125",
  "I think it is about a third.",
  "5 of the 15 perfect matchings work.\nanswer: 0.333"
], { latency: "1 second" })

/** The scripted model and a store asking the puzzle five times. */
export const layer = Layer.mergeAll(
  model,
  VoteStore.layer({ question, samples: 5, votes: [], answer: undefined, agreement: 0 })
)

/** Runs the vote and returns its action and the final store. */
export const program = Effect.gen(function*() {
  const action = yield* flow
  return { action, state: yield* VoteStore.get }
})

/** Runs the example offline and prints the votes and the winner. */
export const main = Effect.gen(function*() {
  const { action, state } = yield* Effect.provide(program, layer)
  yield* Console.log(`Votes: ${state.votes.map((v) => v ?? "(abstained)").join(", ")}`)
  yield* Console.log(
    action === "decided"
      ? `Majority: ${state.answer} (${state.agreement} of ${state.samples})`
      : "No sample gave a readable answer."
  )
})
