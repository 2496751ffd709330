/**
 * `mcp-server`: a flow offered as an MCP tool. `Mcp.tools` registers the `forecast` flow (look up a city's weather,
 * then convert it to °F) with an `effect/ai` `McpServer` over stdio, so any MCP client — an IDE, a desktop
 * assistant, an agent (`mcp-agent`) — can call it; each call is a durable run on the server's checkpointer.
 *
 * `npm run example -- mcp-server` starts the server as a child process (`tsx examples/mcp-server.ts --stdio`),
 * connects to it with `McpClient`, lists its tools and calls `forecast`. To use it from another MCP client, point the
 * client at `npx tsx --conditions=effect-pocketflow-source examples/mcp-server.ts --stdio`.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as NodeStdio from "@effect/platform-node/NodeStdio"
import { Checkpointer, Flow, Mcp, Node, Shared } from "effect-pocketflow"
import * as McpClient from "effect/ai/McpClient"
import * as McpProtocol from "effect/ai/McpProtocol"
import * as McpServer from "effect/ai/McpServer"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ChildProcess } from "effect/process"
import * as Schema from "effect/Schema"

/** The forecast's state: the city asked about, then what the flow found. */
export class Forecast extends Shared.Service<Forecast>()("examples/mcp-server/Forecast", {
  schema: Schema.Struct({
    city: Schema.String,
    celsius: Schema.optional(Schema.Number),
    fahrenheit: Schema.optional(Schema.Number),
    sky: Schema.optional(Schema.String)
  })
}) {}

const table: Readonly<Record<string, { readonly celsius: number; readonly sky: string }>> = {
  oslo: { celsius: 4, sky: "rain" },
  lisbon: { celsius: 21, sky: "sunny" }
}

const lookup = Node.make({
  name: "lookup",
  prep: Forecast.get.pipe(Effect.map((f) => f.city)),
  exec: (city) => Effect.succeed(table[city.toLowerCase()] ?? { celsius: 15, sky: "unknown" }),
  post: (_, found) => Forecast.update((f) => ({ ...f, ...found }))
})

const convert = Node.make({
  name: "convert",
  prep: Forecast.get.pipe(Effect.map((f) => f.celsius ?? 0)),
  exec: (celsius) => Effect.succeed(Math.round((celsius * 9 / 5 + 32) * 10) / 10),
  post: (_, fahrenheit) => Forecast.update((f) => ({ ...f, fahrenheit }))
})

/** lookup → convert. */
export const forecast = Flow.make({ name: "forecast", start: lookup }).pipe(Flow.next(lookup, convert))

/** The MCP server over stdio, offering the flow; runs on a memory checkpointer. */
export const Server = McpServer.layerStdio({
  name: "pocketflow-forecast",
  version: "1.0.0",
  protocols: [McpProtocol.v2025_11_25],
  registrations: Mcp.tools([{
    flow: forecast,
    stores: [Forecast],
    description: "Today's weather in a city, in °C and °F. Parameters: { stores: { " +
      `"${Forecast.key}": { city } } }`
  }])
}).pipe(Layer.provide([NodeStdio.layer, Checkpointer.layerMemory]))

/** A client of this file's server, started as a child process with the same Node and loader flags. */
export const client = McpClient.layerStdio({
  name: "pocketflow-example",
  version: "1.0.0",
  timeout: "60 seconds",
  command: ChildProcess.make(process.execPath, [...process.execArgv, import.meta.filename, "--stdio"]),
  protocol: McpProtocol.v2025_11_25
}).pipe(Layer.provide(NodeServices.layer))

/** Starts the server, lists its tools and runs the flow through it. */
export const main = Effect.gen(function*() {
  const mcp = yield* McpClient.McpClient
  const tools = yield* mcp.listTools()
  yield* Console.log(`Tools: ${tools.map((t) => t.name).join(", ")}`)
  const tool = tools.find((t) => t.name === "forecast")!
  const outcome = yield* mcp.callTool({
    tool,
    schema: Mcp.Outcome,
    arguments: { stores: { [Forecast.key]: { city: "Oslo" } } }
  })
  yield* Console.log(`forecast → ${outcome.status}: ${JSON.stringify(outcome.stores[Forecast.key])}`)
}).pipe(Effect.provide(client))

if (process.argv.includes("--stdio")) Effect.runFork(Layer.launch(Server))
