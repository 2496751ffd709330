/**
 * A `LanguageModel` for the OpenAI chat completions protocol, which OpenAI and most local and hosted servers
 * speak (Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter). Built on effect 4.1's own pieces
 * (`LanguageModel.make`, `OpenAiStructuredOutput`, `Sse`, `HttpClient`) until the official `@effect/ai-openai`
 * supports effect 4.1; it provides the same `LanguageModel` service, so switching is a one-line layer change.
 *
 * @since 0.1.0
 */
import * as AiError from "effect/ai/AiError"
import { IdGenerator } from "effect/ai/IdGenerator"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as OpenAiStructuredOutput from "effect/ai/OpenAiStructuredOutput"
import type * as Response from "effect/ai/Response"
import * as Telemetry from "effect/ai/Telemetry"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Sse from "effect/encoding/Sse"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ModelRetry from "../internal/model/retry.ts"
import { makeChunkReader } from "./internal/stream.ts"
import * as Wire from "./internal/wire.ts"

/**
 * How to reach the model.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { OpenAi } from "effect-pocketflow/openai"
 *
 * const options: OpenAi.Options = { model: "gpt-4o-mini", apiKey: Redacted.make(process.env.OPENAI_API_KEY!) }
 * ```
 * @category models
 * @stability experimental
 * @since 0.1.0
 */
export interface Options {
  /** The model name the server knows, e.g. `"gpt-4o-mini"` or, for Ollama, `"llama3.2"`. */
  readonly model: string
  /** Sent as `Authorization: Bearer …`. Local servers such as Ollama need none. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** The API root, ending before `/chat/completions`. Defaults to {@link defaultBaseUrl}. */
  readonly baseUrl?: string | undefined
  /**
   * Longest wait for a whole answer (`generateText`, `generateObject`), or, when streaming, for the response
   * headers and then between two events. Defaults to 60 seconds.
   */
  readonly timeout?: Duration.Input | undefined
  /** Sampling temperature; the server's default when absent. */
  readonly temperature?: number | undefined
  /** Upper bound on generated tokens (`max_tokens`); the server's default when absent. */
  readonly maxTokens?: number | undefined
}

/**
 * OpenAI's API root. Ollama's OpenAI-compatible root is `http://localhost:11434/v1`.
 *
 * @example
 * ```ts
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const Model = OpenAi.layer({ model: "gpt-4o-mini", baseUrl: OpenAi.defaultBaseUrl })
 * ```
 * @category configuration
 * @stability experimental
 * @since 0.1.0
 */
export const defaultBaseUrl = "https://api.openai.com/v1"

/**
 * The model {@link config} uses when `OPENAI_MODEL` is not set.
 *
 * @example
 * ```ts
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const Model = OpenAi.layer({ model: OpenAi.defaultModel })
 * ```
 * @category configuration
 * @stability experimental
 * @since 0.1.0
 */
export const defaultModel = "gpt-4o-mini"

const defaultTimeout = Duration.seconds(60)

/**
 * Options read from the environment: `OPENAI_API_KEY` (optional, kept `Redacted`), `OPENAI_BASE_URL`
 * (default {@link defaultBaseUrl}) and `OPENAI_MODEL` (default {@link defaultModel}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const model = Effect.gen(function*() {
 *   const options = yield* OpenAi.config
 *   return options.model
 * })
 * ```
 * @category configuration
 * @stability experimental
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  apiKey: Config.option(Config.Redacted("OPENAI_API_KEY")),
  baseUrl: Config.withDefault(Config.String("OPENAI_BASE_URL"), defaultBaseUrl),
  model: Config.withDefault(Config.String("OPENAI_MODEL"), defaultModel)
}).pipe(Config.map(({ apiKey, baseUrl, model }) => ({
  model,
  baseUrl,
  // An empty key (`OPENAI_API_KEY=`) means no key, as for a local server.
  apiKey: Option.getOrUndefined(Option.filter(apiKey, (key) => Redacted.value(key).length > 0))
})))

const retryAfter = Effect.fnUntraced(function*(response: HttpClientResponse.HttpClientResponse) {
  const ms = Number(response.headers["retry-after-ms"])
  if (Number.isFinite(ms) && ms >= 0) return Duration.millis(ms)
  const value = response.headers["retry-after"]
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Duration.seconds(seconds)
  // The other form the header may take is an HTTP date.
  const at = new Date(value).getTime()
  if (Number.isNaN(at)) return undefined
  const now = yield* Clock.currentTimeMillis
  return Duration.millis(Math.max(0, at - now))
})

const ErrorBody = Schema.fromJsonString(Schema.Struct({
  error: Schema.Struct({
    message: Schema.optional(Schema.NullOr(Schema.String)),
    type: Schema.optional(Schema.NullOr(Schema.String)),
    param: Schema.optional(Schema.NullOr(Schema.String)),
    code: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))
  })
}))
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

const decodeCompletion = Schema.decodeUnknownEffect(Schema.fromJsonString(Wire.ChatCompletion))
const decodeChunk = Schema.decodeUnknownEffect(Schema.fromJsonString(Wire.ChatCompletionChunk))

/**
 * Builds the `LanguageModel` service. Needs an `HttpClient` (e.g. `FetchHttpClient.layer` from `effect/http`).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const program = Effect.gen(function*() {
 *   const model = yield* OpenAi.make({ model: "gpt-4o-mini", apiKey: Redacted.make("sk-…") })
 *   return yield* model.generateText({ prompt: "Say hello" })
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const client = yield* HttpClient.HttpClient
  const url = `${(options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "")}/chat/completions`
  const timeout = Duration.fromInputUnsafe(options.timeout ?? defaultTimeout)
  const settings: Wire.RequestSettings = {
    model: options.model,
    temperature: options.temperature,
    maxTokens: options.maxTokens
  }
  const apiKey = options.apiKey
  // Some servers echo the key they were sent in their error messages; never pass it on.
  const scrub = (text: string) => {
    const key = apiKey === undefined ? "" : Redacted.value(apiKey)
    return key.length === 0 ? text : text.split(key).join("<redacted>")
  }
  const fail = (method: string, reason: AiError.AiErrorReason) =>
    AiError.make({ module: Wire.moduleName, method, reason })

  const timedOut = (method: string, what: string) =>
    fail(
      method,
      new AiError.NetworkError({
        reason: "TransportError",
        method: "POST",
        url,
        description: `${what} within ${Duration.format(timeout)}`
      })
    )

  const fromClientError = (method: string, error: HttpClientError.HttpClientError) => {
    const reason = error.reason
    // The HttpClientError itself is not kept as `cause`: it holds the request, headers included.
    return fail(
      method,
      new AiError.NetworkError({
        reason: reason._tag === "EncodeError" || reason._tag === "InvalidUrlError" ? reason._tag : "TransportError",
        method: reason.request.method,
        url: reason.request.url,
        description: scrub(
          reason._tag === "TransportError" || reason._tag === "EncodeError" || reason._tag === "InvalidUrlError"
            ? reason.description ?? String(reason.cause ?? reason._tag)
            : `reading the response failed: ${reason.description ?? String(reason.cause ?? reason._tag)}`
        )
      })
    )
  }

  // A proxy or a debug header may echo the key under any name, so every recorded header is scrubbed by value
  // (and by name); the usual secret-bearing names are also kept `Redacted` whole.
  const scrubHeaders = (headers: Headers.Headers) => {
    const scrubbed: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) scrubbed[scrub(name)] = scrub(value)
    return Headers.redact(Headers.fromRecordUnsafe(scrubbed), ["authorization", "set-cookie", "cookie"])
  }
  // What the server sent is scrubbed, then cut (never the other way round, which could leave part of the key):
  // a 5 MB error message must not become a 5 MB description.
  const received = (text: string | null | undefined) => (text == null ? undefined : Wire.truncate(scrub(text)))

  const statusError = Effect.fnUntraced(function*(method: string, response: HttpClientResponse.HttpClientResponse) {
    const body = scrub(yield* Effect.orElseSucceed(response.text, () => ""))
    const parsed = Option.getOrUndefined(decodeErrorBody(body))?.error
    const status = response.status
    const errorCode = typeof parsed?.code === "string" ? received(parsed.code) : parsed?.code
    const errorType = received(parsed?.type)
    const requestId = received(response.headers["x-request-id"])
    const description = AiError.buildErrorDescription({
      status,
      message: received(parsed?.message),
      method: "POST",
      url,
      errorCode,
      errorType,
      requestId,
      body
    })
    const http = {
      response: { status, headers: scrubHeaders(response.headers) },
      body: Wire.truncate(body)
    }
    const metadata = {
      openai: {
        errorCode: errorCode ?? null,
        errorType: errorType ?? null,
        requestId: requestId ?? null
      }
    }
    if (status === 401) {
      return fail(
        method,
        new AiError.AuthenticationError({
          kind: apiKey === undefined ? "MissingKey" : "InvalidKey",
          description,
          http,
          metadata
        })
      )
    }
    if (status === 403) {
      return fail(
        method,
        new AiError.AuthenticationError({ kind: "InsufficientPermissions", description, http, metadata })
      )
    }
    if (status === 429) {
      if (parsed?.code === "insufficient_quota") {
        return fail(method, new AiError.QuotaExhaustedError({ http, metadata }))
      }
      const wait = yield* retryAfter(response)
      return fail(
        method,
        new AiError.RateLimitError({ ...(wait === undefined ? {} : { retryAfter: wait }), http, metadata })
      )
    }
    if (status === 400 || status === 404 || status === 422) {
      return fail(
        method,
        new AiError.InvalidRequestError({
          ...(parsed?.param == null ? {} : { parameter: received(parsed.param) }),
          description,
          http,
          metadata
        })
      )
    }
    if (status >= 500) return fail(method, new AiError.InternalProviderError({ description, http, metadata }))
    return fail(method, new AiError.UnknownError({ description, http, metadata }))
  })

  // POSTs the request and returns the response once it is a 2xx; every failure is an AiError.
  const send = Effect.fnUntraced(function*(
    method: string,
    providerOptions: LanguageModel.ProviderOptions,
    stream: boolean
  ) {
    const body = yield* Wire.requestBody(method, settings, providerOptions, stream)
    Telemetry.addGenAIAnnotations(providerOptions.span, {
      provider: { name: "openai" },
      operation: { name: "chat" },
      output: { type: providerOptions.responseFormat.type === "json" ? "json" : "text" },
      request: {
        model: settings.model,
        ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
        ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens })
      }
    })
    let request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.accept(stream ? "text/event-stream" : "application/json")
    )
    if (apiKey !== undefined) request = HttpClientRequest.bearerToken(request, apiKey)
    request = yield* HttpClientRequest.bodyJson(request, body).pipe(
      Effect.mapError((error) =>
        fail(
          method,
          new AiError.NetworkError({
            reason: "EncodeError",
            method: "POST",
            url,
            description: `the request body is not JSON: ${String(error.reason)}`
          })
        )
      )
    )
    const response = yield* Effect.mapError(client.execute(request), (error) => fromClientError(method, error))
    if (response.status < 200 || response.status >= 300) {
      const error = yield* statusError(method, response)
      return yield* Effect.fail(error)
    }
    return response
  })

  const annotateResponse = (
    providerOptions: LanguageModel.ProviderOptions,
    summary: {
      readonly id: string | undefined
      readonly model: string | undefined
      readonly finishReason: string | undefined
      readonly usage: typeof Response.Usage.Encoded
    }
  ) =>
    Telemetry.addGenAIAnnotations(providerOptions.span, {
      response: {
        ...(summary.id === undefined ? {} : { id: summary.id }),
        ...(summary.model === undefined ? {} : { model: summary.model }),
        ...(summary.finishReason === undefined ? {} : { finishReasons: [summary.finishReason] })
      },
      usage: {
        ...(summary.usage.inputTokens.total === undefined ? {} : { inputTokens: summary.usage.inputTokens.total }),
        ...(summary.usage.outputTokens.total === undefined ? {} : { outputTokens: summary.usage.outputTokens.total })
      }
    })

  const invalidResponse = (method: string, description: string) =>
    fail(method, new AiError.InvalidResponseError({ description }))

  const generateText = Effect.fnUntraced(
    function*(providerOptions: LanguageModel.ProviderOptions) {
      const method = providerOptions.responseFormat.type === "json" ? "generateObject" : "generateText"
      const response = yield* send(method, providerOptions, false)
      const text = yield* Effect.mapError(response.text, (error) => fromClientError(method, error))
      const completion = yield* Effect.mapError(
        decodeCompletion(text),
        () => invalidResponse(method, `the response is not a chat.completion object: ${Wire.truncate(scrub(text))}`)
      )
      const choice = completion.choices[0]
      if (choice === undefined) return yield* invalidResponse(method, "the response has no choices")
      const parts: Array<Response.PartEncoded> = [Wire.metadataPart(completion)]
      const content = choice.message.content ?? choice.message.refusal
      if (content != null && content.length > 0) parts.push({ type: "text", text: content })
      for (const call of choice.message.tool_calls ?? []) {
        const params = yield* Wire.toolParams(method, call.function.name, call.function.arguments)
        const id = call.id ?? (yield* (yield* IdGenerator).generateId())
        parts.push({ type: "tool-call", id, name: call.function.name, params })
      }
      const usage = Wire.usage(completion.usage)
      parts.push({ type: "finish", reason: Wire.finishReason(choice.finish_reason), usage })
      annotateResponse(providerOptions, {
        id: completion.id ?? undefined,
        model: completion.model ?? undefined,
        finishReason: choice.finish_reason ?? undefined,
        usage
      })
      return parts
    },
    (effect, providerOptions) =>
      Effect.timeoutOrElse(effect, {
        duration: timeout,
        orElse: () =>
          Effect.fail(
            timedOut(providerOptions.responseFormat.type === "json" ? "generateObject" : "generateText", "no answer")
          )
      })
  )

  const streamText = (providerOptions: LanguageModel.ProviderOptions) => {
    const method = "streamText"
    return Stream.unwrap(Effect.gen(function*() {
      const response = yield* Effect.timeoutOrElse(send(method, providerOptions, true), {
        duration: timeout,
        orElse: () => Effect.fail(timedOut(method, "no response"))
      })
      const reader = makeChunkReader(method)
      let sawDone = false
      const events = response.stream.pipe(
        Stream.mapError((error) => fromClientError(method, error)),
        Stream.decodeText(),
        Stream.pipeThroughChannel(Sse.decode()),
        Stream.mapError((error): AiError.AiError =>
          AiError.isAiError(error)
            ? error
            : invalidResponse(
              method,
              error._tag === "Retry"
                ? "the server asked to reconnect (an SSE retry directive), which a completion cannot resume from"
                : `the event stream is malformed: ${error.message}`
            )
        ),
        Stream.timeoutOrElse({ duration: timeout, orElse: () => Stream.fail(timedOut(method, "no event")) }),
        Stream.takeWhile((event) => {
          if (event.data.trim() === "[DONE]") sawDone = true
          return !sawDone
        })
      )
      const parts = events.pipe(
        Stream.mapEffect((event) =>
          Effect.flatMap(
            Effect.mapError(
              decodeChunk(event.data),
              () =>
                invalidResponse(
                  method,
                  `an event is not a chat.completion.chunk: ${Wire.truncate(scrub(event.data))}`
                )
            ),
            reader.chunk
          )
        ),
        Stream.concat(
          Stream.fromEffect(
            Effect.suspend(() =>
              Effect.tap(
                reader.end(sawDone),
                () => Effect.sync(() => annotateResponse(providerOptions, reader.summary()))
              )
            )
          )
        ),
        Stream.flatMap((batch) => Stream.fromIterable(batch))
      )
      return parts
    }))
  }

  return yield* LanguageModel.make({
    generateText,
    streamText,
    codecTransformer: OpenAiStructuredOutput.toCodecOpenAI
  })
})

/**
 * A `LanguageModel` layer from explicit options.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const Model = OpenAi.layer({ model: "llama3.2", baseUrl: "http://localhost:11434/v1" }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 * @category layers
 * @stability experimental
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, HttpClient.HttpClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * A `LanguageModel` layer from the environment ({@link config}); `overrides` win over it.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const Model = OpenAi.layerConfig({ model: "gpt-4o" }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.1.0
 */
export const layerConfig = (
  overrides: Partial<Options> = {}
): Layer.Layer<LanguageModel.LanguageModel, Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.flatMap(config, (options) => make({ ...options, ...overrides }))
  )

/**
 * A `Schedule` for retrying model calls that reads the `AiError`: on a 429 it waits the `retry-after` the server sent
 * (`retry-after-ms`, seconds or an HTTP date; a back-off when absent), on a 5xx, a dropped connection or a timeout it
 * backs off exponentially from 500 ms with ±20% jitter (at most 30 s), and on any other 4xx (bad request, bad key,
 * quota exhausted) it stops at once. At most 5 retries. It sleeps on the `Clock`, so `TestClock` drives it in tests.
 * `Agent.make` retries its model calls with it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const answer = LanguageModel.generateText({ prompt: "Say hello" }).pipe(Effect.retry(OpenAi.retry))
 * ```
 * @category retries
 * @stability experimental
 * @since 0.4.0
 */
export const retry: Schedule.Schedule<Duration.Duration, AiError.AiError> = ModelRetry.schedule
