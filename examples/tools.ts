/**
 * `tools`: a tool-calling agent on `effect/ai`'s `Toolkit`. The tools are declared with `Tool.make`
 * (parameters and results are Schemas), their handlers are a Layer, and the model chooses which to call.
 * `Agent.make` runs the loop: each turn sends the conversation so far, runs the tools the model called and sends
 * their results back; a turn with plain text is the answer. `maxTurns` bounds the model calls.
 *
 * Offline, `TestLanguageModel.toolCall` scripts the model's tool calls; the handlers really run.
 *
 * Run it with `npm run example -- tools`.
 */
import { Agent, Flow, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Prompt from "effect/ai/Prompt"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/** Today's weather in a city. */
export const GetWeather = Tool.make("get_weather", {
  description: "Today's weather in a city: temperature in °C and the sky",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number, sky: Schema.String })
})

/** Converts °C to °F. */
export const ToFahrenheit = Tool.make("celsius_to_fahrenheit", {
  description: "Converts a temperature from °C to °F",
  parameters: Schema.Struct({ celsius: Schema.Number }),
  success: Schema.Number
})

/** The tools the model may call. */
export const Tools = Toolkit.make(GetWeather, ToFahrenheit)

const forecasts: Readonly<Record<string, { readonly celsius: number; readonly sky: string }>> = {
  oslo: { celsius: 4, sky: "rain" },
  lisbon: { celsius: 21, sky: "sunny" }
}

/** The handlers: a fixed forecast table (a weather API in production) and the conversion formula. */
export const ToolHandlers = Tools.toLayer({
  get_weather: ({ city }) =>
    Effect.succeed({ city, ...(forecasts[city.toLowerCase()] ?? { celsius: 15, sky: "unknown" }) }),
  celsius_to_fahrenheit: ({ celsius }) => Effect.succeed(Math.round((celsius * 9 / 5 + 32) * 10) / 10)
})

/** One tool call the model made, and what the tool returned. */
export interface ToolUse {
  readonly name: string
  readonly params: unknown
  readonly result: unknown
}

/** The question, the tools used and the answer. */
export interface ToolsState {
  readonly question: string
  readonly used: ReadonlyArray<ToolUse>
  readonly answer: string | undefined
}

/** The shared store of the tool-calling agent. */
export class ToolsStore extends Shared.Service<ToolsStore, ToolsState>()("examples/tools/Store") {}

/** A fresh state asking `question`. */
export const initial = (question: string): ToolsState => ({ question, used: [], answer: undefined })

/** The agent: the model calls tools until it can answer; at most 5 model calls. */
export const assistant = Agent.make({
  name: "assistant",
  instructions: "You answer questions about the weather. Use the tools; never guess a number.",
  prompt: Effect.map(ToolsStore.get, (s) => s.question),
  toolkit: Tools,
  maxTurns: 5,
  post: ({ text, tools }) =>
    ToolsStore.update((s) => ({
      ...s,
      used: tools.map(({ name, params, result }) => ({ name, params, result })),
      answer: text
    }))
})

/** The agent as a flow. */
export const flow = Flow.make({ name: "tools", start: assistant })

/** The example's question. */
export const question = "Do I need a jacket in Oslo today? Tell me the temperature in Fahrenheit too."

// The tool results the model has been sent so far, by tool name.
const resultsIn = (prompt: Prompt.Prompt): Record<string, unknown> =>
  Object.fromEntries(
    prompt.content.flatMap((message) =>
      message.role === "tool"
        ? message.content.flatMap((part) => part.type === "tool-result" ? [[part.name, part.result]] : [])
        : []
    )
  )

/**
 * The scripted model plans as a real one would: weather first, then the conversion of the temperature
 * the weather tool returned, then an answer built from both results.
 */
export const model = TestLanguageModel.layer(({ prompt, tools }) => {
  if (!tools.includes("get_weather")) return undefined
  const results = resultsIn(prompt)
  const weather = results["get_weather"] as { city: string; celsius: number; sky: string } | undefined
  if (weather === undefined) {
    return TestLanguageModel.toolCall("get_weather", { city: "Oslo" }, { text: "Let me check the weather." })
  }
  const fahrenheit = results["celsius_to_fahrenheit"] as number | undefined
  if (fahrenheit === undefined) return TestLanguageModel.toolCall("celsius_to_fahrenheit", { celsius: weather.celsius })
  const { celsius, city, sky } = weather
  return `Yes: it is ${celsius} °C (${fahrenheit} °F) with ${sky} in ${city}, so take a jacket.`
})

/** The scripted model, the tool handlers and a fresh state. */
export const layer = Layer.mergeAll(model, ToolHandlers, ToolsStore.layer(initial(question)))

/** Runs the agent and returns the tools it used and its answer. */
export const program = Effect.gen(function*() {
  yield* flow
  const { answer, used } = yield* ToolsStore.get
  return { used, answer }
})

/** Runs the example offline and prints each tool call and the answer. */
export const main = Effect.gen(function*() {
  const { answer, used } = yield* Effect.provide(program, layer)
  yield* Console.log(`Question: ${question}`)
  for (const u of used) yield* Console.log(`  ${u.name}(${JSON.stringify(u.params)}) → ${JSON.stringify(u.result)}`)
  yield* Console.log(`Answer: ${answer ?? "(none)"}`)
})
