/**
 * `mcp-agent`: an agent whose tools come from an MCP server. `McpClient.toolkit` turns the server's tools into an
 * `effect/ai` toolkit with handlers that call the server; `Agent.make` takes it as its `toolkit`. The server here is
 * the `mcp-server` example (a flow offered as the `forecast` tool), started as a child process over stdio.
 *
 * Run it with `npm run example -- mcp-agent`.
 */
import { Agent, Flow, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as McpClient from "effect/ai/McpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { client, Forecast } from "./mcp-server.ts"

/** The question and the answer. */
export class Chat extends Shared.Service<Chat, { readonly question: string; readonly answer: string }>()(
  "examples/mcp-agent/Chat"
) {}

/** The agent: its toolkit is whatever the connected MCP server offers. */
export const assistant = Agent.make({
  name: "assistant",
  instructions: "You answer questions about the weather with the tools you have.",
  prompt: Chat.get.pipe(Effect.map((c) => c.question)),
  toolkit: Effect.flatMap(McpClient.McpClient, (mcp) => McpClient.toolkit(mcp)),
  post: ({ text }) => Chat.update((c) => ({ ...c, answer: text }))
})

export const flow = Flow.make({ name: "mcp-agent", start: assistant })

/** The scripted model: call the server's `forecast` tool for Oslo, then answer from its result. */
export const model = TestLanguageModel.layer(({ text, tools }) => {
  if (!tools.includes("forecast")) return undefined
  const result = /tool result forecast "(.*)"$/m.exec(text)
  if (result === null) {
    return TestLanguageModel.toolCall("forecast", { stores: { [Forecast.key]: { city: "Oslo" } } })
  }
  const outcome = JSON.parse(JSON.parse(`"${result[1]}"`)) as {
    readonly stores: Record<string, { readonly celsius: number; readonly fahrenheit: number; readonly sky: string }>
  }
  const { celsius, fahrenheit, sky } = outcome.stores[Forecast.key]!
  return `In Oslo it is ${celsius} °C (${fahrenheit} °F) with ${sky}: take a jacket.`
})

/** The scripted model, the MCP server (a child process) and a fresh chat. */
export const layer = Layer.mergeAll(
  model,
  client,
  Chat.layer({ question: "Do I need a jacket in Oslo?", answer: "" })
)

/** Runs the agent and returns the chat. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* Chat.get
})

/** Runs the example and prints the answer. */
export const main = Effect.gen(function*() {
  const chat = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${chat.question}`)
  yield* Console.log(`Answer: ${chat.answer}`)
})
