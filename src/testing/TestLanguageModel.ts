/**
 * A scripted `LanguageModel` from `effect/ai`, for testing flows offline (named after `TestClock`).
 *
 * Nodes call `LanguageModel.generateText`, `generateObject` or `streamText`; a test provides
 * `TestLanguageModel.layer(script)` instead of a provider's layer. The script is a list of replies played
 * in order, or a function that picks each reply from the prompt. Every call is recorded, so the test can
 * read what the flow asked (`TestLanguageModel.prompts`, `TestLanguageModel.calls`).
 *
 * Replies report their usage in words (the prompt's words as input tokens, the reply's as output tokens).
 *
 * A script that has no reply for a call is a defect, never a typed `AiError`: a typed error would be
 * retried by a node's `retry` policy or absorbed by its `fallback`, and a test with too short a script
 * would pass without anyone noticing. Failures the model should produce are written into the script as
 * explicit replies (`TestLanguageModel.fail(...)`).
 *
 * @since 0.1.0
 */
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as Prompt from "effect/ai/Prompt"
import type * as Response from "effect/ai/Response"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"

/**
 * A scripted failure: the call fails with this `AiError`, as a provider's failure would.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const limited: TestLanguageModel.Fail = TestLanguageModel.fail("rate limited")
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Fail {
  readonly _tag: "Fail"
  readonly error: AiError.AiError
}

/**
 * A scripted tool call: the model asks to call tool `name` with `params` (the tool's encoded parameters).
 * With a `Toolkit` in the request, `LanguageModel` runs the tool's handler and the response holds both
 * the call and its result, exactly as with a real provider.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const search: TestLanguageModel.ToolCall = TestLanguageModel.toolCall("search", { query: "Paris" }, { id: "call-1" })
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface ToolCall {
  readonly _tag: "ToolCall"
  readonly name: string
  readonly params: unknown
  /** The call's id; `"call-<call number>"` unless given. */
  readonly id: string | undefined
  /** Text the model says before calling the tool, if any. */
  readonly text: string | undefined
}

/**
 * One reply of the script: a string is the model's text; `fail(...)` and `toolCall(...)` build the others.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const replies: ReadonlyArray<TestLanguageModel.Reply> = ["Paris", TestLanguageModel.fail("overloaded")]
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Reply = string | Fail | ToolCall

/**
 * Fails the call with an `AiError`. A string becomes an `AiError` whose reason is an `UnknownError` with that
 * description, which is not retryable (`OpenAi.retry` and the agents' model calls stop at once); with
 * `{ retryable: true }` it becomes an `InternalProviderError` (a provider's 5xx) with that description, which is. A
 * node's own `retry` retries either: it retries every typed failure. For a provider's typed failures use
 * {@link rateLimited}, {@link serverError} and {@link httpError}.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * // the first call fails, the retry succeeds
 * const model = TestLanguageModel.layer([TestLanguageModel.fail("overloaded", { retryable: true }), "Paris"])
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const fail = (
  error: AiError.AiError | string,
  options?: { readonly retryable?: boolean | undefined }
): Fail => ({
  _tag: "Fail",
  error: typeof error === "string"
    ? scripted(
      options?.retryable === true
        ? new AiError.InternalProviderError({ description: error })
        : new AiError.UnknownError({ description: error })
    )
    : error
})

const scripted = (reason: AiError.AiErrorReason) =>
  AiError.make({ module: "TestLanguageModel", method: "script", reason })

const http = (status: number) => ({ response: { status, headers: {} } })

/**
 * Fails the call as a provider's 429 does: a `RateLimitError` asking to retry after `retryAfter`, which is retryable
 * (`OpenAi.retry` waits that long on the `Clock`).
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer([TestLanguageModel.rateLimited("20 seconds"), "Paris"])
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const rateLimited = (retryAfter: Duration.Input): Fail => ({
  _tag: "Fail",
  error: scripted(new AiError.RateLimitError({ retryAfter: Duration.fromInputUnsafe(retryAfter), http: http(429) }))
})

/**
 * Fails the call as a provider's 500 does: an `InternalProviderError`, which is retryable (`OpenAi.retry` backs off).
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer([TestLanguageModel.serverError(), "Paris"])
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const serverError = (description: string = "internal server error"): Fail => httpError(500, description)

/**
 * Fails the call as a provider answering HTTP `status` does: 429 a `RateLimitError` and 5xx an `InternalProviderError`
 * (both retryable); 401 and 403 an `AuthenticationError`, 400, 404 and 422 an `InvalidRequestError`, any other status
 * an `UnknownError` (none of them retryable: `OpenAi.retry` stops at once on a 4xx).
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer([TestLanguageModel.httpError(400, "max_tokens is too large")])
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const httpError = (status: number, description: string = `HTTP ${status}`): Fail => {
  const h = http(status)
  const reason: AiError.AiErrorReason = status === 429
    ? new AiError.RateLimitError({ http: h })
    : status >= 500
    ? new AiError.InternalProviderError({ description, http: h })
    : status === 401 || status === 403
    ? new AiError.AuthenticationError({
      kind: status === 401 ? "InvalidKey" : "InsufficientPermissions",
      description,
      http: h
    })
    : status === 400 || status === 404 || status === 422
    ? new AiError.InvalidRequestError({ description, http: h })
    : new AiError.UnknownError({ description, http: h })
  return { _tag: "Fail", error: scripted(reason) }
}

/**
 * Replies with a call of tool `name`. `params` are the tool's parameters in their encoded (JSON) form.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer([TestLanguageModel.toolCall("search", { query: "Nobel Prize 2024" })])
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const toolCall = (
  name: string,
  params: unknown,
  options: { readonly id?: string | undefined; readonly text?: string | undefined } = {}
): ToolCall => ({ _tag: "ToolCall", name, params, id: options.id, text: options.text })

/**
 * One call the model received, as the script function sees it and as `calls` records it.
 *
 * @example
 * ```ts
 * import type { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const describe = (call: TestLanguageModel.Call) => `#${call.number} ${call.method}: ${call.text}`
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Call {
  /** 1 for the first call of this model, 2 for the next, and so on. */
  readonly number: number
  /** `generateObject` arrives as `"generateText"` with a JSON response format. */
  readonly method: "generateText" | "streamText"
  readonly prompt: Prompt.Prompt
  /** The prompt's text, as `promptText` flattens it: what keyword rules usually match. */
  readonly text: string
  /** The names of the tools the request offers. */
  readonly tools: ReadonlyArray<string>
}

/**
 * What the model answers: a list of replies played in order (one per call), or a function of each call.
 * A function returning `undefined` has no reply for that call, which is a defect like a list running out.
 *
 * @example
 * ```ts
 * import type { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const script: TestLanguageModel.Script = (call) => call.text.includes("capital") ? "Paris" : "I don't know"
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Script = ReadonlyArray<Reply> | ((call: Call) => Reply | undefined)

/**
 * Options of the scripted model.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const options: TestLanguageModel.Options = { chunkSize: 4, latency: "100 millis" }
 * const model = TestLanguageModel.layer(["Paris"], options)
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Options {
  /** Characters per `text-delta` when streaming (default 8). */
  readonly chunkSize?: number | undefined
  /** Simulated time before each reply. Under `TestClock` it costs nothing; it lets concurrent calls overlap. */
  readonly latency?: Duration.Input | undefined
  /** Simulated time between streamed chunks, so a stream can be watched arriving. */
  readonly chunkDelay?: Duration.Input | undefined
}

/**
 * The model ran out of script: no reply for call `call`. Raised as a defect (see the module's docs).
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const exit = LanguageModel.generateText({ prompt: "hi" }).pipe(
 *   Effect.provide(TestLanguageModel.layer([])),
 *   Effect.exit
 * )
 * // fails with a Die whose defect is a ScriptExhausted naming call 1 and the prompt "hi"
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export class ScriptExhausted extends Data.TaggedError("ScriptExhausted")<{
  readonly call: number
  /** The prompt's text. */
  readonly prompt: string
  /** How many replies the script's list holds; `undefined` for a script function. */
  readonly replies: number | undefined
}> {
  override get message(): string {
    const why = this.replies === undefined
      ? "the script function returned no reply"
      : `the script has ${this.replies} ${this.replies === 1 ? "reply" : "replies"}`
    // The field keeps the whole prompt; the message shows its start, enough to tell which node asked.
    const shown = this.prompt.length > 300 ? `${this.prompt.slice(0, 300)}…` : this.prompt
    return `TestLanguageModel: no reply for call ${this.call} (${why}); prompt: ${JSON.stringify(shown)}`
  }
}

/**
 * The record of a scripted model's calls, provided by `layer` next to the `LanguageModel`. Tests read it
 * through `calls`, `prompts` and `maxInFlight`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const count = Effect.flatMap(TestLanguageModel.TestLanguageModel, (record) => record.calls).pipe(
 *   Effect.map((calls) => calls.length)
 * )
 * ```
 * @category services
 * @stability stable
 * @since 0.1.0
 */
export class TestLanguageModel extends Context.Service<TestLanguageModel, {
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  readonly maxInFlight: Effect.Effect<number>
}>()("effect-pocketflow/testing/TestLanguageModel") {}

/**
 * Every call so far, in the order the calls started (a call is recorded before it is answered).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const streamed = Effect.map(TestLanguageModel.calls, (calls) => calls.filter((c) => c.method === "streamText"))
 * ```
 * @category accessors
 * @stability stable
 * @since 0.1.0
 */
export const calls: Effect.Effect<ReadonlyArray<Call>, never, TestLanguageModel> = TestLanguageModel.use((t) => t.calls)

/**
 * The text of every prompt so far, in call order.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const asked = Effect.map(TestLanguageModel.prompts, (prompts) => prompts.length)
 * ```
 * @category accessors
 * @stability stable
 * @since 0.1.0
 */
export const prompts: Effect.Effect<ReadonlyArray<string>, never, TestLanguageModel> = Effect.map(
  calls,
  (all) => all.map((call) => call.text)
)

/**
 * The largest number of calls that were in flight at once (a streamed call counts until its stream ends):
 * how a test checks a batch's concurrency limit.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const bounded = Effect.map(TestLanguageModel.maxInFlight, (n) => n <= 3)
 * ```
 * @category accessors
 * @stability stable
 * @since 0.1.0
 */
export const maxInFlight: Effect.Effect<number, never, TestLanguageModel> = TestLanguageModel.use((t) => t.maxInFlight)

/**
 * Flattens a prompt to its text: each message's text parts, messages separated by a newline. A tool call the model
 * made is a line `tool call <name> <params as JSON>`, a tool's result a line `tool result <name> <result as JSON>`
 * (with `failed` after `result` for a failure), so a script can match on what the tools returned; files are left out.
 *
 * @example
 * ```ts
 * import { Prompt } from "effect/ai"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * TestLanguageModel.promptText(Prompt.make("What is the capital of France?")) // "What is the capital of France?"
 * ```
 * @category utilities
 * @stability stable
 * @since 0.1.0
 */
export const promptText = (prompt: Prompt.Prompt): string =>
  prompt.content
    .map((message) => {
      if (typeof message.content === "string") return message.content
      let text = ""
      for (const part of message.content) {
        if (part.type === "text") text += part.text
        else if (part.type === "tool-call") text += `${line(text)}tool call ${part.name} ${JSON.stringify(part.params)}`
        else if (part.type === "tool-result") {
          text += `${line(text)}tool result${part.isFailure ? " failed" : ""} ${part.name} ${
            JSON.stringify(part.result)
          }`
        }
      }
      return text
    })
    .join("\n")

const line = (text: string) => text.length === 0 || text.endsWith("\n") ? "" : "\n"

interface State {
  readonly calls: ReadonlyArray<Call>
  readonly inFlight: number
  readonly maxInFlight: number
}

// Usage counts words, so a test can tell replies apart by their usage: the prompt's words in, the reply's words out.
const words = (text: string) => text.split(/\s+/).filter((w) => w.length > 0).length

const finish = (reason: "stop" | "tool-calls", call: Call, reply: string) => ({
  type: "finish" as const,
  reason,
  usage: { inputTokens: { total: words(call.text) }, outputTokens: { total: words(reply) } }
})

const toolCallPart = (reply: ToolCall, call: Call): Response.ToolCallPartEncoded => ({
  type: "tool-call",
  id: reply.id ?? `call-${call.number}`,
  name: reply.name,
  params: reply.params
})

const chunks = (text: string, size: number): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

const checkChunkSize = (chunkSize: unknown): number => {
  if (chunkSize === undefined) return 8
  if (typeof chunkSize !== "number" || !Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`TestLanguageModel: chunkSize must be a positive integer, received ${String(chunkSize)}`)
  }
  return chunkSize
}

const checkScript = (script: unknown): Script => {
  if (typeof script !== "function" && !Array.isArray(script)) {
    throw new TypeError(
      `TestLanguageModel: the script must be an array of replies or a function of the call, received ${
        script === null ? "null" : typeof script
      }`
    )
  }
  return script as Script
}

/**
 * A `LanguageModel` that answers from `script`, together with its `TestLanguageModel` record. Each build of
 * the layer starts the script from its first reply with an empty record, so every test gets a fresh model.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LanguageModel } from "effect/ai"
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer(({ text }) => (/capital of France/.test(text) ? "Paris" : undefined))
 * const answer = LanguageModel.generateText({ prompt: "What is the capital of France?" }).pipe(
 *   Effect.map((response) => response.text),
 *   Effect.provide(model)
 * ) // "Paris"
 * ```
 * @category layers
 * @stability stable
 * @since 0.1.0
 */
export const layer = (
  script: Script,
  options: Options = {}
): Layer.Layer<LanguageModel.LanguageModel | TestLanguageModel> => {
  const checked = checkScript(script)
  const chunkSize = checkChunkSize(options.chunkSize)
  const latency = options.latency === undefined ? undefined : Duration.fromInputUnsafe(options.latency)
  const chunkDelay = options.chunkDelay === undefined ? undefined : Duration.fromInputUnsafe(options.chunkDelay)

  const build = Effect.gen(function*() {
    const state = yield* Ref.make<State>({ calls: [], inFlight: 0, maxInFlight: 0 })

    // Records the call as started; it stays in flight until its reply is complete (a stream: until it ends).
    const begin = (method: Call["method"], request: LanguageModel.ProviderOptions) =>
      Effect.acquireRelease(
        Ref.modify(state, (s): [Call, State] => {
          const call: Call = {
            number: s.calls.length + 1,
            method,
            prompt: request.prompt,
            text: promptText(request.prompt),
            tools: request.tools.map((tool) => tool.name)
          }
          const inFlight = s.inFlight + 1
          return [call, { calls: [...s.calls, call], inFlight, maxInFlight: Math.max(s.maxInFlight, inFlight) }]
        }),
        () => Ref.update(state, (s) => ({ ...s, inFlight: s.inFlight - 1 }))
      )

    const replyTo = (call: Call): Effect.Effect<Reply> =>
      Effect.suspend(() => {
        const reply = typeof checked === "function" ? checked(call) : checked[call.number - 1]
        return reply === undefined
          ? Effect.die(
            new ScriptExhausted({
              call: call.number,
              prompt: call.text,
              replies: typeof checked === "function" ? undefined : checked.length
            })
          )
          : Effect.succeed(reply)
      })

    const wait = latency === undefined ? Effect.void : Effect.sleep(latency)

    const generateText = Effect.fnUntraced(function*(request: LanguageModel.ProviderOptions) {
      const call = yield* begin("generateText", request)
      const reply = yield* replyTo(call)
      yield* wait
      if (typeof reply === "string") return [{ type: "text" as const, text: reply }, finish("stop", call, reply)]
      if (reply._tag === "Fail") return yield* Effect.fail(reply.error)
      const parts: Array<Response.PartEncoded> = []
      if (reply.text !== undefined) parts.push({ type: "text", text: reply.text })
      parts.push(toolCallPart(reply, call), finish("tool-calls", call, reply.text ?? ""))
      return parts
    }, Effect.scoped)

    const textParts = (text: string): Array<Response.StreamPartEncoded> => [
      { type: "text-start", id: "0" },
      ...chunks(text, chunkSize).map((delta): Response.StreamPartEncoded => ({ type: "text-delta", id: "0", delta })),
      { type: "text-end", id: "0" }
    ]

    // Stream.unwrap keeps this effect's scope open until the stream ends, so the call stays in flight.
    const streamReply = Effect.fnUntraced(function*(request: LanguageModel.ProviderOptions) {
      const call = yield* begin("streamText", request)
      const reply = yield* replyTo(call)
      yield* wait
      if (typeof reply === "string") return Stream.fromIterable([...textParts(reply), finish("stop", call, reply)])
      if (reply._tag === "Fail") return Stream.fail(reply.error)
      return Stream.fromIterable([
        ...(reply.text === undefined ? [] : textParts(reply.text)),
        toolCallPart(reply, call),
        finish("tool-calls", call, reply.text ?? "")
      ])
    })

    const streamText = (request: LanguageModel.ProviderOptions): Stream.Stream<
      Response.StreamPartEncoded,
      AiError.AiError
    > =>
      Stream.unwrap(streamReply(request)).pipe(
        // A delay between parts lets a consumer watch the reply arrive chunk by chunk.
        chunkDelay === undefined ? (s) => s : Stream.tap(() => Effect.sleep(chunkDelay))
      )

    const model = yield* LanguageModel.make({ generateText, streamText })
    const record = TestLanguageModel.of({
      calls: Effect.map(Ref.get(state), (s) => s.calls),
      maxInFlight: Effect.map(Ref.get(state), (s) => s.maxInFlight)
    })
    return Context.make(LanguageModel.LanguageModel, model).pipe(Context.add(TestLanguageModel, record))
  })

  return Layer.effectContext(build)
}
