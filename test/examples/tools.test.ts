import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as tools from "../../examples/tools.ts"
import { recorded } from "../support/model.ts"

describe("examples/tools", () => {
  it.effect("the model calls the weather tool, then the conversion, then answers from both results", () =>
    Effect.gen(function*() {
      const { calls, result } = yield* Effect.provide(recorded(tools.program), tools.layer)
      assert.deepStrictEqual(result.used, [
        { name: "get_weather", params: { city: "Oslo" }, result: { city: "Oslo", celsius: 4, sky: "rain" } },
        { name: "celsius_to_fahrenheit", params: { celsius: 4 }, result: 39.2 }
      ])
      assert.strictEqual(result.answer, "Yes: it is 4 °C (39.2 °F) with rain in Oslo, so take a jacket.")
      assert.strictEqual(calls.length, 3)
      // every turn offers both tools, and carries the previous turns' calls and results
      assert.deepStrictEqual(calls[0]!.tools, ["get_weather", "celsius_to_fahrenheit"])
      assert.deepStrictEqual(calls.map((c) => c.prompt.content.map((m) => m.role)), [
        ["system", "user"],
        ["system", "user", "assistant", "tool"],
        ["system", "user", "assistant", "tool", "assistant", "tool"]
      ])
      assert.include(calls[2]!.text, "tool result celsius_to_fahrenheit 39.2")
    }))

  it.effect("a model that keeps calling tools is stopped by maxTurns", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(() => TestLanguageModel.toolCall("get_weather", { city: "Lisbon" }))
      const error = yield* Effect.flip(
        Effect.provide(
          tools.program,
          Layer.mergeAll(model, tools.ToolHandlers, tools.ToolsStore.layer(tools.initial("?")))
        )
      )
      assert.strictEqual(error._tag, "AgentTurnsExceeded")
      if (error._tag === "AgentTurnsExceeded") assert.strictEqual(error.maxTurns, 5)
    }))
})
