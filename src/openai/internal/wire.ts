/**
 * The OpenAI chat completions wire protocol: the request body built from `effect/ai`'s provider options, and
 * the response bodies (whole and streamed) turned back into `effect/ai` response parts. Pure data mapping; the
 * HTTP side lives in `../OpenAi.ts`.
 */
import * as AiError from "effect/ai/AiError"
import type * as LanguageModel from "effect/ai/LanguageModel"
import * as OpenAiStructuredOutput from "effect/ai/OpenAiStructuredOutput"
import type * as Prompt from "effect/ai/Prompt"
import type * as Response from "effect/ai/Response"
import * as Tool from "effect/ai/Tool"
import * as Effect from "effect/Effect"
import * as Base64 from "effect/encoding/Base64"
import * as Schema from "effect/Schema"

/** The `module` every error of this provider carries. */
export const moduleName = "OpenAi"

const fail = (method: string, reason: AiError.AiErrorReason) => AiError.make({ module: moduleName, method, reason })

// ---------------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------------

/** One message of the `messages` array. */
export type WireMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string | ReadonlyArray<WireUserPart> }
  | {
    readonly role: "assistant"
    readonly content: string | null
    readonly tool_calls?: ReadonlyArray<WireToolCall>
  }
  | { readonly role: "tool"; readonly tool_call_id: string; readonly content: string }

type WireUserPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } }

interface WireToolCall {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}

/** Settings that shape every request besides the prompt. */
export interface RequestSettings {
  readonly model: string
  readonly temperature: number | undefined
  readonly maxTokens: number | undefined
}

const userPart = (method: string, part: Prompt.UserMessagePart): Effect.Effect<WireUserPart, AiError.AiError> => {
  if (part.type === "text") return Effect.succeed({ type: "text", text: part.text })
  if (!part.mediaType.startsWith("image/")) {
    return Effect.fail(fail(
      method,
      new AiError.InvalidUserInputError({
        description: `the chat completions protocol takes images only; got a file of type ${part.mediaType}`
      })
    ))
  }
  const dataUrl = (base64: string) => `data:${part.mediaType};base64,${base64}`
  const url = part.data instanceof URL
    ? part.data.toString()
    : typeof part.data === "string"
    ? (part.data.startsWith("data:") || /^https?:/.test(part.data) ? part.data : dataUrl(part.data))
    : dataUrl(Base64.encode(part.data))
  return Effect.succeed({ type: "image_url", image_url: { url } })
}

// A tool result goes back as the text the model reads: its model output when the tool defines one, else JSON.
const toolResultContent = (part: Prompt.ToolResultPart): string => {
  if (part.modelOutput !== undefined) {
    return part.modelOutput.map((p) => (p.type === "text" ? p.text : `[file ${p.mediaType}]`)).join("\n")
  }
  return typeof part.result === "string" ? part.result : JSON.stringify(part.result ?? null)
}

/** The `messages` array for a prompt. */
export const messages = Effect.fnUntraced(function*(method: string, prompt: Prompt.Prompt) {
  const out: Array<WireMessage> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system": {
        out.push({ role: "system", content: message.content })
        break
      }
      case "user": {
        const parts = yield* Effect.forEach(message.content, (part) => userPart(method, part))
        out.push({
          role: "user",
          content: parts.every((p) => p.type === "text") ? parts.map((p) => p.text).join("") : parts
        })
        break
      }
      case "assistant": {
        let text = ""
        const calls: Array<WireToolCall> = []
        const results: Array<WireMessage> = []
        for (const part of message.content) {
          if (part.type === "text") text += part.text
          else if (part.type === "tool-call" && !part.providerExecuted) {
            calls.push({
              id: part.id,
              type: "function",
              function: { name: part.name, arguments: JSON.stringify(part.params ?? {}) }
            })
          } else if (part.type === "tool-result" && !part.providerExecuted) {
            results.push({ role: "tool", tool_call_id: part.id, content: toolResultContent(part) })
          }
          // Reasoning, files and approval requests have no place in a chat completions history.
        }
        if (text.length > 0 || calls.length > 0) {
          out.push(
            calls.length > 0
              ? { role: "assistant", content: text.length > 0 ? text : null, tool_calls: calls }
              : { role: "assistant", content: text }
          )
        }
        out.push(...results)
        break
      }
      case "tool": {
        for (const part of message.content) {
          if (part.type === "tool-result") {
            out.push({ role: "tool", tool_call_id: part.id, content: toolResultContent(part) })
          }
        }
        break
      }
    }
  }
  return out
})

const toolChoice = (choice: LanguageModel.ToolChoice<string>) => {
  if (choice === "auto" || choice === "none" || choice === "required") return choice
  if ("tool" in choice) return { type: "function", function: { name: choice.tool } }
  return choice.mode === "required" ? "required" : "auto"
}

const unsupportedSchema = (method: string, error: unknown) =>
  fail(
    method,
    new AiError.UnsupportedSchemaError({ description: error instanceof Error ? error.message : String(error) })
  )

/** The chat completions request body. */
export const requestBody = Effect.fnUntraced(function*(
  method: string,
  settings: RequestSettings,
  options: LanguageModel.ProviderOptions,
  stream: boolean
) {
  const body: Record<string, unknown> = {
    model: settings.model,
    messages: yield* messages(method, options.prompt)
  }
  if (settings.temperature !== undefined) body.temperature = settings.temperature
  if (settings.maxTokens !== undefined) body.max_tokens = settings.maxTokens
  if (options.tools.length > 0) {
    body.tools = yield* Effect.forEach(options.tools, (tool) =>
      Tool.isProviderDefined(tool)
        ? Effect.fail(fail(
          method,
          new AiError.ToolConfigurationError({
            toolName: tool.name,
            description: "provider-defined tools are not part of the chat completions protocol"
          })
        ))
        : Effect.try({
          try: () => ({
            type: "function",
            function: {
              name: tool.name,
              ...(Tool.getDescription(tool) === undefined ? {} : { description: Tool.getDescription(tool) }),
              parameters: Tool.getJsonSchema(tool)
            }
          }),
          catch: (error) => unsupportedSchema(method, error)
        }))
    body.tool_choice = toolChoice(options.toolChoice)
  }
  if (options.responseFormat.type === "json") {
    const { objectName, schema } = options.responseFormat
    const jsonSchema = yield* Effect.try({
      // The provider hook sees the schema as `Schema.Top`; every schema `generateObject` accepts is a codec.
      try: () => OpenAiStructuredOutput.toCodecOpenAI(schema as unknown as Schema.Codec<unknown, unknown>).jsonSchema,
      catch: (error) => unsupportedSchema(method, error)
    })
    body.response_format = { type: "json_schema", json_schema: { name: objectName, schema: jsonSchema, strict: true } }
  }
  if (stream) {
    body.stream = true
    body.stream_options = { include_usage: true }
  }
  return body
})

// ---------------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------------

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

const Usage = Schema.Struct({
  prompt_tokens: nullable(Schema.Number),
  completion_tokens: nullable(Schema.Number),
  total_tokens: nullable(Schema.Number),
  prompt_tokens_details: nullable(Schema.Struct({ cached_tokens: nullable(Schema.Number) })),
  completion_tokens_details: nullable(Schema.Struct({ reasoning_tokens: nullable(Schema.Number) }))
})
type Usage = typeof Usage.Type

/** A `chat.completion` object. */
export const ChatCompletion = Schema.Struct({
  id: nullable(Schema.String),
  model: nullable(Schema.String),
  created: nullable(Schema.Number),
  choices: Schema.Array(Schema.Struct({
    message: Schema.Struct({
      content: nullable(Schema.String),
      refusal: nullable(Schema.String),
      tool_calls: nullable(Schema.Array(Schema.Struct({
        id: nullable(Schema.String),
        function: Schema.Struct({ name: Schema.String, arguments: nullable(Schema.String) })
      })))
    }),
    finish_reason: nullable(Schema.String)
  })),
  usage: nullable(Usage)
})

/** A `chat.completion.chunk` object, one per server-sent event. */
export const ChatCompletionChunk = Schema.Struct({
  id: nullable(Schema.String),
  model: nullable(Schema.String),
  created: nullable(Schema.Number),
  choices: Schema.Array(Schema.Struct({
    index: nullable(Schema.Number),
    delta: nullable(Schema.Struct({
      content: nullable(Schema.String),
      refusal: nullable(Schema.String),
      tool_calls: nullable(Schema.Array(Schema.Struct({
        index: Schema.Number,
        id: nullable(Schema.String),
        function: nullable(Schema.Struct({ name: nullable(Schema.String), arguments: nullable(Schema.String) }))
      })))
    })),
    finish_reason: nullable(Schema.String)
  })),
  usage: nullable(Usage)
})
export type ChatCompletionChunk = typeof ChatCompletionChunk.Type

/** The `effect/ai` finish reason for a chat completions `finish_reason`. */
export const finishReason = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    default:
      return reason === null || reason === undefined ? "unknown" : "other"
  }
}

/** The `effect/ai` usage for a chat completions `usage` object (all unknown when absent). */
export const usage = (u: Usage | null | undefined): typeof Response.Usage.Encoded => {
  const input = u?.prompt_tokens ?? undefined
  const cached = u?.prompt_tokens_details?.cached_tokens ?? undefined
  const output = u?.completion_tokens ?? undefined
  const reasoning = u?.completion_tokens_details?.reasoning_tokens ?? undefined
  return {
    inputTokens: {
      ...(input === undefined ? {} : { total: input }),
      ...(cached === undefined ? {} : { cacheRead: cached }),
      ...(input === undefined || cached === undefined ? {} : { uncached: input - cached })
    },
    outputTokens: {
      ...(output === undefined ? {} : { total: output }),
      ...(reasoning === undefined ? {} : { reasoning }),
      ...(output === undefined || reasoning === undefined ? {} : { text: output - reasoning })
    }
  }
}

/** The response-metadata part for a completion or chunk. */
export const metadataPart = (
  c: {
    readonly id?: string | null | undefined
    readonly model?: string | null | undefined
    readonly created?: number | null | undefined
  }
): Response.ResponseMetadataPartEncoded => ({
  type: "response-metadata",
  ...(c.id == null ? {} : { id: c.id }),
  ...(c.model == null ? {} : { modelId: c.model }),
  ...(c.created == null ? {} : { timestamp: new Date(c.created * 1000).toISOString() })
})

const decodeArguments = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Unknown))

/** Parses a tool call's `arguments` (a JSON text; empty means no parameters). */
export const toolParams = (
  method: string,
  name: string,
  args: string | null | undefined
): Effect.Effect<unknown, AiError.AiError> =>
  args === undefined || args === null || args.trim() === ""
    ? Effect.succeed<unknown>({})
    : Effect.mapError(decodeArguments(args), () =>
      fail(
        method,
        new AiError.InvalidResponseError({
          description: `the arguments of the call to tool "${name}" are not valid JSON: ${truncate(args)}`
        })
      ))

/** At most 200 characters of a body, for error descriptions. */
export const truncate = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}...` : text)
