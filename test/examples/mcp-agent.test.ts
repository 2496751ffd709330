/** `mcp-agent`: an agent whose toolkit is the tools of an MCP server (the mcp-server example, a child process). */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as example from "../../examples/mcp-agent.ts"

describe("examples/mcp-agent", () => {
  it.live("the model calls the server's forecast tool and answers from its result", () =>
    Effect.gen(function*() {
      const { calls, chat } = yield* Effect.all({ chat: example.program, calls: TestLanguageModel.calls }).pipe(
        Effect.provide(example.layer)
      )
      assert.strictEqual(chat.answer, "In Oslo it is 4 °C (39.2 °F) with rain: take a jacket.")
      assert.deepStrictEqual(calls.map((c) => c.tools), [["forecast"], ["forecast"]])
    }), 60_000)
})
