/**
 * `agent`: a research agent on `Agent.make`. The model has one tool, `web_search` (the `WebSearch` service), and
 * calls it until it can answer; the agent node runs that loop, and its `post` writes the searches and the answer to
 * the store. `maxTurns` bounds the model calls, so a model that never stops searching fails with
 * `AgentTurnsExceeded` instead of running forever. The flow is the agent alone, so other flows can use it as a node
 * (`supervisor` does).
 *
 * Run it with `npm run example -- agent`.
 */
import { Agent, Flow, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------------------------------
// The web search service and its offline fake
// ---------------------------------------------------------------------------------------------------

/** One search hit. */
export const SearchResult = Schema.Struct({ title: Schema.String, url: Schema.String, snippet: Schema.String })
export type SearchResult = typeof SearchResult.Type

/** The search backend was unreachable or refused the query. */
export class SearchError extends Schema.TaggedError<SearchError>()("SearchError", {
  query: Schema.String,
  reason: Schema.String
}) {}

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

  /** A backend that is down. */
  static readonly down: Layer.Layer<WebSearch> = Layer.succeed(WebSearch, {
    search: (query) => Effect.fail(new SearchError({ query, reason: "503 from the search API" }))
  })
}

// ---------------------------------------------------------------------------------------------------
// The tool, the store and the agent
// ---------------------------------------------------------------------------------------------------

/** The one tool: a web search. Its failure is typed, so a search backend that is down fails the agent with it. */
export const WebSearchTool = Tool.make("web_search", {
  description: "Searches the web; returns the two best pages (title, url, snippet)",
  parameters: Schema.Struct({ query: Schema.String }),
  success: Schema.Array(SearchResult),
  failure: SearchError
})
export const Tools = Toolkit.make(WebSearchTool)

/** The tool's handler: the `WebSearch` service. */
export const ToolHandlers = Tools.toLayer(Effect.gen(function*() {
  const web = yield* WebSearch
  return { web_search: ({ query }) => web.search(query) }
}))

/** One search the agent made and what it found. */
export interface Research {
  readonly query: string
  readonly results: ReadonlyArray<SearchResult>
}

/** The agent's shared state. `trail` is a readable log of the steps taken, for printing and tests. */
export interface AgentState {
  readonly question: string
  readonly research: ReadonlyArray<Research>
  readonly answer: string | undefined
  readonly trail: ReadonlyArray<string>
}

/** The shared store of the agent flow. */
export class AgentStore extends Shared.Service<AgentStore, AgentState>()("examples/agent/Store") {}

/** A fresh agent state for `question`. */
export const initial = (question: string): AgentState => ({ question, research: [], answer: undefined, trail: [] })

const renderResearch = (research: ReadonlyArray<Research>) =>
  research.length === 0
    ? "(none)"
    : research
      .map((r) => `### Search: ${r.query}\n${r.results.map((p) => `- ${p.title}: ${p.snippet}`).join("\n")}`)
      .join("\n")

/** The searches an agent run made, from its tool calls. */
const searchesOf = (result: Agent.Result): ReadonlyArray<Research> =>
  result.tools.map((use) => ({
    query: (use.params as { readonly query: string }).query,
    results: use.result as ReadonlyArray<SearchResult>
  }))

/** The research agent: searches until it can answer, at most six model calls. */
export const researcher = Agent.make({
  name: "research",
  instructions: "You are a research agent. Search the web until the research answers the question, " +
    "then answer in at most three sentences, using only the research.",
  prompt: AgentStore.get.pipe(
    Effect.map((s) => `## QUESTION\n${s.question}\n\n## RESEARCH SO FAR\n${renderResearch(s.research)}`)
  ),
  toolkit: Tools,
  maxTurns: 6,
  post: (result) =>
    AgentStore.update((s) => {
      const found = searchesOf(result)
      return {
        ...s,
        research: [...s.research, ...found],
        answer: result.text,
        trail: [
          ...s.trail,
          ...found.map((r) =>
            `search "${r.query}" → ${r.results.length} results: ${r.results.map((p) => p.title).join("; ")}`
          ),
          `answer (${result.turns} model calls)`
        ]
      }
    })
})

/** The agent as a flow, so it can run alone or as a node of a bigger flow. */
export const flow = Flow.make({ name: "agent", start: researcher })

// ---------------------------------------------------------------------------------------------------
// The offline model, layers and programs
// ---------------------------------------------------------------------------------------------------

/** The question the example asks. */
export const question = "Who won the 2024 Nobel Prize in Physics, and for what?"

const searches = (prompt: string) =>
  prompt.split("### Search:").length + prompt.split("tool result web_search").length - 2

/**
 * The offline model acts like a careful researcher: with no research it looks up the winners, with one search it
 * looks up the winners' work, then it answers. Its answer is only as good as the research in its prompt (the tool
 * results included), so the test checks that the searches really reached it.
 */
export const model = TestLanguageModel.layer(({ text, tools }) => {
  if (!tools.includes("web_search")) return undefined
  switch (searches(text)) {
    case 0:
      return TestLanguageModel.toolCall("web_search", { query: "2024 Nobel Prize Physics winners" })
    case 1:
      return TestLanguageModel.toolCall("web_search", { query: "Hopfield network Boltzmann machine neural network" })
    default:
      return text.includes("Hopfield") && text.includes("Boltzmann")
        ? "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics for foundational " +
          "discoveries that enable machine learning with artificial neural networks: Hopfield for the Hopfield " +
          "network, an associative memory, and Hinton for the Boltzmann machine, which learns patterns in data."
        : "The research does not say."
  }
})

/** The offline model, the offline web search and a fresh store holding the example's question. */
export const layer = Layer.mergeAll(
  model,
  ToolHandlers.pipe(Layer.provide(WebSearch.offline)),
  AgentStore.layer(initial(question))
)

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
