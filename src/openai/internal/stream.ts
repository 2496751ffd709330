/**
 * Turns the `chat.completion.chunk` events of one streamed response into `effect/ai` stream parts. One reader
 * per response: it remembers which text and tool-call blocks are open, so deltas become start/delta/end parts
 * and each tool call's argument fragments become one parsed `tool-call` part.
 */
import * as AiError from "effect/ai/AiError"
import { IdGenerator } from "effect/ai/IdGenerator"
import type * as Response from "effect/ai/Response"
import * as Effect from "effect/Effect"
import * as Wire from "./wire.ts"

interface OpenTool {
  readonly id: string
  readonly name: string
  args: string
}

/** What a finished stream learned, for the span. */
export interface StreamSummary {
  readonly id: string | undefined
  readonly model: string | undefined
  readonly finishReason: string | undefined
  readonly usage: typeof Response.Usage.Encoded
}

/** Reads one response's chunks in order. Not shared between responses. */
export interface ChunkReader {
  readonly chunk: (
    chunk: Wire.ChatCompletionChunk
  ) => Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError, IdGenerator>
  /** Called once the server sent `data: [DONE]` or closed the body; fails if the answer was cut short. */
  readonly end: (sawDone: boolean) => Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError>
  readonly summary: () => StreamSummary
}

/** A fresh reader; `method` names the failing operation in errors. */
export const makeChunkReader = (method: string): ChunkReader => {
  // Mutable on purpose: this is the state of one in-flight response, owned by the stream that reads it.
  let metadataSent = false
  let textOpen = false
  let closed = false
  const tools = new Map<number, OpenTool>()
  let id: string | undefined
  let model: string | undefined
  let finishReason: string | undefined
  let usage: Wire.ChatCompletionChunk["usage"]

  const close: () => Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError> = Effect.fnUntraced(function*() {
    const parts: Array<Response.StreamPartEncoded> = []
    if (closed) return parts
    closed = true
    if (textOpen) parts.push({ type: "text-end", id: "0" })
    textOpen = false
    for (const tool of tools.values()) {
      parts.push({ type: "tool-params-end", id: tool.id })
      const params = yield* Wire.toolParams(method, tool.name, tool.args)
      parts.push({ type: "tool-call", id: tool.id, name: tool.name, params })
    }
    return parts
  })

  const chunk = Effect.fnUntraced(function*(c: Wire.ChatCompletionChunk) {
    const parts: Array<Response.StreamPartEncoded> = []
    if (!metadataSent) {
      metadataSent = true
      id = c.id ?? undefined
      model = c.model ?? undefined
      parts.push(Wire.metadataPart(c))
    }
    if (c.usage != null) usage = c.usage
    // One completion per request (`n` is never set), so only the first choice carries content.
    const choice = c.choices.find((ch) => (ch.index ?? 0) === 0)
    if (choice === undefined || closed) return parts
    const delta = choice.delta
    const text = delta?.content ?? delta?.refusal
    if (text != null && text.length > 0) {
      if (!textOpen) parts.push({ type: "text-start", id: "0" })
      textOpen = true
      parts.push({ type: "text-delta", id: "0", delta: text })
    }
    for (const call of delta?.tool_calls ?? []) {
      let tool = tools.get(call.index)
      if (tool === undefined) {
        const name = call.function?.name
        if (name == null || name.length === 0) {
          return yield* AiError.make({
            module: Wire.moduleName,
            method,
            reason: new AiError.InvalidResponseError({
              description: `the first delta of streamed tool call ${call.index} has no function name`
            })
          })
        }
        const toolId = call.id ?? (yield* (yield* IdGenerator).generateId())
        tool = { id: toolId, name, args: "" }
        tools.set(call.index, tool)
        parts.push({ type: "tool-params-start", id: toolId, name })
      }
      const fragment = call.function?.arguments
      if (fragment != null && fragment.length > 0) {
        tool.args += fragment
        parts.push({ type: "tool-params-delta", id: tool.id, delta: fragment })
      }
    }
    if (choice.finish_reason != null) {
      finishReason = choice.finish_reason
      parts.push(...(yield* close()))
    }
    return parts
  })

  const end = Effect.fnUntraced(function*(sawDone: boolean) {
    // A server that omits `[DONE]` but finished the choice gave a whole answer; without either, it was cut.
    if (finishReason === undefined) {
      return yield* AiError.make({
        module: Wire.moduleName,
        method,
        reason: new AiError.InvalidResponseError({
          description: sawDone
            ? "the stream ended with [DONE] but no choice had a finish_reason"
            : "the stream was cut short: it ended before a finish_reason or data: [DONE]"
        })
      })
    }
    const parts = yield* close()
    parts.push({ type: "finish", reason: Wire.finishReason(finishReason), usage: Wire.usage(usage) })
    return parts
  })

  return {
    chunk,
    end,
    summary: () => ({ id, model, finishReason, usage: Wire.usage(usage) })
  }
}
