/**
 * A tool-calling agent as one node: the model (an `effect/ai` `LanguageModel`) decides, the tools of a `Toolkit` run,
 * their results go back, until the model answers or runs out of turns. Under `Durable.run` every model call and every
 * tool call is its own saved sub-step (a resumed agent never repeats a finished tool call, never asks the model again
 * for a turn it has), and tools named in `approve` wait for a human's answer first (a `Durable.input`).
 *
 * @since 0.4.0
 */
import type * as AiError from "effect/ai/AiError"
import type * as LanguageModel from "effect/ai/LanguageModel"
import type * as Prompt from "effect/ai/Prompt"
import type * as Tool from "effect/ai/Tool"
import type * as Toolkit from "effect/ai/Toolkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Durable from "./Durable.ts"
import type { AgentTurnsExceeded } from "./Errors.ts"
import * as loop from "./internal/agent/loop.ts"
import { received } from "./internal/checks.ts"
import * as ModelRetry from "./internal/model/retry.ts"
import * as Node from "./Node.ts"

/**
 * What the agent ended with, given to its `post`: the answer, how many model calls it took, every tool call with the
 * result the model got back, and the whole conversation.
 *
 * @example
 * ```ts
 * import type { Agent } from "effect-pocketflow"
 *
 * const summary = (result: Agent.Result) => `${result.text} (${result.turns} turns, ${result.tools.length} tools)`
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type Result = loop.Result

/**
 * One tool call: its id, the tool, its parameters as the model sent them, and the result the model got back (the
 * tool's result in its JSON encoding, a failure the tool returned, or the reason a human rejected the call).
 *
 * @example
 * ```ts
 * import type { Agent } from "effect-pocketflow"
 *
 * const line = (use: Agent.ToolUse) => `${use.name}(${JSON.stringify(use.params)}) -> ${JSON.stringify(use.result)}`
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type ToolUse = loop.ToolUse

/**
 * A human's answer about one tool call: `approve`, and optionally why (a rejection's reason goes back to the model).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Agent } from "effect-pocketflow"
 *
 * const no = Schema.decodeUnknownSync(Agent.Approval)({ approve: false, reason: "wrong recipient" })
 * ```
 * @category approvals
 * @stability experimental
 * @since 0.4.0
 */
export const Approval = Schema.Struct({ approve: Schema.Boolean, reason: Schema.optional(Schema.String) })

/**
 * The answer type of {@link Approval}.
 *
 * @example
 * ```ts
 * import type { Agent } from "effect-pocketflow"
 *
 * const yes: Agent.Approval = { approve: true }
 * ```
 * @category approvals
 * @stability experimental
 * @since 0.4.0
 */
export type Approval = typeof Approval.Type

/**
 * The human input asked before a call of tool `K`: its prompt is the call (the tool's name and parameters), its
 * answer an {@link Approval}. Answer it with `Durable.answer({ id, input: agent.approvals.sendEmail, value })`, or
 * with the waiting record's token.
 *
 * @example
 * ```ts
 * import type { Agent } from "effect-pocketflow"
 *
 * type Asks = Agent.ApprovalInput<"sendEmail", { readonly to: string }>
 * ```
 * @category approvals
 * @stability experimental
 * @since 0.4.0
 */
export type ApprovalInput<K extends string, P> = Durable.Input<`approve-${K}`, Approval, {
  readonly name: K
  readonly params: P
}>

/**
 * An agent: a node whose action comes from its `post`, with one approval input per tool named in `approve`.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-pocketflow"
 *
 * const inputsOf = (agent: Agent.Agent<string, never, never, {}, never>) => agent.approvals
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Agent<A extends string, E, R, Tools extends Record<string, Tool.Any>, Approve extends string>
  extends Node.Node<A, E, R>
{
  readonly approvals: { readonly [K in Approve]: ApprovalInput<K, Tool.Parameters<Tools[K]>> }
}

/**
 * The options of `Agent.make`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Tool, Toolkit } from "effect/ai"
 * import type { Agent } from "effect-pocketflow"
 *
 * const Tools = Toolkit.make(Tool.make("now", { success: Schema.String }))
 * const options: Agent.Options<Toolkit.Tools<typeof Tools>, never, never, never, never, void, never, never, never> = {
 *   name: "clock",
 *   instructions: "Tell the time.",
 *   prompt: Effect.succeed("What time is it?"),
 *   toolkit: Tools
 * }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Options<
  Tools extends Record<string, Tool.Any>,
  ET,
  RT,
  EP,
  RP,
  O extends string | void,
  EPost,
  RPost,
  Approve extends string
> {
  /** The node's name. */
  readonly name: string
  /** The system message: who the agent is and how it should use its tools. */
  readonly instructions: string
  /** The user message (a string or an `effect/ai` prompt), read when the node starts (like a prep). */
  readonly prompt: Effect.Effect<Prompt.RawInput, EP, RP>
  /** The tools: a `Toolkit` (its handlers are then required), or an Effect of one with handlers (an MCP server's). */
  readonly toolkit: Effect.Effect<Toolkit.WithHandler<Tools>, ET, RT>
  /** Most model calls before `AgentTurnsExceeded` (default 10). */
  readonly maxTurns?: number | undefined
  /** Tools whose calls wait for a human's {@link Approval} first; a rejection goes back to the model. */
  readonly approve?: ReadonlyArray<Approve> | undefined
  /** Writes the result to the stores and picks the action (default: `"default"`). */
  readonly post?: ((result: Result) => Effect.Effect<O, EPost, RPost>) | undefined
}

const defaultMaxTurns = 10

/**
 * Makes an agent node: the tool loop of `effect/ai`, run by the node's exec.
 *
 * - Each turn asks the model (`LanguageModel.streamText` with the toolkit) with the instructions, the user message
 *   and everything so far; the model's calls run one at a time, in order, and their results go back on the next turn.
 *   A reply without tool calls is the answer. After `maxTurns` model calls without one: `AgentTurnsExceeded`.
 * - Model calls are retried with `OpenAi.retry`'s schedule (retry-after on 429, back-off on 5xx and dropped
 *   connections, none on other 4xx). A tool handler's typed failure fails the node with that error (a tool made with
 *   `failureMode: "return"` sends it back to the model instead).
 * - A tool in `approve` asks `agent.approvals[tool]` before each call (`Durable.Run` is then required: a durable run,
 *   or `Durable.layerAnswers`); a rejection goes back to the model as that call's result.
 * - Under `Durable.run` and `Durable.toWorkflow` each model call and each tool call is saved as it finishes: a step
 *   that runs again (after a crash, or after an approval) does not ask the model again for a turn it has, nor run a
 *   finished tool call again. `Flow.events(flow, { model: true })` shows its text, tool calls and usage.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Tool, Toolkit } from "effect/ai"
 * import { Agent, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { question: string; answer: string }>()("app/Store") {}
 * const Weather = Tool.make("weather", { parameters: Schema.Struct({ city: Schema.String }), success: Schema.String })
 * const Tools = Toolkit.make(Weather)
 * const Handlers = Tools.toLayer({ weather: ({ city }) => Effect.succeed(`Sunny in ${city}`) })
 *
 * const assistant = Agent.make({
 *   name: "assistant",
 *   instructions: "Answer questions about the weather. Use the tools.",
 *   prompt: Effect.map(Store.get, (s) => s.question),
 *   toolkit: Tools,
 *   post: ({ text }) => Store.update((s) => ({ ...s, answer: text }))
 * })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const make = <
  Tools extends Record<string, Tool.Any>,
  ET = never,
  RT = never,
  EP = never,
  RP = never,
  O extends string | void = void,
  EPost = never,
  RPost = never,
  const Approve extends Extract<keyof Tools, string> = never
>(
  options: Options<Tools, ET, RT, EP, RP, O, EPost, RPost, Approve>
): Agent<
  Node.ActionOf<O>,
  EP | ET | AiError.AiError | AgentTurnsExceeded | Tool.HandlerError<Tools[keyof Tools]> | EPost,
  | RP
  | RT
  | RPost
  | LanguageModel.LanguageModel
  | Tool.HandlerServices<Tools[keyof Tools]>
  | ([Approve] extends [never] ? never : Durable.Run),
  Tools,
  Approve
> => {
  const where = `Agent.make(${JSON.stringify((options as { name?: unknown } | undefined)?.name)})`
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Agent.make needs an options object; got ${received(options)}`)
  }
  if (typeof options.instructions !== "string") {
    throw new TypeError(`${where}: option "instructions" must be a string; got ${received(options.instructions)}`)
  }
  if (!Effect.isEffect(options.prompt)) {
    throw new TypeError(
      `${where}: option "prompt" must be an Effect of the user message; got ${received(options.prompt)}`
    )
  }
  if (!Effect.isEffect(options.toolkit)) {
    throw new TypeError(
      `${where}: option "toolkit" must be a Toolkit (or an Effect of one); got ${received(options.toolkit)}`
    )
  }
  const maxTurns = options.maxTurns ?? defaultMaxTurns
  if (typeof maxTurns !== "number" || !Number.isInteger(maxTurns) || maxTurns < 1) {
    throw new RangeError(`${where}: option "maxTurns" must be a positive integer; got ${received(maxTurns)}`)
  }
  const approve = options.approve ?? []
  if (!Array.isArray(approve) || approve.some((name) => typeof name !== "string")) {
    throw new TypeError(`${where}: option "approve" must be an array of tool names; got ${received(approve)}`)
  }
  // A Toolkit value lists its tools; an Effect of a toolkit (an MCP server's) is only known when it runs.
  const known = (options.toolkit as { readonly tools?: Record<string, Tool.Any> }).tools
  const approvals: Record<
    string,
    Durable.Input<string, Approval, { readonly name: string; readonly params: unknown }>
  > = {}
  const decoders: Record<string, (params: unknown) => Effect.Effect<unknown, unknown>> = {}
  for (const name of approve) {
    const tool = known?.[name]
    if (known !== undefined && tool === undefined) {
      throw new TypeError(
        `${where}: option "approve" names ${JSON.stringify(name)}, which is not a tool of the toolkit`
      )
    }
    const params = tool !== undefined && Schema.isSchema(tool.parametersSchema)
      ? tool.parametersSchema as Schema.Codec<unknown, unknown, never, never>
      : Schema.Unknown
    decoders[name] = Schema.decodeUnknownEffect(params)
    approvals[name] = Durable.input(`approve-${name}`, {
      answer: Approval,
      prompt: Schema.Struct({ name: Schema.Literal(name), params })
    })
  }
  const config: loop.Config = {
    name: options.name,
    instructions: options.instructions,
    toolkit: options.toolkit,
    maxTurns,
    retry: ModelRetry.schedule as loop.Config["retry"],
    approval: (name) => {
      const input = approvals[name]
      if (input === undefined) return undefined
      return (params, key) =>
        Effect.matchEffect(decoders[name]!(params), {
          // Parameters that do not decode never reach the tool: its handler reports them, nobody needs to approve.
          onFailure: () => Effect.succeed({ approve: true }),
          onSuccess: (decoded) => input.ask({ name, params: decoded }, { key })
        })
    }
  }
  const post = options.post
  const node = Node.make(
    {
      name: options.name,
      prep: options.prompt,
      exec: (input: Prompt.RawInput) => loop.run(config, input),
      ...(post === undefined ? {} : { post: (_: unknown, result: loop.Result) => post(result) })
    } as Parameters<typeof Node.make>[0]
  )
  return Object.assign(node, { approvals }) as never
}
