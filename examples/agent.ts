/**
 * `agent`: a research agent. `decide` asks the model whether to search the web or answer; `search`
 * calls the `WebSearch` service and loops back to `decide`; `answer` writes the final answer. The loop
 * is bounded by the flow's `maxSteps`, so a model that never stops searching fails with
 * `MaxStepsExceeded` instead of running forever.
 *
 * Run it with `npm run example -- agent`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { ask } from "./model.ts"

// ---------------------------------------------------------------------------------------------------
// The web search service and its offline fake
// ---------------------------------------------------------------------------------------------------

/** One search hit. */
export interface SearchResult {
  readonly title: string
  readonly url: string
  readonly snippet: string
}

/** The search backend was unreachable or refused the query. */
export class SearchError extends Data.TaggedError("SearchError")<{ readonly query: string; readonly reason: string }> {}

const pages: ReadonlyArray<SearchResult> = [
  {
    title: "The Nobel Prize in Physics 2024",
    url: "https://www.nobelprize.org/prizes/physics/2024/summary/",
    snippet: "The Nobel Prize in Physics 2024 was awarded jointly to John J. Hopfield and Geoffrey E. Hinton " +
      "\"for foundational discoveries and inventions that enable machine learning with artificial neural networks\"."
  },
  {
    title: "The Nobel Prize in Chemistry 2024",
    url: "https://www.nobelprize.org/prizes/chemistry/2024/summary/",
    snippet: "The Nobel Prize in Chemistry 2024 went to David Baker for computational protein design and jointly " +
      "to Demis Hassabis and John Jumper for protein structure prediction."
  },
  {
    title: "Hopfield network",
    url: "https://en.wikipedia.org/wiki/Hopfield_network",
    snippet: "A Hopfield network is a recurrent neural network that works as an associative memory: it stores " +
      "patterns and recovers them from incomplete inputs. John Hopfield described it in 1982."
  },
  {
    title: "Boltzmann machine",
    url: "https://en.wikipedia.org/wiki/Boltzmann_machine",
    snippet: "A Boltzmann machine is a stochastic neural network that learns the patterns in its data; Geoffrey " +
      "Hinton and Terry Sejnowski introduced its learning algorithm in 1985."
  }
]

const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2)

/**
 * Searches the web. A service, so the agent's type says it needs one and the caller decides which:
 * the offline fake here, or a real search API in production.
 */
export class WebSearch extends Context.Service<WebSearch, {
  readonly search: (query: string) => Effect.Effect<ReadonlyArray<SearchResult>, SearchError>
}>()("examples/agent/WebSearch") {
  /** A fixed index of four pages, ranked by how many query words they contain; the best two are returned. */
  static readonly offline: Layer.Layer<WebSearch> = Layer.succeed(WebSearch, {
    search: (query) =>
      Effect.sync(() => {
        const terms = new Set(words(query))
        return pages
          .map((page) => ({ page, score: words(`${page.title} ${page.snippet}`).filter((w) => terms.has(w)).length }))
          .filter(({ score }) => score > 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, 2)
          .map(({ page }) => page)
      })
  })
}

// ---------------------------------------------------------------------------------------------------
// The store and the nodes
// ---------------------------------------------------------------------------------------------------

/** One search the agent made and what it found. */
export interface Research {
  readonly query: string
  readonly results: ReadonlyArray<SearchResult>
}

/** The agent's shared state. `trail` is a readable log of the steps taken, for printing and tests. */
export interface AgentState {
  readonly question: string
  readonly research: ReadonlyArray<Research>
  readonly query: string | undefined
  readonly answer: string | undefined
  readonly trail: ReadonlyArray<string>
}

/** The shared store of the agent flow. */
export class AgentStore extends Shared.Service<AgentStore, AgentState>()("examples/agent/Store") {}

/** A fresh agent state for `question`. */
export const initial = (question: string): AgentState => ({
  question,
  research: [],
  query: undefined,
  answer: undefined,
  trail: []
})

/** What the model decided, decoded from its `key: value` reply. */
export const Decision = Schema.Union([
  Schema.Struct({ action: Schema.Literal("search"), reason: Schema.String, query: Schema.NonEmptyString }),
  Schema.Struct({ action: Schema.Literal("answer"), reason: Schema.String })
])

const parseFields = (text: string): Record<string, string> =>
  Object.fromEntries(
    text.split("\n").flatMap((line) => {
      const match = /^\s*(\w+)\s*:\s*(.*)$/.exec(line)
      return match === null ? [] : [[match[1]!.toLowerCase(), match[2]!.trim()]]
    })
  )

const renderResearch = (research: ReadonlyArray<Research>) =>
  research.length === 0
    ? "(none)"
    : research
      .map((r) => `### Search: ${r.query}\n${r.results.map((p) => `- ${p.title}: ${p.snippet}`).join("\n")}`)
      .join("\n")

const log = (line: string) => AgentStore.update((s) => ({ ...s, trail: [...s.trail, line] }))

/** Asks the model for the next move. A reply that does not decode is a typed failure, retried twice. */
export const decide = Node.make({
  name: "decide",
  prep: AgentStore.get,
  exec: (s) =>
    ask(
      [
        "You are a research agent. Decide whether to search the web or to answer the question now.",
        `## QUESTION\n${s.question}`,
        `## RESEARCH SO FAR\n${renderResearch(s.research)}`,
        "## REPLY FORMAT (exactly these lines)\naction: search | answer\nreason: <one sentence>\n" +
        "query: <web search query, only when action is search>"
      ].join("\n\n")
    ).pipe(Effect.flatMap((reply) => Schema.decodeUnknownEffect(Decision)(parseFields(reply)))),
  retry: { times: 2 },
  post: (_s, decision) =>
    Effect.gen(function*() {
      if (decision.action === "search") {
        yield* AgentStore.update((s) => ({ ...s, query: decision.query }))
        yield* log(`decide → search "${decision.query}" (${decision.reason})`)
        return "search"
      }
      yield* log(`decide → answer (${decision.reason})`)
      return "answer"
    })
})

/** Runs the query `decide` chose and adds the hits to the research. */
export const search = Node.make({
  name: "search",
  prep: AgentStore.get.pipe(Effect.map((s) => s.query ?? s.question)),
  exec: (query) => Effect.flatMap(WebSearch, (web) => web.search(query)),
  post: (query, results) =>
    AgentStore.update((s) => ({ ...s, query: undefined, research: [...s.research, { query, results }] })).pipe(
      Effect.andThen(log(`search → ${results.length} results: ${results.map((r) => r.title).join("; ")}`))
    )
})

/** Answers from the research gathered so far. */
export const answer = Node.make({
  name: "answer",
  prep: AgentStore.get,
  exec: (s) =>
    ask(
      [
        "Answer the question using only the research below, in at most three sentences.",
        `## QUESTION\n${s.question}`,
        `## RESEARCH\n${renderResearch(s.research)}`
      ].join("\n\n")
    ),
  post: (_s, text) => AgentStore.update((s) => ({ ...s, answer: text })).pipe(Effect.andThen(log("answer → done")))
})

/** decide → (search → decide)* → answer, at most 10 node steps. */
export const flow = Flow.make({ name: "agent", start: decide, maxSteps: 10 }).pipe(
  Flow.on(decide, "search", search),
  Flow.on(decide, "answer", answer),
  Flow.next(search, decide)
)

// ---------------------------------------------------------------------------------------------------
// The offline model, layers and programs
// ---------------------------------------------------------------------------------------------------

/** The question the example asks. */
export const question = "Who won the 2024 Nobel Prize in Physics, and for what?"

const searches = (prompt: string) => prompt.split("### Search:").length - 1
const isDecide = (prompt: string) => prompt.startsWith("You are a research agent")

/**
 * The offline model acts like a careful researcher: with no research it looks up the winners, with
 * one search it looks up the winners' work, then it answers. Its answer is only as good as the research
 * in its prompt, so the test checks that the searches really reached it.
 */
export const model = TestLanguageModel.layer(({ text }) => {
  if (isDecide(text)) {
    switch (searches(text)) {
      case 0:
        return "action: search\nreason: I need to know who the laureates are.\nquery: 2024 Nobel Prize Physics winners"
      case 1:
        return "action: search\nreason: I should explain what the laureates invented.\n" +
          "query: Hopfield network Boltzmann machine neural network"
      default:
        return "action: answer\nreason: The research covers the winners and their work."
    }
  }
  if (text.startsWith("Answer the question")) {
    return text.includes("Hopfield") && text.includes("Boltzmann")
      ? "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics for foundational " +
        "discoveries that enable machine learning with artificial neural networks: Hopfield for the Hopfield " +
        "network, an associative memory, and Hinton for the Boltzmann machine, which learns patterns in data."
      : "The research does not say."
  }
  return undefined
})

/** The offline model, the offline web search and a fresh store holding the example's question. */
export const layer = Layer.mergeAll(model, WebSearch.offline, AgentStore.layer(initial(question)))

/** Runs the agent and returns the final store; the caller provides `layer` or its own. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* AgentStore.get
})

/** Runs the agent offline and prints the question, each step and the answer. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${state.question}`)
  yield* Console.log(`Steps (${state.trail.length}):`)
  for (const [i, line] of state.trail.entries()) yield* Console.log(`  ${i + 1}. ${line}`)
  yield* Console.log(`Answer: ${state.answer ?? "(none)"}`)
})
