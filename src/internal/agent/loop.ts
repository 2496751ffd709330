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

/** A human's rejection of a call, as the call's result. */
const rejection = (part: Prompt.ToolCallPart, reason: string | undefined) =>
  Prompt.toolResultPart({
    id: part.id,
    name: part.name,
    isFailure: true,
    result: rejected(reason),
    providerExecuted: false
  })

/** One tool call: the result part that goes back to the model. */
const call = (toolkit: Toolkit.WithHandler<any>, part: Prompt.ToolCallPart) =>
  Effect.gen(function*() {
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

const reportResult = (part: Prompt.ToolCallPart) => (result: Prompt.ToolResultPart) =>
  Effect.sync(() => report((w) => ctors.ToolResult({ ...w, name: part.name, result: result.result })))

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
        // The approval is asked outside the sub-step: an ask suspends the step's own fiber, and a sub-step may run in
        // a fiber of its own (an activity on the cluster engine). Its answer stays in the run's inbox while the step
        // runs again, so asking again there gets the same answer.
        const approval = config.approval(part.name)
        const verdict = approval === undefined ? undefined : yield* approval(part.params, key)
        // Reported when the call runs, not when a step that runs again gets it back.
        const result = verdict !== undefined && !verdict.approve
          ? yield* Effect.tap(Effect.succeed(rejection(part, verdict.reason)), reportResult(part))
          : yield* memo(`tool#${key}`, Prompt.ToolResultPart, Effect.tap(call(toolkit, part), reportResult(part)))
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
