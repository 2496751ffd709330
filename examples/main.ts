/**
 * Runs one example by name: `npm run example -- <name>`. With no name or an unknown one it lists the
 * examples and exits with status 1.
 *
 * `--model openai` runs the example's program on a real model instead of its scripted one: the
 * OpenAI-compatible provider from `effect-pocketflow/openai`, configured from the environment
 * (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`), and prints the final store.
 */
import { OpenAi } from "effect-pocketflow/openai"
import type * as LanguageModel from "effect/ai/LanguageModel"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as agentApproval from "./agent-approval.ts"
import * as agent from "./agent.ts"
import * as approval from "./approval.ts"
import * as batchFlow from "./batch-flow.ts"
import * as chat from "./chat.ts"
import * as digest from "./digest.ts"
import * as hello from "./hello.ts"
import * as majorityVote from "./majority-vote.ts"
import * as mapReduce from "./map-reduce.ts"
import * as mcpAgent from "./mcp-agent.ts"
import * as mcpServer from "./mcp-server.ts"
import * as multiAgent from "./multi-agent.ts"
import * as nestedBatch from "./nested-batch.ts"
import * as parallelResearch from "./parallel-research.ts"
import * as rag from "./rag.ts"
import * as resilient from "./resilient.ts"
import * as server from "./server.ts"
import * as streaming from "./streaming.ts"
import * as structuredOutput from "./structured-output.ts"
import * as supervisor from "./supervisor.ts"
import * as textToSql from "./text-to-sql.ts"
import * as tools from "./tools.ts"
import * as viewer from "./viewer.ts"

/** Every example's `main`, by the name given on the command line. */
export const examples: Readonly<Record<string, Effect.Effect<void, unknown>>> = {
  hello: hello.main,
  agent: agent.main,
  "agent-approval": agentApproval.main,
  "map-reduce": mapReduce.main,
  "batch-flow": batchFlow.main,
  "structured-output": structuredOutput.main,
  approval: approval.main,
  digest: digest.main,
  rag: rag.main,
  supervisor: supervisor.main,
  "multi-agent": multiAgent.main,
  "nested-batch": nestedBatch.main,
  "majority-vote": majorityVote.main,
  chat: chat.main,
  tools: tools.main,
  "mcp-server": mcpServer.main,
  "mcp-agent": mcpAgent.main,
  resilient: resilient.main,
  "text-to-sql": textToSql.main,
  streaming: streaming.main,
  "parallel-research": parallelResearch.main,
  viewer: viewer.main,
  server: server.main
}

/**
 * Every example's program on another model: its own layer with `model` merged last, so `model`'s
 * `LanguageModel` is the one the nodes see. The program returns the final store, which is printed.
 */
const onModel = (model: Layer.Layer<LanguageModel.LanguageModel, unknown>) => {
  const run = <A, E, R>(program: Effect.Effect<A, E, R>, layer: Layer.Layer<R>) =>
    Effect.flatMap(
      Effect.provide(program, Layer.merge(layer, model)),
      (state) => Console.log(JSON.stringify(state, null, 2))
    )
  return {
    hello: run(hello.program, hello.layer),
    agent: run(agent.program, agent.layer),
    // Its two processes each build their own model from scratch: it stays on the scripted one.
    "agent-approval": Effect.andThen(Console.log("(agent-approval runs on the scripted model)"), agentApproval.main),
    "map-reduce": run(mapReduce.program, mapReduce.layer),
    "batch-flow": run(batchFlow.program, batchFlow.layer),
    "structured-output": run(structuredOutput.program, structuredOutput.layer),
    // Its two processes each build their own model from scratch: it stays on the scripted one.
    approval: Effect.andThen(Console.log("(approval runs on the scripted model)"), approval.main),
    digest: digest.mainOn(model),
    // the embeddings stay on the offline TestEmbeddingModel; only the answers come from `model`
    rag: run(rag.program, rag.layer),
    supervisor: run(supervisor.program, supervisor.layer),
    "multi-agent": run(multiAgent.program, multiAgent.layer),
    "nested-batch": run(nestedBatch.program, nestedBatch.layer),
    "majority-vote": run(majorityVote.program, majorityVote.layer),
    chat: run(
      chat.program,
      Layer.merge(chat.layer, process.stdin.isTTY ? chat.ChatIO.terminal : chat.ChatIO.scripted(chat.demoLines))
    ),
    tools: run(tools.program, tools.layer),
    // No model in the server; the agent's MCP server is a child process.
    "mcp-server": mcpServer.main,
    "mcp-agent": run(mcpAgent.program, Layer.orDie(mcpAgent.layer)),
    resilient: run(resilient.program, resilient.layer),
    // It prints the queries and rows rather than the store: the database is the interesting part.
    "text-to-sql": textToSql.mainOn(model),
    streaming: run(streaming.program, streaming.layer),
    "parallel-research": run(parallelResearch.program, parallelResearch.layer),
    viewer: Effect.andThen(Console.log("(viewer runs on the scripted model)"), viewer.main),
    server: Effect.andThen(Console.log("(server runs on the scripted model)"), server.main)
  } satisfies Record<keyof typeof examples, Effect.Effect<void, unknown>>
}

const args = process.argv.slice(2)
const flag = args.findIndex((arg) => arg === "--model" || arg.startsWith("--model="))
const modelName = flag === -1
  ? "scripted"
  : args[flag]!.startsWith("--model=")
  ? args[flag]!.slice("--model=".length)
  : args[flag + 1]
const name = args.find((arg, i) => !arg.startsWith("--") && (flag === -1 || i !== flag + 1))

// The one place the model is chosen: the scripted model each example builds in, or a real one.
const chosen: Readonly<Record<string, Effect.Effect<void, unknown>>> | undefined = modelName === "scripted"
  ? examples
  : modelName === "openai"
  ? onModel(OpenAi.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)))
  : undefined
const example = name === undefined || chosen === undefined ? undefined : chosen[name]

if (chosen === undefined) {
  console.error(`Unknown model "${modelName}". Models: scripted (the default), openai.`)
  process.exit(1)
} else if (example === undefined) {
  console.error(`${name === undefined ? "No example given" : `Unknown example "${name}"`}. Examples:`)
  for (const known of Object.keys(examples)) console.error(`  npm run example -- ${known} [--model openai]`)
  process.exit(1)
} else {
  Effect.runPromise(example).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
