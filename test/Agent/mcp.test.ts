/**
 * MCP both ways, against a local MCP server over stdio (test/Agent/fixtures/mcp-server.ts, a child process): an agent
 * whose toolkit comes from the server through `McpClient` calls its tool; and a flow offered by the server with
 * `Mcp.tools` runs durably when a client calls it.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { McpClient, McpProtocol } from "effect/ai"
import { ChildProcess } from "effect/process"
import { resolve } from "node:path"
import { Agent, Flow, Mcp } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"
import { root } from "../support/process.ts"

const server = resolve(import.meta.dirname, "fixtures/mcp-server.ts")

/** A client of the fixture server, started as a child process for the test. */
const Client = McpClient.layerStdio({
  name: "pocketflow-test-client",
  version: "1.0.0",
  timeout: "60 seconds",
  command: ChildProcess.make(
    process.execPath,
    ["--conditions=effect-pocketflow-source", "--import", "tsx", server],
    { cwd: root }
  ),
  protocol: McpProtocol.v2025_11_25
}).pipe(Layer.provide(NodeServices.layer))

describe("MCP", () => {
  it.live(
    "an agent's toolkit from an MCP server: the model calls the server's tool and gets its result",
    () =>
      Effect.gen(function*() {
        let answer = ""
        const agent = Agent.make({
          name: "forecaster",
          instructions: "Use the tools.",
          prompt: Effect.succeed("How cold is Oslo?"),
          toolkit: Effect.flatMap(McpClient.McpClient, (client) => McpClient.toolkit(client)),
          post: ({ text, tools }) =>
            Effect.sync(() => {
              answer = `${text} (${tools.map((t) => `${t.name} -> ${JSON.stringify(t.result)}`).join("; ")})`
            })
        })
        const { calls } = yield* Effect.all({
          run: Flow.run(Flow.make({ name: "weather", start: agent })),
          calls: TestLanguageModel.calls
        }).pipe(
          Effect.provide(TestLanguageModel.layer([
            TestLanguageModel.toolCall("get_weather", { city: "Oslo" }),
            "4 °C."
          ]))
        )
        assert.includeMembers([...calls[0]!.tools], ["get_weather", "count"])
        assert.strictEqual(answer, "4 °C. (get_weather -> \"{\\\"city\\\":\\\"Oslo\\\",\\\"celsius\\\":4}\")")
        assert.include(calls[1]!.text, "tool result get_weather")
      }).pipe(Effect.provide(Client)),
    60_000
  )

  it.live(
    "a flow offered with Mcp.tools runs durably when a client calls it, and returns its stores",
    () =>
      Effect.gen(function*() {
        const client = yield* McpClient.McpClient
        const tools = yield* client.listTools()
        const count = tools.find((t) => t.name === "count")
        assert.isDefined(count)
        assert.strictEqual(count!.description, "Adds `by` to `n`, `times` times")
        const outcome = yield* client.callTool({
          tool: count!,
          schema: Mcp.Outcome,
          arguments: { id: "count-1", stores: { "mcp/Counter": { n: 1, by: 2, times: 3 } } }
        })
        assert.deepStrictEqual(outcome, {
          id: "count-1",
          status: "done",
          action: "done",
          stores: { "mcp/Counter": { n: 7, by: 2, times: 0 } },
          waiting: []
        })
        // The same id returns the finished run: it does not run again.
        const again = yield* client.callTool({
          tool: count!,
          schema: Mcp.Outcome,
          arguments: { id: "count-1", stores: { "mcp/Counter": { n: 100, by: 1, times: 1 } } }
        })
        assert.deepStrictEqual(again.stores, { "mcp/Counter": { n: 7, by: 2, times: 0 } })
        // Parameters that do not match the stores' schemas are refused.
        const bad = yield* client.callTool({ tool: count!, arguments: { stores: { "mcp/Counter": { n: "x" } } } })
        assert.isTrue(bad.isError)
      }).pipe(Effect.provide(Client)),
    60_000
  )
})
