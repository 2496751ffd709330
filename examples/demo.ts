/**
 * `npm run demo`: the agent, map-reduce and streaming examples, run on the offline scripted model, with a
 * short account of what happened in each. No API key or network is needed.
 *
 * Each section runs one example's `program` with its `layer` and prints from the final store, so what
 * is printed is what the flow really did.
 */
import { Flow } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as agent from "./agent.ts"
import * as approval from "./approval.ts"
import * as batchFlow from "./batch-flow.ts"
import * as hello from "./hello.ts"
import * as mapReduce from "./map-reduce.ts"
import * as observe from "./observe.ts"
import * as streaming from "./streaming.ts"
import * as structuredOutput from "./structured-output.ts"

// ---------------------------------------------------------------------------------------------------
// Output helpers
// ---------------------------------------------------------------------------------------------------

const heading = (title: string) => Console.log(`\n== ${title} ${"=".repeat(Math.max(0, 96 - title.length))}`)

const wrap = (text: string, width = 100, indent = "  ") => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else {
      line = line.length === 0 ? word : `${line} ${word}`
    }
  }
  if (line.length > 0) lines.push(line)
  return lines.map((l) => indent + l).join("\n")
}

// ---------------------------------------------------------------------------------------------------
// Section 1: the research agent (Agent.make: the model searches the web until it can answer)
// ---------------------------------------------------------------------------------------------------

const agentSection = Effect.gen(function*() {
  yield* heading("Agent: a web-search tool loop (Agent.make)")
  // `agent.program` runs the flow and reads the store; here the run goes through Flow.events to trace it.
  const events = yield* observe.collect(agent.flow)
  const state = yield* agent.AgentStore.get
  const calls = yield* TestLanguageModel.calls
  // Each trail line starts with what the agent did: a search or the answer.
  const path = state.trail.map((line) => line.split(" ")[0])
  yield* Console.log(`Question: ${state.question}`)
  yield* Console.log(`Steps: ${path.join(" → ")}  (${calls.length} model calls)`)
  for (const [i, line] of state.trail.entries()) yield* Console.log(`  ${i + 1}. ${line}`)
  yield* Console.log("Answer:")
  yield* Console.log(wrap(state.answer ?? "(none)"))
  yield* Console.log("Trace (from Flow.events: node → action (duration)):")
  for (const line of observe.traceTree(events)) yield* Console.log(`  ${line}`)
}).pipe(Effect.provide(agent.layer))

// ---------------------------------------------------------------------------------------------------
// Section 2: map-reduce (a parallel batch with a concurrency limit, then a reduce)
// ---------------------------------------------------------------------------------------------------

const mapReduceSection = Effect.gen(function*() {
  yield* heading(`Map-reduce: summarize (batch, concurrency ${mapReduce.concurrency}) → reduce`)
  // `mapReduce.program` runs the flow and reads the store; here the run shows live batch progress.
  yield* Console.log("Progress (from Flow.events):")
  yield* observe.withProgress(mapReduce.flow)
  const state = yield* mapReduce.MapReduceStore.get
  const calls = yield* TestLanguageModel.calls
  const maxInFlight = yield* TestLanguageModel.maxInFlight
  yield* Console.log(
    `Nodes run: summarize → reduce  (${state.documents.length} documents, ${calls.length} model calls, ` +
      `at most ${maxInFlight} at once)`
  )
  for (const s of state.summaries) yield* Console.log(`  - ${s.title}: ${s.summary}`)
  yield* Console.log("Reduced summary:")
  yield* Console.log(wrap(state.report ?? "(none)"))
}).pipe(Effect.provide(mapReduce.layer))

// ---------------------------------------------------------------------------------------------------
// Section 3: token streaming (a node sends each streamed delta through Flow.emit)
// ---------------------------------------------------------------------------------------------------

const streamingSection = Effect.gen(function*() {
  yield* heading("Streaming: LanguageModel.streamText → Flow.emit → Flow.events")
  yield* Console.log(`Question: ${streaming.question}`)
  yield* Effect.sync(() => process.stdout.write("Answer (live, as the tokens arrive): "))
  // Each Custom event is printed the moment the node emits it, while the model is still streaming.
  let count = 0
  yield* Stream.runForEach(streaming.tokens(streaming.flow), (token) =>
    Effect.sync(() => {
      count++
      process.stdout.write(token)
    }))
  yield* Effect.sync(() => process.stdout.write("\n"))
  const state = yield* streaming.ChatStore.get
  yield* Console.log(`(${count} tokens; the store holds the whole answer, ${state.answer?.length ?? 0} characters)`)
}).pipe(Effect.provide(streaming.layer))

// ---------------------------------------------------------------------------------------------------
// Section 4: every example flow as a Mermaid flowchart
// ---------------------------------------------------------------------------------------------------

const diagramsSection = Effect.gen(function*() {
  yield* heading("Diagrams: Flow.toMermaid (paste into any Mermaid renderer)")
  const flows = [hello.flow, agent.flow, mapReduce.flow, batchFlow.flow, structuredOutput.flow, streaming.flow]
  for (const flow of flows) {
    yield* Console.log(`\n${flow.name}:`)
    yield* Console.log(Flow.toMermaid(flow))
  }
})

// ---------------------------------------------------------------------------------------------------
// Section 4: a durable run that waits for a human and continues in another process
// ---------------------------------------------------------------------------------------------------

const durableSection = Effect.gen(function*() {
  yield* heading("Durable: ask a human, stop, continue from the checkpoint in a new process")
  yield* approval.main
})

// ---------------------------------------------------------------------------------------------------
// Run every section in order
// ---------------------------------------------------------------------------------------------------

const demo = Effect.gen(function*() {
  yield* Console.log("effect-pocketflow demo — offline scripted model (see examples/model.ts to use a real one)")
  yield* agentSection
  yield* mapReduceSection
  yield* streamingSection
  yield* diagramsSection
  yield* durableSection
})

Effect.runPromise(demo).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
