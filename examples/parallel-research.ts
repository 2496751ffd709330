/**
 * `parallel-research`: fan out to different tools at once, then join. A `Flow.parallel` block runs three
 * branches side by side: a web search, a paper search and an encyclopedia lookup, each a node calling its
 * own service and writing its findings to the store. The block's `post` sees the branches' actions in branch
 * order and goes on to `synthesize` when at least one found something; the join node asks the model for an
 * answer from all the findings. The run takes as long as the slowest tool, not the sum of the three.
 *
 * The paper search is down in this example: its node's fallback records that and the other branches carry on.
 *
 * Run it with `npm run example -- parallel-research`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** A research service did not answer. */
export class ToolUnavailable extends Data.TaggedError("ToolUnavailable")<{ readonly tool: string }> {}

/** What one tool found: its name and its snippets (none when it found nothing or was down). */
export interface Findings {
  readonly tool: string
  readonly snippets: ReadonlyArray<string>
  readonly note: string | undefined
}

/** Three different research tools, each with its own backend. */
export class ResearchTools extends Context.Service<ResearchTools, {
  readonly web: (query: string) => Effect.Effect<ReadonlyArray<string>, ToolUnavailable>
  readonly papers: (query: string) => Effect.Effect<ReadonlyArray<string>, ToolUnavailable>
  readonly encyclopedia: (topic: string) => Effect.Effect<ReadonlyArray<string>, ToolUnavailable>
}>()("examples/parallel-research/ResearchTools") {
  /**
   * Offline tools with a fixed corpus and the latencies of real ones: the web search takes 300 ms, the
   * encyclopedia 100 ms, and the paper search fails after 200 ms.
   */
  static readonly offline: Layer.Layer<ResearchTools> = Layer.succeed(ResearchTools, {
    web: (query) =>
      Effect.succeed(
        /octopus/i.test(query)
          ? [
            "Octopuses have about 500 million neurons, two thirds of them in their arms.",
            "Octopuses have been filmed opening jars and escaping tanks."
          ]
          : []
      ).pipe(Effect.delay("300 millis")),
    papers: () => Effect.fail(new ToolUnavailable({ tool: "papers" })).pipe(Effect.delay("200 millis")),
    encyclopedia: (topic) =>
      Effect.succeed(
        /octopus/i.test(topic) ? ["Octopus: a soft-bodied cephalopod with eight arms and a large brain."] : []
      ).pipe(Effect.delay("100 millis"))
  })
}

/** The research store: the question, each tool's findings in branch order, and the answer. */
export interface ResearchState {
  readonly question: string
  readonly findings: Readonly<Record<string, Findings>>
  readonly answer: string | undefined
}

/** The shared store of the research flow; the branches write to it concurrently, each to its own key. */
export class ResearchStore extends Shared.Service<ResearchStore, ResearchState>()("examples/parallel-research/Store") {}

const record = (findings: Findings) =>
  ResearchStore.update((s) => ({ ...s, findings: { ...s.findings, [findings.tool]: findings } })).pipe(
    Effect.andThen(findings.snippets.length > 0 ? Node.action("found") : Node.action("empty"))
  )

// One branch per tool: the same shape, a different service call. A tool that is down yields no snippets.
const branch = (
  tool: "web" | "papers" | "encyclopedia",
  call: (tools: ResearchTools["Service"], question: string) => Effect.Effect<ReadonlyArray<string>, ToolUnavailable>
) =>
  Node.make({
    name: tool,
    prep: ResearchStore.get.pipe(Effect.map((s) => s.question)),
    exec: (question) =>
      Effect.flatMap(ResearchTools, (tools) => call(tools, question)).pipe(
        Effect.map((snippets): Findings => ({ tool, snippets, note: undefined }))
      ),
    timeout: "2 seconds",
    fallback: (_question, error) =>
      Effect.succeed<Findings>({ tool, snippets: [], note: `${tool} unavailable (${error._tag})` }),
    post: (_question, findings) => record(findings)
  })

/** Searches the web. */
export const web = branch("web", (tools, question) => tools.web(question))
/** Searches papers. */
export const papers = branch("papers", (tools, question) => tools.papers(question))
/** Looks the topic up in the encyclopedia. */
export const encyclopedia = branch("encyclopedia", (tools, question) => tools.encyclopedia(question))

/** The three searches at once; on to `synthesize` when any found something. */
export const research = Flow.parallel({
  name: "research",
  branches: [web, papers, encyclopedia],
  post: (actions) => actions.includes("found") ? Node.action("synthesize") : Node.action("nothing")
})

/** The findings in branch order (the store holds them in the order the branches finished). */
export const inBranchOrder = (s: ResearchState): ReadonlyArray<Findings> =>
  ["web", "papers", "encyclopedia"].flatMap((tool) => s.findings[tool] ?? [])

/** The join: one answer from every tool's findings. */
export const synthesize = Node.make({
  name: "synthesize",
  prep: ResearchStore.get,
  exec: (s) =>
    ask(
      [
        "Answer the question in two sentences from the findings below; say which sources you used.",
        `## QUESTION\n${s.question}`,
        ...inBranchOrder(s).map((f) =>
          `## ${f.tool.toUpperCase()}\n` +
          (f.snippets.length === 0 ? `(nothing: ${f.note ?? "no results"})` : f.snippets.join("\n"))
        )
      ].join("\n\n")
    ),
  post: (_s, answer) => ResearchStore.update((s) => ({ ...s, answer })).pipe(Node.as("done"))
})

/** research (three branches) → synthesize. */
export const flow = Flow.make({ name: "parallel-research", start: research }).pipe(
  Flow.on(research, "synthesize", synthesize),
  Flow.end(research, "nothing")
)

/** The example's question. */
export const question = "How smart are octopuses?"

/** The scripted model answers from the findings it is given, naming the sources that had any. */
export const model = TestLanguageModel.layer(({ text }) => {
  if (!text.startsWith("Answer the question in two sentences")) return undefined
  const used = ["WEB", "PAPERS", "ENCYCLOPEDIA"].filter((source) =>
    new RegExp(`## ${source}\\n(?!\\(nothing)`).test(text)
  )
  return text.includes("500 million neurons")
    ? `Octopuses are very smart: about 500 million neurons, most of them in their arms, let them open jars and ` +
      `escape tanks. Sources: ${used.join(", ").toLowerCase()}.`
    : "The findings do not say."
})

/** The offline tools, the scripted model and a fresh store holding the question. */
export const layer = Layer.mergeAll(
  ResearchTools.offline,
  model,
  ResearchStore.layer({ question, findings: {}, answer: undefined })
)

/** Runs the research and returns the final store. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* ResearchStore.get
})

/** Runs the example offline and prints each tool's findings and the answer. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${state.question}`)
  for (const f of inBranchOrder(state)) {
    yield* Console.log(`  ${f.tool}: ${f.snippets.length === 0 ? f.note ?? "nothing" : f.snippets.join(" ")}`)
  }
  yield* Console.log(`Answer: ${state.answer ?? "(none)"}`)
})
