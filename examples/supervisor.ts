/**
 * `supervisor`: a flow used as a node. The research agent of `agent.ts` (an `Agent.make` node searching the web)
 * runs as one step of an outer flow; a supervisor node checks its answer and either accepts it or clears it and
 * sends the agent back to work. The research gathered so far is kept, so the second round answers at once.
 * The outer flow's `maxSteps` bounds the rounds: an agent that never gives an acceptable answer fails with
 * `MaxStepsExceeded` instead of looping forever.
 *
 * Offline, the scripted model gives a nonsense answer on its first try, as PocketFlow's "unreliable
 * answer node" does half of the time.
 *
 * Run it with `npm run example -- supervisor`.
 */
import { Flow, Node } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AgentStore, flow as agent, initial, question, ToolHandlers, WebSearch } from "./agent.ts"

/** Phrases that give an answer away as made up. */
export const nonsense: ReadonlyArray<string> = ["coffee break", "made up", "purple unicorns"]

/** Why the supervisor rejected an answer, or `undefined` when it accepts it. */
export const review = (answer: string | undefined): string | undefined => {
  if (answer === undefined || answer.trim() === "") return "no answer"
  const phrase = nonsense.find((p) => answer.toLowerCase().includes(p))
  return phrase === undefined ? undefined : `the answer says "${phrase}"`
}

/**
 * Accepts the agent's answer, or clears it and returns `"retry"`. Only the answer is cleared: the research
 * stays in the store, so the next round does not search again.
 */
export const supervisor = Node.make({
  name: "supervisor",
  prep: AgentStore.get.pipe(Effect.map((s) => s.answer)),
  exec: (answer) => Effect.succeed(review(answer)),
  post: (_answer, problem) =>
    problem === undefined
      ? AgentStore.update((s) => ({ ...s, trail: [...s.trail, "supervisor → approve"] })).pipe(Node.as("approved"))
      : AgentStore.update((s) => ({
        ...s,
        answer: undefined,
        trail: [...s.trail, `supervisor → reject (${problem})`]
      })).pipe(Node.as("retry"))
})

/** agent → supervisor, back to the agent on `"retry"`; at most three rounds. */
export const flow = Flow.make({ name: "supervised", start: agent, maxSteps: 6 }).pipe(
  Flow.next(agent, supervisor),
  Flow.on(supervisor, "retry", agent),
  Flow.end(supervisor, "approved")
)

/** The answer the supervisor must reject. */
export const badAnswer = "Sorry, I'm on a coffee break. The answer is 42, or maybe purple unicorns."

/** The answer it accepts. */
export const goodAnswer = "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics for " +
  "foundational discoveries that enable machine learning with artificial neural networks."

/**
 * The script, reply by reply: two searches and a nonsense answer in round one; round two already has its
 * research, so it answers at once, and well.
 */
export const model = TestLanguageModel.layer([
  TestLanguageModel.toolCall("web_search", { query: "2024 Nobel Prize Physics winners" }),
  TestLanguageModel.toolCall("web_search", { query: "Hopfield network Boltzmann machine neural network" }),
  badAnswer,
  goodAnswer
])

/** The agent's tool on the offline web search. */
export const tools = ToolHandlers.pipe(Layer.provide(WebSearch.offline))

/** The scripted model, the offline web search and a fresh store holding the question. */
export const layer = Layer.mergeAll(model, tools, AgentStore.layer(initial(question)))

/** Runs the supervised agent and returns the final store. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* AgentStore.get
})

/** Runs the example offline and prints every step, the supervisor's included. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${state.question}`)
  for (const [i, line] of state.trail.entries()) yield* Console.log(`  ${i + 1}. ${line}`)
  yield* Console.log(`Answer: ${state.answer ?? "(none)"}`)
})
