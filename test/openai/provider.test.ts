/**
 * The OpenAI-compatible provider against a fake server on 127.0.0.1 that replays recorded response bodies:
 * what comes back (text, streamed parts, tool calls, structured output, typed errors) and what was sent
 * (model, messages, tools, stream flag, Authorization header).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Duration, Effect, Fiber, Layer, Logger, Redacted, Schema, Stream } from "effect"
import { AiError, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import * as util from "node:util"
import { OpenAi } from "../../src/openai.ts"
import { recording } from "../support/tracing.ts"
import { type FakeServer, fakeServer, httpClient, json, type Reply, sse } from "./fake-server.ts"
import * as F from "./fixtures.ts"

const provider = (fake: FakeServer, options: Partial<OpenAi.Options> = {}) =>
  OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make(F.apiKey), baseUrl: fake.baseUrl, ...options }).pipe(
    Layer.provide(httpClient)
  )

/** Starts a fake with `replies` and returns it with the provider layer pointed at it. */
const setup = (replies: ReadonlyArray<Reply>, options: Partial<OpenAi.Options> = {}) =>
  Effect.map(fakeServer(replies), (fake) => ({ fake, layer: provider(fake, options) }))

const GetWeather = Tool.make("GetWeather", {
  description: "The current weather in a city",
  parameters: Schema.Struct({
    city: Schema.String,
    unit: Schema.optional(Schema.Literals(["celsius", "fahrenheit"]))
  }),
  success: Schema.Struct({ city: Schema.String, temperature: Schema.Number, unit: Schema.String })
})
const Weather = Toolkit.make(GetWeather)
const WeatherHandlers = Weather.toLayer({
  GetWeather: ({ city, unit }) =>
    Effect.succeed({ city, temperature: unit === "fahrenheit" ? 46 : 18, unit: unit ?? "celsius" })
})

const reasonOf = (error: AiError.AiError) => error.reason

/** The reason `streamText` fails when the server sends `chunks`, then ends the response as `then` says. */
const streamFailure = (chunks: ReadonlyArray<string>, then: "end" | "destroy") =>
  Effect.gen(function*() {
    const { layer } = yield* setup([{ _tag: "Stream", chunks, then }])
    const error = yield* LanguageModel.streamText({ prompt: "Hi" }).pipe(
      Stream.runDrain,
      Effect.flip,
      Effect.provide(layer)
    )
    return reasonOf(error)
  })

/** Everything an error shows: its string, its JSON, its message, and how a logger renders it. */
const renderings = (error: AiError.AiError) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const capture = Logger.map(Logger.formatJson, (line) => {
      lines.push(line)
    })
    yield* Effect.logError("model call failed", error).pipe(Effect.provide(Logger.layer([capture])))
    yield* Effect.logError(error).pipe(Effect.provide(Logger.layer([capture])))
    return [String(error), JSON.stringify(error), error.message, String(error.reason), ...lines]
  })

describe("generateText", () => {
  it.effect("returns the text, finish reason and usage, and sends model, messages and the bearer key", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.textCompletion)])
      const response = yield* LanguageModel.generateText({
        prompt: [
          { role: "system", content: "Answer in one sentence." },
          { role: "user", content: "What is the capital of France?" }
        ]
      }).pipe(Effect.provide(layer))

      assert.strictEqual(response.text, "The capital of France is Paris.")
      assert.strictEqual(response.finishReason, "stop")
      assert.strictEqual(response.usage.inputTokens.total, 24)
      assert.strictEqual(response.usage.inputTokens.cacheRead, 16)
      assert.strictEqual(response.usage.inputTokens.uncached, 8)
      assert.strictEqual(response.usage.outputTokens.total, 8)
      const metadata = response.content.find((p) => p.type === "response-metadata")
      assert.strictEqual(metadata?.id, "chatcmpl-CXa1b2c3d4e5f6g7h8i9j0")
      assert.strictEqual(metadata?.modelId, "gpt-4o-mini-2024-07-18")

      assert.strictEqual(fake.received.length, 1)
      const sent = fake.received[0]!
      assert.strictEqual(sent.method, "POST")
      assert.strictEqual(sent.path, "/v1/chat/completions")
      assert.strictEqual(sent.headers.authorization, `Bearer ${F.apiKey}`)
      assert.include(String(sent.headers["content-type"]), "application/json")
      assert.deepStrictEqual(sent.body, {
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "Answer in one sentence." },
          { role: "user", content: "What is the capital of France?" }
        ]
      })
    }))

  it.effect("sends temperature and max_tokens when configured, and no Authorization header without a key", () =>
    Effect.gen(function*() {
      const fake = yield* fakeServer([json(F.textCompletion)])
      const layer = OpenAi.layer({ model: "llama3.2", baseUrl: `${fake.baseUrl}/`, temperature: 0.2, maxTokens: 64 })
        .pipe(Layer.provide(httpClient))
      yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.provide(layer))
      const sent = fake.received[0]!
      assert.strictEqual(sent.path, "/v1/chat/completions")
      assert.isUndefined(sent.headers.authorization)
      assert.deepStrictEqual(sent.body, {
        model: "llama3.2",
        messages: [{ role: "user", content: "Hi" }],
        temperature: 0.2,
        max_tokens: 64
      })
    }))

  it.effect("reads OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL from the config", () =>
    Effect.gen(function*() {
      const fake = yield* fakeServer([json(F.textCompletion)])
      const env = ConfigProvider.layer(ConfigProvider.fromEnvRecord({
        OPENAI_API_KEY: F.apiKey,
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "gpt-4.1-nano"
      }))
      const response = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(
        Effect.provide(OpenAi.layerConfig().pipe(Layer.provide([httpClient, env])))
      )
      assert.strictEqual(response.text, "The capital of France is Paris.")
      assert.strictEqual(fake.received[0]!.body.model, "gpt-4.1-nano")
      assert.strictEqual(fake.received[0]!.headers.authorization, `Bearer ${F.apiKey}`)

      // An explicit option wins over the environment.
      yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(
        Effect.provide(OpenAi.layerConfig({ model: "gpt-4o" }).pipe(Layer.provide([httpClient, env])))
      )
      assert.strictEqual(fake.received[1]!.body.model, "gpt-4o")
    }))

  it.effect("the config defaults to OpenAI's URL and gpt-4o-mini, and holds the key as Redacted", () =>
    Effect.gen(function*() {
      const options = yield* OpenAi.config.pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ OPENAI_API_KEY: F.apiKey })))
      )
      assert.strictEqual(options.baseUrl, "https://api.openai.com/v1")
      assert.strictEqual(options.model, "gpt-4o-mini")
      assert.isTrue(Redacted.isRedacted(options.apiKey))
      assert.notInclude(String(options.apiKey), F.apiKey)
      assert.notInclude(JSON.stringify(options), F.apiKey)
      const local = yield* OpenAi.config.pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ OPENAI_API_KEY: "" })))
      )
      assert.isUndefined(local.apiKey)
    }))
})

describe("streamText", () => {
  it.effect("emits text deltas in order, then a finish part with usage; sends stream: true", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([{ _tag: "Stream", chunks: sse(F.textChunks), then: "end" }])
      const parts = yield* LanguageModel.streamText({ prompt: "What is the capital of France?" }).pipe(
        Stream.runCollect,
        Effect.provide(layer)
      )
      const types = parts.map((p) => p.type)
      assert.deepStrictEqual(types, [
        "response-metadata",
        "text-start",
        "text-delta",
        "text-delta",
        "text-delta",
        "text-end",
        "finish"
      ])
      const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")
      assert.strictEqual(text, "The capital of France is Paris.")
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.reason, "stop")
      assert.strictEqual(finish?.usage.inputTokens.total, 24)
      assert.strictEqual(finish?.usage.outputTokens.total, 8)

      const sent = fake.received[0]!
      assert.strictEqual(sent.body.stream, true)
      assert.deepStrictEqual(sent.body.stream_options, { include_usage: true })
      assert.strictEqual(sent.headers.accept, "text/event-stream")
      assert.strictEqual(sent.headers.authorization, `Bearer ${F.apiKey}`)
    }))

  it.effect("a stream cut in the middle (no finish_reason, no [DONE]) fails with InvalidResponseError", () =>
    Effect.gen(function*() {
      const cut = sse(F.textChunks.slice(0, 3), false)
      const { layer } = yield* setup([{ _tag: "Stream", chunks: cut, then: "end" }])
      const seen: Array<string> = []
      const error = yield* LanguageModel.streamText({ prompt: "What is the capital of France?" }).pipe(
        Stream.runForEach((part) => Effect.sync(() => seen.push(part.type))),
        Effect.flip,
        Effect.provide(layer)
      )
      // The deltas that arrived were delivered before the failure.
      assert.deepStrictEqual(seen, ["response-metadata", "text-start", "text-delta", "text-delta"])
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "InvalidResponseError")
      assert.include(reason.message, "cut short")
    }))

  it.effect("a connection torn down mid-stream fails with a retryable NetworkError", () =>
    Effect.gen(function*() {
      const reason = yield* streamFailure(sse(F.textChunks.slice(0, 3), false), "destroy")
      assert.strictEqual(reason._tag, "NetworkError")
      assert.isTrue(reason.isRetryable)
    }))

  it.effect("an event that is not JSON fails with InvalidResponseError", () =>
    Effect.gen(function*() {
      const chunks = [...sse(F.textChunks.slice(0, 2), false), "data: {\"id\": \"chatcmpl-x\", \"choices\": [\n\n"]
      const reason = yield* streamFailure(chunks, "end")
      assert.strictEqual(reason._tag, "InvalidResponseError")
      assert.include(reason.message, "not a chat.completion.chunk")
    }))

  it.effect("a server that stops sending events times out with a NetworkError", () =>
    Effect.gen(function*() {
      const chunks = sse(F.textChunks.slice(0, 2), false)
      const { fake, layer } = yield* setup([{ _tag: "Stream", chunks, then: "hang" }], { timeout: "10 seconds" })
      const seen: Array<string> = []
      const fiber = yield* LanguageModel.streamText({ prompt: "Hi" }).pipe(
        Stream.runForEach((part) => Effect.sync(() => seen.push(part.type))),
        Effect.flip,
        Effect.provide(layer),
        Effect.forkChild
      )
      yield* fake.waitForRequests(1)
      // Let the two chunks that were sent arrive before the virtual clock moves.
      while (seen.length < 3) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "NetworkError")
      assert.include(reason.message, "no event within 10s")
    }))
})

describe("tool calls", () => {
  it.effect("not streamed: runs the tool, and the next request carries the call and its result", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.toolCallCompletion), json(F.afterToolCompletion)])
      const question = "What's the weather in Paris?"
      const first = yield* LanguageModel.generateText({ prompt: question, toolkit: Weather }).pipe(
        Effect.provide([layer, WeatherHandlers])
      )
      assert.strictEqual(first.finishReason, "tool-calls")
      assert.deepStrictEqual(first.toolCalls.map((c) => [c.id, c.name, c.params]), [
        ["call_Wx7kLmN0pQrStUvWxYz12345", "GetWeather", { city: "Paris", unit: "celsius" }]
      ])
      assert.deepStrictEqual(first.toolResults.map((r) => r.result), [
        { city: "Paris", temperature: 18, unit: "celsius" }
      ])

      const sent = fake.received[0]!.body
      assert.strictEqual(sent.tool_choice, "auto")
      assert.strictEqual(sent.tools.length, 1)
      assert.strictEqual(sent.tools[0].type, "function")
      assert.strictEqual(sent.tools[0].function.name, "GetWeather")
      assert.strictEqual(sent.tools[0].function.description, "The current weather in a city")
      assert.strictEqual(sent.tools[0].function.parameters.type, "object")
      assert.deepStrictEqual(sent.tools[0].function.parameters.required, ["city"])
      assert.deepStrictEqual(Object.keys(sent.tools[0].function.parameters.properties), ["city", "unit"])

      const second = yield* LanguageModel.generateText({
        prompt: Prompt.concat(Prompt.make(question), Prompt.fromResponseParts(first.content)),
        toolkit: Weather
      }).pipe(Effect.provide([layer, WeatherHandlers]))
      assert.strictEqual(second.text, "It is 18°C and sunny in Paris.")
      assert.deepStrictEqual(fake.received[1]!.body.messages, [
        { role: "user", content: question },
        {
          role: "assistant",
          content: null,
          tool_calls: [F.weatherCall]
        },
        {
          role: "tool",
          tool_call_id: "call_Wx7kLmN0pQrStUvWxYz12345",
          content: "{\"city\":\"Paris\",\"temperature\":18,\"unit\":\"celsius\"}"
        }
      ])
    }))

  it.effect("streamed: argument fragments become one parsed call per tool, each run by its handler", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([{ _tag: "Stream", chunks: sse(F.toolCallChunks), then: "end" }])
      const parts = yield* LanguageModel.streamText({
        prompt: "Weather in Paris and Oslo?",
        toolkit: Weather,
        toolChoice: "required"
      }).pipe(Stream.runCollect, Effect.provide([layer, WeatherHandlers]))

      const deltas = parts.flatMap((p) =>
        p.type === "tool-params-delta" && p.id === "call_AbCdEfGhIjKlMnOpQrStUv01" ? [p.delta] : []
      )
      assert.deepStrictEqual(deltas, ["{\"ci", "ty\": \"Par", "is\"}"])
      const calls = parts.flatMap((p) => (p.type === "tool-call" ? [[p.id, p.name, p.params]] : []))
      assert.deepStrictEqual(calls, [
        ["call_AbCdEfGhIjKlMnOpQrStUv01", "GetWeather", { city: "Paris" }],
        ["call_AbCdEfGhIjKlMnOpQrStUv02", "GetWeather", { city: "Oslo", unit: "fahrenheit" }]
      ])
      const results = parts.flatMap((p) => (p.type === "tool-result" ? [[p.id, p.result]] : []))
      assert.deepStrictEqual(results, [
        ["call_AbCdEfGhIjKlMnOpQrStUv01", { city: "Paris", temperature: 18, unit: "celsius" }],
        ["call_AbCdEfGhIjKlMnOpQrStUv02", { city: "Oslo", temperature: 46, unit: "fahrenheit" }]
      ])
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.reason, "tool-calls")
      assert.strictEqual(fake.received[0]!.body.tool_choice, "required")
      assert.strictEqual(fake.received[0]!.body.stream, true)
      assert.strictEqual(fake.received[0]!.body.tools[0].function.name, "GetWeather")
    }))

  it.effect("a forced tool is sent as a function tool_choice", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.toolCallCompletion)])
      yield* LanguageModel.generateText({ prompt: "Paris?", toolkit: Weather, toolChoice: { tool: "GetWeather" } })
        .pipe(Effect.provide([layer, WeatherHandlers]))
      assert.deepStrictEqual(fake.received[0]!.body.tool_choice, { type: "function", function: { name: "GetWeather" } })
    }))
})

describe("generateObject", () => {
  const Person = Schema.Struct({
    name: Schema.String,
    born: Schema.Int,
    languages: Schema.Array(Schema.String)
  })

  it.effect("sends a strict json_schema response_format and decodes the answer", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.objectCompletion)])
      const response = yield* LanguageModel.generateObject({
        prompt: "Who wrote the first published algorithm?",
        schema: Person,
        objectName: "person"
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(response.value, { name: "Ada Lovelace", born: 1815, languages: ["English", "French"] })

      const format = fake.received[0]!.body.response_format
      assert.strictEqual(format.type, "json_schema")
      assert.strictEqual(format.json_schema.name, "person")
      assert.strictEqual(format.json_schema.strict, true)
      assert.strictEqual(format.json_schema.schema.type, "object")
      assert.strictEqual(format.json_schema.schema.additionalProperties, false)
      assert.deepStrictEqual(format.json_schema.schema.required, ["name", "born", "languages"])
      assert.strictEqual(format.json_schema.schema.properties.born.type, "integer")
    }))

  it.effect("an answer that does not match the schema is a StructuredOutputError", () =>
    Effect.gen(function*() {
      const wrong = {
        ...F.objectCompletion,
        choices: [{ ...F.objectCompletion.choices[0]!, message: { role: "assistant", content: "{\"name\":\"Ada\"}" } }]
      }
      const { layer } = yield* setup([json(wrong)])
      const error = yield* LanguageModel.generateObject({ prompt: "Who?", schema: Person }).pipe(
        Effect.flip,
        Effect.provide(layer)
      )
      assert.strictEqual(reasonOf(error)._tag, "StructuredOutputError")
    }))
})

describe("errors", () => {
  it.effect("401: AuthenticationError; the key the server echoed is in no rendering of the error", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([json(F.unauthorized, 401, { "x-request-id": "req_401abc" })])
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "AuthenticationError")
      if (reason._tag !== "AuthenticationError") return
      assert.strictEqual(reason.kind, "InvalidKey")
      assert.strictEqual(reason.http?.response?.status, 401)
      assert.include(reason.message, "Incorrect API key provided: <redacted>")
      assert.include(reason.message, "req_401abc")
      assert.isFalse(reason.isRetryable)
      for (const text of yield* renderings(error)) assert.notInclude(text, F.apiKey)
      assert.notInclude(JSON.stringify(reason.http), F.apiKey)
    }))

  it.effect("the key echoed in any response header (a proxy's, a debug header) is in no rendering of the error", () =>
    Effect.gen(function*() {
      const echoed = {
        "x-upstream-authorization": `Bearer ${F.apiKey}`,
        "x-debug-request": `POST /v1/chat/completions key=${F.apiKey}; retries=0`,
        "x-request-id": `req_${F.apiKey}`
      }
      const { layer } = yield* setup([
        json({ error: { message: "upstream failed", type: "server_error", param: null, code: null } }, 502, echoed),
        json(F.rateLimited, 429, echoed),
        json(F.unauthorized, 401, echoed)
      ])
      const call = LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      for (const tag of ["InternalProviderError", "RateLimitError", "AuthenticationError"]) {
        const error = yield* call
        const reason = reasonOf(error)
        assert.strictEqual(reason._tag, tag)
        const http = "http" in reason ? reason.http : undefined
        // The headers are still recorded, only the key is gone from their values.
        assert.strictEqual(http?.response?.headers["x-upstream-authorization"], "Bearer <redacted>")
        assert.strictEqual(
          http?.response?.headers["x-debug-request"],
          "POST /v1/chat/completions key=<redacted>; retries=0"
        )
        const texts = [
          ...(yield* renderings(error)),
          util.inspect(error, { depth: Infinity }),
          util.inspect(reason, { depth: Infinity }),
          JSON.stringify(reason),
          JSON.stringify(http),
          Cause.pretty(Cause.fail(error))
        ]
        for (const text of texts) assert.notInclude(text, F.apiKey)
      }
    }))

  it.effect("401 without a key configured: kind MissingKey", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([json(F.unauthorized, 401)], { apiKey: undefined })
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag === "AuthenticationError" ? reason.kind : reason._tag, "MissingKey")
    }))

  it.effect("429: RateLimitError carrying retry-after as a Duration", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([json(F.rateLimited, 429, { "retry-after": "20" })])
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "RateLimitError")
      if (reason._tag !== "RateLimitError") return
      assert.isTrue(reason.isRetryable)
      assert.isDefined(reason.retryAfter)
      assert.strictEqual(Duration.toMillis(reason.retryAfter!), 20_000)
      assert.deepStrictEqual(reason.metadata.openai, {
        errorCode: "rate_limit_exceeded",
        errorType: "requests",
        requestId: null
      })
    }))

  it.effect("429: retry-after-ms wins, and an HTTP-date retry-after is measured from the clock", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([
        json(F.rateLimited, 429, { "retry-after-ms": "1500", "retry-after": "2" }),
        json(F.rateLimited, 429, { "retry-after": new Date(30_000).toUTCString() })
      ])
      const call = LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const first = reasonOf(yield* call)
      assert.strictEqual(first._tag === "RateLimitError" ? Duration.toMillis(first.retryAfter!) : -1, 1500)
      // The TestClock starts at 0, so a date 30 s after the epoch is 30 s away.
      const second = reasonOf(yield* call)
      assert.strictEqual(second._tag === "RateLimitError" ? Duration.toMillis(second.retryAfter!) : -1, 30_000)
    }))

  it.effect("429 insufficient_quota: QuotaExhaustedError", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([json(F.quotaExhausted, 429)])
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(reasonOf(error)._tag, "QuotaExhaustedError")
    }))

  it.effect("500 and 400: InternalProviderError and InvalidRequestError with the parameter", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([
        json({ error: { message: "The server had an error", type: "server_error", param: null, code: null } }, 500),
        json({
          error: {
            message: "Invalid value for 'temperature': must be at most 2.",
            type: "invalid_request_error",
            param: "temperature",
            code: "invalid_value"
          }
        }, 400)
      ])
      const call = LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const server = reasonOf(yield* call)
      assert.strictEqual(server._tag, "InternalProviderError")
      assert.isTrue(server.isRetryable)
      const invalid = reasonOf(yield* call)
      assert.strictEqual(invalid._tag, "InvalidRequestError")
      assert.strictEqual(invalid._tag === "InvalidRequestError" ? invalid.parameter : undefined, "temperature")
    }))

  it.effect("a huge error body is cut in the message as in the recorded body (5 MB in, a few hundred characters out)", () =>
    Effect.gen(function*() {
      const huge = "overloaded ".repeat(500_000)
      const { layer } = yield* setup([
        json({ error: { message: huge, type: huge, param: huge, code: huge } }, 500, {
          "x-request-id": huge.slice(0, 8000)
        }),
        json({ error: { message: huge, type: "invalid_request_error", param: huge, code: null } }, 400),
        { _tag: "Body", status: 503, headers: { "content-type": "text/plain" }, body: huge }
      ])
      const call = LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      for (const tag of ["InternalProviderError", "InvalidRequestError", "InternalProviderError"]) {
        const error = yield* call
        const reason = reasonOf(error)
        assert.strictEqual(reason._tag, tag)
        assert.include(reason.message, "overloaded overloaded")
        assert.isBelow(reason.message.length, 2_000)
        assert.isBelow(Cause.pretty(Cause.fail(error)).length, 10_000)
        assert.isBelow(JSON.stringify(reason).length, 20_000)
      }
    }))

  it.effect("a 200 whose body is not JSON: InvalidResponseError", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup([{
        _tag: "Body",
        headers: { "content-type": "application/json" },
        body: "{\"id\": \"chatcmpl-1\", \"choices\": [{\"message\": {\"content\": \"Par"
      }])
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "InvalidResponseError")
      assert.include(reason.message, "not a chat.completion object")
    }))

  it.effect("tool arguments that are not JSON: InvalidResponseError naming the tool", () =>
    Effect.gen(function*() {
      const broken = {
        ...F.toolCallCompletion,
        choices: [{
          ...F.toolCallCompletion.choices[0]!,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "GetWeather", arguments: "{\"city\": " } }]
          }
        }]
      }
      const { layer } = yield* setup([json(broken)])
      const error = yield* LanguageModel.generateText({ prompt: "Paris?", toolkit: Weather }).pipe(
        Effect.flip,
        Effect.provide([layer, WeatherHandlers])
      )
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "InvalidResponseError")
      assert.include(reason.message, "\"GetWeather\"")
    }))

  it.effect("no answer within the timeout: a retryable NetworkError", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([{ _tag: "Hang" }], { timeout: "30 seconds" })
      const fiber = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(
        Effect.flip,
        Effect.provide(layer),
        Effect.forkChild
      )
      yield* fake.waitForRequests(1)
      yield* TestClock.adjust("29 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const reason = reasonOf(yield* Fiber.join(fiber))
      assert.strictEqual(reason._tag, "NetworkError")
      assert.isTrue(reason.isRetryable)
      assert.include(reason.message, "no answer within 30s")
    }))

  it.effect("a server that is not there: NetworkError TransportError", () =>
    Effect.gen(function*() {
      // Port 9 (discard) on loopback: nothing listens there in the test environment.
      const layer = OpenAi.layer({ model: "m", apiKey: Redacted.make(F.apiKey), baseUrl: "http://127.0.0.1:9/v1" })
        .pipe(Layer.provide(httpClient))
      const error = yield* LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer))
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag === "NetworkError" ? reason.reason : reason._tag, "TransportError")
      for (const text of yield* renderings(error)) assert.notInclude(text, F.apiKey)
    }))
})

describe("spans", () => {
  it.effect("carry gen_ai attributes and never the key", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const { layer } = yield* setup([json(F.textCompletion), json(F.unauthorized, 401)])
      // The worst case: the application records every request and response header on the HTTP spans.
      const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        effect.pipe(Effect.withTracer(tracer), Effect.provideService(HttpClient.TracerHeaderFilter, () => true))
      yield* traced(LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.provide(layer)))
      yield* traced(LanguageModel.generateText({ prompt: "Hi" }).pipe(Effect.flip, Effect.provide(layer)))

      const model = spans.filter((s) => s.name === "LanguageModel.generateText")
      assert.strictEqual(model.length, 2)
      const attributes = model[0]!.attributes
      assert.strictEqual(attributes.get("gen_ai.provider.name"), "openai")
      assert.strictEqual(attributes.get("gen_ai.request.model"), "gpt-4o-mini")
      assert.strictEqual(attributes.get("gen_ai.response.model"), "gpt-4o-mini-2024-07-18")
      assert.strictEqual(attributes.get("gen_ai.usage.input_tokens"), 24)
      // The HTTP client's span is there too, with its headers recorded (the key redacted).
      const httpSpans = spans.filter((s) => s.name !== "LanguageModel.generateText")
      assert.isAbove(httpSpans.length, 0)
      const all = spans.flatMap((s) => [
        s.name,
        ...[...s.attributes.entries()].map(([k, v]) => `${k}=${String(v)}`),
        ...(s.status._tag === "Ended" ? [String(s.status.exit)] : [])
      ])
      assert.include(all, "http.request.header.authorization=<redacted>")
      for (const line of all) assert.notInclude(line, F.apiKey)
      for (const line of all) assert.notInclude(line, F.apiKey.slice(3))
    }))
})

describe("prompt encoding", () => {
  it.effect("an image becomes an image_url part (bytes as a data URL); other files are refused", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.textCompletion)])
      const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47])
      yield* LanguageModel.generateText({
        prompt: [{
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "file", mediaType: "image/png", data: bytes },
            { type: "file", mediaType: "image/jpeg", data: new URL("https://example.com/cat.jpg") }
          ]
        }]
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(fake.received[0]!.body.messages, [{
        role: "user",
        content: [
          { type: "text", text: "What is in this picture?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw==" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } }
        ]
      }])

      const error = yield* LanguageModel.generateText({
        prompt: [{ role: "user", content: [{ type: "file", mediaType: "application/pdf", data: bytes }] }]
      }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(reasonOf(error)._tag, "InvalidUserInputError")
      assert.strictEqual(fake.received.length, 1)
    }))

  it.effect("a provider-defined tool is refused before anything is sent", () =>
    Effect.gen(function*() {
      const { fake, layer } = yield* setup([json(F.textCompletion)])
      const WebSearch = Tool.providerDefined({
        id: "openai.web_search",
        customName: "WebSearch",
        providerName: "web_search"
      })()
      const error = yield* LanguageModel.generateText({ prompt: "News?", toolkit: Toolkit.make(WebSearch) }).pipe(
        Effect.flip,
        Effect.provide(layer)
      )
      const reason = reasonOf(error)
      assert.strictEqual(reason._tag, "ToolConfigurationError")
      assert.strictEqual(fake.received.length, 0)
    }))

  it.effect("a refusal comes back as the answer's text", () =>
    Effect.gen(function*() {
      const refusal = {
        ...F.textCompletion,
        choices: [{
          ...F.textCompletion.choices[0]!,
          message: { role: "assistant", content: null, refusal: "I can't help with that." }
        }]
      }
      const { layer } = yield* setup([json(refusal)])
      const response = yield* LanguageModel.generateText({ prompt: "…" }).pipe(Effect.provide(layer))
      assert.strictEqual(response.text, "I can't help with that.")
    }))
})
