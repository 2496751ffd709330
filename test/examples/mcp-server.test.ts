/** `mcp-server`: the forecast flow offered as an MCP tool over stdio, called by a client. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Mcp } from "effect-pocketflow"
import { McpClient } from "effect/ai"
import * as example from "../../examples/mcp-server.ts"

describe("examples/mcp-server", () => {
  it.live("offers the flow as the forecast tool; a call runs it and returns its stores", () =>
    Effect.gen(function*() {
      const mcp = yield* McpClient.McpClient
      const tools = yield* mcp.listTools()
      assert.deepStrictEqual(tools.map((t) => t.name), ["forecast"])
      const outcome = yield* mcp.callTool({
        tool: tools[0]!,
        schema: Mcp.Outcome,
        arguments: { id: "lisbon", stores: { [example.Forecast.key]: { city: "Lisbon" } } }
      })
      assert.strictEqual(outcome.status, "done")
      assert.deepStrictEqual(outcome.stores[example.Forecast.key], {
        city: "Lisbon",
        celsius: 21,
        fahrenheit: 69.8,
        sky: "sunny"
      })
    }).pipe(Effect.provide(example.client)), 60_000)
})
