/**
 * The agent's tool loop (`Agent.make`): ask the model with the toolkit, run the tools it calls, send the results back,
 * until it answers or `maxTurns` model calls are spent. Every model call and every tool call is a sub-step of the node's
 * step (`step.memo`), so under a durable engine a step that runs again (after a crash, or after an approval suspended
 * it) gets its finished turns and tool results back without asking the model or running the tool again.
 *
 * The model is asked with `streamText` (so `{ model: true }` subscribers see the text as it comes) and with tool call
 * resolution off: the loop runs the tools itself, one at a time in the order the model asked for them, each in its own
 * sub-step, an approval first when the tool needs one.
 */
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Prompt from "effect/ai/Prompt"
import type * as Toolkit from "effect/ai/Toolkit"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { AgentTurnsExceeded } from "../../Errors.ts"
import { memo } from "../durable/step.ts"
import { ctors } from "../events.ts"
import { report } from "../model/events.ts"

/** A human's answer about one tool call. */
export interface Verdict {
  readonly approve: boolean
  readonly reason?: string | undefined
}

export interface Config {
  readonly name: string
  readonly instructions: string
  /** The toolkit with its handlers (a `Toolkit` is such an Effect; so is an MCP server's toolkit). */
  readonly toolkit: Effect.Effect<Toolkit.WithHandler<any>, unknown, unknown>
  readonly maxTurns: number
  /**
   * How a call of tool `name` is approved: `undefined` when the tool needs no approval; else asks about the call's
   * (encoded) `params`, under `key` (unique within the step).
   */
  readonly approval: (
    name: string
  ) => ((params: unknown, key: string) => Effect.Effect<Verdict, unknown, unknown>) | undefined
  readonly retry: Schedule.Schedule<unknown, unknown>
}

/** One tool call the agent made and what went back to the model (`Agent.ToolUse`). */
export interface ToolUse {
  readonly id: string
  readonly name: string
  /** The parameters as the model sent them. */
  readonly params: unknown
  /** The result's JSON encoding as the model got it (a rejection's reason, a tool's returned failure). */
  readonly result: unknown
  /** The tool failed (and returned its failure), or a human rejected the call. */
  readonly isFailure: boolean
}

/** What the agent ended with (`Agent.Result`). */
export interface Result {
  /** The model's final answer. */
  readonly text: string
  /** Model calls made (at most `maxTurns`). */
  readonly turns: number
  /** The tool calls, in order. */
  readonly tools: ReadonlyArray<ToolUse>
  /** The conversation: the instructions, the user message, each reply and each batch of tool results. */
  readonly prompt: Prompt.Prompt
}

const emptyReply = Prompt.assistantMessage({ content: [] })

/** One model turn: the reply as an assistant message (its text and tool calls), the model retried on `retry`. */
const ask = (config: Config, prompt: Prompt.Prompt, toolkit: Toolkit.WithHandler<any>) =>
  Effect.retry(
    Effect.map(
      Stream.runCollect(LanguageModel.streamText({ prompt, toolkit, disableToolCallResolution: true })),
      (parts) => {
        const reply = Prompt.fromResponseParts(Array.from(parts)).content.find((m) => m.role === "assistant")
        return (reply ?? emptyReply) as Prompt.AssistantMessage
      }
    ),
    config.retry
  )

const rejected = (reason: string | undefined) =>
  `The user rejected this call${reason === undefined || reason.length === 0 ? "" : `: ${reason}`}`

/** One tool call, asked about first when the tool needs approval: the result part that goes back to the model. */
const call = (config: Config, toolkit: Toolkit.WithHandler<any>, part: Prompt.ToolCallPart, key: string) =>
  Effect.gen(function*() {
    const approval = config.approval(part.name)
    if (approval !== undefined) {
      const verdict = yield* approval(part.params, key)
      if (!verdict.approve) {
        return Prompt.toolResultPart({
          id: part.id,
          name: part.name,
          isFailure: true,
          result: rejected(verdict.reason),
          providerExecuted: false
        })
      }
    }
    const results = yield* toolkit.handle(part.name, part.params, part.id)
    const last = yield* Stream.runLast(Stream.filter(results, (r: { readonly preliminary: boolean }) => !r.preliminary))
    if (Option.isNone(last)) {
      return yield* Effect.die(new Error(`Agent: tool ${JSON.stringify(part.name)} ended without a result`))
    }
    const { encodedResult, isFailure, modelOutput } = last.value as {
      readonly encodedResult: unknown
      readonly isFailure: boolean
      readonly modelOutput?: ReadonlyArray<Prompt.ToolModelOutputPart> | undefined
    }
    return Prompt.toolResultPart({
      id: part.id,
      name: part.name,
      isFailure,
      result: encodedResult,
      providerExecuted: false,
      ...(modelOutput === undefined ? {} : { modelOutput })
    })
  })

const textOf = (message: Prompt.AssistantMessage) =>
  message.content.map((part) => part.type === "text" ? part.text : "").join("")

/** Runs the tool loop on the user message `input`. */
export const run = (config: Config, input: Prompt.RawInput): Effect.Effect<Result, unknown, unknown> =>
  Effect.gen(function*() {
    const toolkit = yield* config.toolkit
    let prompt = Prompt.concat(Prompt.make([{ role: "system", content: config.instructions }]), input)
    const tools: Array<ToolUse> = []
    for (let turn = 1;; turn++) {
      if (turn > config.maxTurns) {
        return yield* Effect.fail(new AgentTurnsExceeded({ agent: config.name, maxTurns: config.maxTurns }))
      }
      const reply = yield* memo(`model#${turn}`, Prompt.AssistantMessage, ask(config, prompt, toolkit))
      if (reply.content.length > 0) prompt = Prompt.concat(prompt, Prompt.fromMessages([reply]))
      const calls = reply.content.filter((p): p is Prompt.ToolCallPart => p.type === "tool-call" && !p.providerExecuted)
      if (calls.length === 0) return { text: textOf(reply), turns: turn, tools, prompt }
      const results: Array<Prompt.ToolResultPart> = []
      for (const [index, part] of calls.entries()) {
        const key = `${turn}.${index + 1}`
        // Reported when the call runs, not when a step that runs again gets it back.
        const ran = Effect.tap(
          call(config, toolkit, part, key),
          (result) =>
            Effect.sync(() => report((w) => ctors.ToolResult({ ...w, name: part.name, result: result.result })))
        )
        const result = yield* memo(`tool#${key}`, Prompt.ToolResultPart, ran)
        results.push(result)
        tools.push({
          id: part.id,
          name: part.name,
          params: part.params,
          result: result.result,
          isFailure: result.isFailure
        })
      }
      prompt = Prompt.concat(prompt, Prompt.fromMessages([Prompt.toolMessage({ content: results })]))
    }
  })
