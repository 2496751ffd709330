/**
 * The events of a flow run, as emitted by `Flow.events`: a tagged union with one case per thing that
 * can happen while a flow runs.
 *
 * Every event carries `path`, the `/`-separated names from the root flow down to where it happened
 * (`outer/inner/node`), and `runs`, the index of the run in each enclosing batch flow, and the item
 * index of a batch node whose exec runs a sub-flow (outermost first; `[]` outside batches).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Formatter from "effect/Formatter"
import * as internal from "./internal/events.ts"

/**
 * One event of a flow run.
 *
 * - `FlowStarted` / `FlowFinished` / `FlowFailed`: a flow (the root or a nested one) began or ended;
 *   `path` is the flow's path.
 * - `NodeStarted` / `NodeFinished` / `NodeFailed`: a flow ran one of its nodes (nested flows and batch
 *   flows included); `path` is the node's path, `duration` comes from the `Clock`.
 * - `RetryScheduled`: an attempt of `exec` failed and the node's `retry` policy will run attempt
 *   `attempt + 1` after `delay`. `item` is the item index inside a batch node.
 * - `FallbackUsed`: the last attempt failed and the node's `fallback` takes over.
 * - `Transition`: the flow at `path` follows the edge `from --action--> to`.
 * - `UnmatchedAction`: the flow at `path` ends because `node` returned `action`, which has no edge,
 *   although the node has edges for `known`.
 * - `BatchProgress`: `done` of `total` items (batch node) or runs (batch flow) have finished.
 * - `EventsDropped`: the subscriber was too slow and `count` events were dropped (only when something
 *   was dropped; it comes just before the run's final event, which always ends the stream).
 * - `CheckpointSaved` (durable runs): version `version` of the run was saved with `status`.
 * - `Suspended` (durable runs): the run stopped to wait for the `waiting` inputs.
 * - `Resumed` (durable runs): the run continued from its checkpoint, claimed as `version`.
 * - `AnswerStale` (durable runs): the step at `path` asked `key` again with a different prompt, so the answer given
 *   for the old prompt was dropped and the run waits for a new one.
 * - `AnswerRejected` (durable runs): the answer in the inbox for `key` does not decode with the input's schema (it was
 *   written by a program that could check only its JSON Schema): it left the inbox and the run waits for another.
 * - `CacheHit`: the node's `cache` had a result for `key`, so exec did not run (`cache` on the node or in a flow's
 *   defaults). Inside a batch node's item, `runs` ends with the item index.
 * - `Custom`: a node called `Flow.emit(data)` (LLM tokens, tool calls, progress); `path` is the node's path. Inside a
 *   batch node's item, `runs` ends with the item index. Durable runs may repeat them when a step runs again.
 * - `ModelDelta`, `ToolCalled`, `ToolResult`, `ModelFinished` (only with `{ model: true }`): a `LanguageModel` call in
 *   the node at `path` produced text (each streamed chunk, or a whole reply), asked for a tool call, got a tool's result
 *   (its JSON encoding) or finished with its token `usage`. No node calls `Flow.emit` for them.
 * - `EventsGap` (the server's event stream, `effect-pocketflow/server`): the server no longer holds the events with
 *   sequence numbers after `after` and before `next` (a client came back after its buffer moved on, or the server
 *   restarted): they are lost to this subscriber, never silently.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const describe = (event: FlowEvent.FlowEvent) =>
 *   event._tag === "NodeFinished" ? `${event.path} -> ${event.action}` : event._tag
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type FlowEvent = internal.FlowEvent

const ctors = internal.ctors

/**
 * A flow began.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.FlowStarted({ path: "agent", runs: [], flow: "agent" })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const FlowStarted = ctors.FlowStarted

/**
 * A flow ended with `action`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.FlowFinished({
 *   path: "agent", runs: [], flow: "agent", action: "done", duration: Duration.millis(5)
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const FlowFinished = ctors.FlowFinished

/**
 * A flow failed (or was interrupted) with `cause`.
 *
 * @example
 * ```ts
 * import { Cause, Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.FlowFailed({
 *   path: "agent", runs: [], flow: "agent", cause: Cause.fail("boom"), duration: Duration.zero
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const FlowFailed = ctors.FlowFailed

/**
 * A flow started one of its nodes.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.NodeStarted({ path: "agent/decide", runs: [], node: "decide", kind: "node" })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const NodeStarted = ctors.NodeStarted

/**
 * A node finished with `action` after `duration`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.NodeFinished({
 *   path: "agent/decide", runs: [], node: "decide", kind: "node", action: "search", duration: Duration.millis(3)
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const NodeFinished = ctors.NodeFinished

/**
 * A node failed (after its retries and fallback) or was interrupted.
 *
 * @example
 * ```ts
 * import { Cause, Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.NodeFailed({
 *   path: "agent/search", runs: [], node: "search", kind: "node", cause: Cause.fail("offline"), duration: Duration.zero
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const NodeFailed = ctors.NodeFailed

/**
 * An attempt of `exec` failed; the next one runs after `delay`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.RetryScheduled({
 *   path: "agent/search", runs: [], node: "search", item: undefined,
 *   attempt: 1, error: "timeout", delay: Duration.seconds(1)
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const RetryScheduled = ctors.RetryScheduled

/**
 * The last attempt of `exec` failed and the node's `fallback` replaces its result.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.FallbackUsed({
 *   path: "agent/search", runs: [], node: "search", item: undefined, error: "offline"
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const FallbackUsed = ctors.FallbackUsed

/**
 * The flow at `path` follows the edge `from --action--> to`.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.Transition({ path: "agent", runs: [], from: "decide", action: "search", to: "search" })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const Transition = ctors.Transition

/**
 * The flow at `path` ends on an action without an edge, while the node has edges for other actions.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.UnmatchedAction({ path: "agent", runs: [], node: "decide", action: "oops", known: ["search"] })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const UnmatchedAction = ctors.UnmatchedAction

/**
 * `done` of `total` items of a batch node, or runs of a batch flow, have finished.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.BatchProgress({ path: "docs/summarize", runs: [], node: "summarize", done: 3, total: 10 })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const BatchProgress = ctors.BatchProgress

/**
 * The subscriber fell behind and `count` events were dropped by the stream's bounded buffer.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.EventsDropped({ path: "docs", runs: [], count: 12 })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const EventsDropped = ctors.EventsDropped

/**
 * Makes an `EventsGap` event: the events numbered after `after` and before `next` are no longer held by the server
 * that streams them, so a re-attaching subscriber misses them (the server says so instead of skipping them silently).
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.EventsGap({ path: "essay", runs: [], after: 41, next: 97 })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const EventsGap = ctors.EventsGap

/**
 * Makes a `CheckpointSaved` event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.CheckpointSaved({ path: "essay", runs: [], version: 3, status: "running" })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const CheckpointSaved = ctors.CheckpointSaved

/**
 * Makes a `Suspended` event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.Suspended({
 *   path: "essay",
 *   runs: [],
 *   waiting: [{ key: "essay/review#1/approval#1", input: "approval", prompt: "ok?" }]
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const Suspended = ctors.Suspended

/**
 * Makes a `Resumed` event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.Resumed({ path: "essay", runs: [], version: 4 })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const Resumed = ctors.Resumed

/**
 * Makes an `AnswerStale` event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.AnswerStale({
 *   path: "essay/review", runs: [], key: "essay/review#1/approval#1", input: "approval"
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const AnswerStale = ctors.AnswerStale

/**
 * Makes an `AnswerRejected` event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.AnswerRejected({
 *   path: "essay/review", runs: [], key: "essay/review#1/approval#1", input: "approval", error: "Expected a note"
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.4.0
 */
export const AnswerRejected = ctors.AnswerRejected

/**
 * Makes a `CacheHit` event, as a node's cache does when it has a result for `key`.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.CacheHit({ path: "chat/embed", runs: [], node: "embed", key: "hello world" })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const CacheHit = ctors.CacheHit

/**
 * Makes a `Custom` event, as `Flow.emit(data)` does inside the node at `path`.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.Custom({ path: "chat/answer", runs: [], node: "answer", data: { token: "Hel" } })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const Custom = ctors.Custom

/**
 * Makes a `ModelDelta` event: text a `LanguageModel` call in the node at `path` produced (a streamed chunk, or the whole
 * text of a reply that was not streamed).
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.ModelDelta({ path: "chat/answer", runs: [], node: "answer", text: "Hel" })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const ModelDelta = ctors.ModelDelta

/**
 * Makes a `ToolCalled` event: the model asked to call tool `name` with `params`.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.ToolCalled({ path: "agent", runs: [], node: "agent", name: "search", params: { q: "x" } })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const ToolCalled = ctors.ToolCalled

/**
 * Makes a `ToolResult` event: tool `name` returned `result` (its JSON encoding; a failure the tool returns as its
 * result, or an approval's rejection, included).
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const e = FlowEvent.ToolResult({ path: "agent", runs: [], node: "agent", name: "search", result: ["a hit"] })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const ToolResult = ctors.ToolResult

/**
 * Makes a `ModelFinished` event: a `LanguageModel` call ended, having used `usage` tokens.
 *
 * @example
 * ```ts
 * import { Response } from "effect/ai"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const usage = new Response.Usage({ inputTokens: { total: 12 }, outputTokens: { total: 3 } })
 * const e = FlowEvent.ModelFinished({ path: "chat/answer", runs: [], node: "answer", usage })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const ModelFinished = ctors.ModelFinished

/**
 * A type guard for one case: `FlowEvent.is("NodeFinished")(event)`.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const finished = (events: ReadonlyArray<FlowEvent.FlowEvent>) => events.filter(FlowEvent.is("NodeFinished"))
 * ```
 * @category guards
 * @stability stable
 * @since 0.1.0
 */
export const is = ctors.$is

/**
 * Exhaustive matching on the cases of an event.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const weight = FlowEvent.match({
 *   FlowStarted: () => 0, FlowFinished: () => 1, FlowFailed: () => 1, NodeStarted: () => 0,
 *   NodeFinished: () => 1, NodeFailed: () => 1, RetryScheduled: (e) => e.attempt, FallbackUsed: () => 1,
 *   Transition: () => 0, UnmatchedAction: () => 1, BatchProgress: (e) => e.done, EventsDropped: (e) => e.count,
 *   CheckpointSaved: () => 0, Suspended: () => 0, Resumed: () => 0, AnswerStale: () => 0, AnswerRejected: () => 0,
 *   Custom: () => 0, ModelDelta: () => 0, ToolCalled: () => 1, ToolResult: () => 0, ModelFinished: () => 0,
 *   CacheHit: () => 0
 * })
 * ```
 * @category pattern matching
 * @stability stable
 * @since 0.1.0
 */
export const match = ctors.$match

const where = (event: FlowEvent) => event.runs.length === 0 ? event.path : `${event.path} #${event.runs.join(".")}`

const ms = (d: Duration.Duration) => {
  const millis = Duration.toMillis(d)
  return `${millis >= 10 ? Math.round(millis) : Math.round(millis * 100) / 100}ms`
}

const show = (u: unknown): string => {
  if (u instanceof Error) return u.message === "" ? u.name : `${u.name}: ${u.message}`
  if (typeof u === "object" && u !== null && "_tag" in u) return String((u as { _tag: unknown })._tag)
  return typeof u === "string" ? u : String(u)
}

/**
 * A one-line, human-readable description of an event, for logs and plain-text displays.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { FlowEvent } from "effect-pocketflow"
 *
 * FlowEvent.format(FlowEvent.Transition({ path: "agent", runs: [], from: "decide", action: "search", to: "search" }))
 * // "agent: decide --search--> search"
 * ```
 * @category formatting
 * @stability stable
 * @since 0.1.0
 */
export const format = (event: FlowEvent): string => {
  switch (event._tag) {
    case "FlowStarted":
      return `${where(event)}: flow started`
    case "FlowFinished":
      return `${where(event)}: flow finished with "${event.action}" in ${ms(event.duration)}`
    case "FlowFailed":
      return `${where(event)}: flow failed in ${ms(event.duration)}`
    case "NodeStarted":
      return `${where(event)}: started (${event.kind})`
    case "NodeFinished":
      return `${where(event)}: finished with "${event.action}" in ${ms(event.duration)}`
    case "NodeFailed":
      return `${where(event)}: failed in ${ms(event.duration)}`
    case "RetryScheduled":
      return `${where(event)}${event.item === undefined ? "" : `[${event.item}]`}: attempt ${event.attempt} failed ` +
        `(${show(event.error)}), retrying in ${ms(event.delay)}`
    case "FallbackUsed":
      return `${where(event)}${event.item === undefined ? "" : `[${event.item}]`}: fallback after ${show(event.error)}`
    case "Transition":
      return `${where(event)}: ${event.from} --${event.action}--> ${event.to}`
    case "UnmatchedAction":
      return `${where(event)}: ends, ${event.node} returned "${event.action}" with no edge ` +
        `(known: ${event.known.join(", ")})`
    case "BatchProgress":
      return `${where(event)}: ${event.done}/${event.total}`
    case "EventsDropped":
      return `${where(event)}: ${event.count} events dropped (slow subscriber)`
    case "CheckpointSaved":
      return `${where(event)}: checkpoint v${event.version} (${event.status})`
    case "Suspended":
      return `${where(event)}: suspended, waiting for ${event.waiting.map((w) => w.key).join(", ")}`
    case "Resumed":
      return `${where(event)}: resumed from its checkpoint (v${event.version})`
    case "AnswerStale":
      return `${where(event)}: the answer to ${event.key} was for an older prompt; asking again`
    case "AnswerRejected":
      return `${where(event)}: the answer to ${event.key} was rejected (${event.error}); asking again`
    case "CacheHit":
      return `${where(event)}: cache hit for ${JSON.stringify(event.key)}`
    case "EventsGap":
      return `${where(event)}: events ${event.after + 1} to ${event.next - 1} are no longer held (not delivered)`
    case "Custom":
      return `${where(event)}: ${typeof event.data === "string" ? event.data : Formatter.format(event.data)}`
    case "ModelDelta":
      return `${where(event)}: model: ${JSON.stringify(event.text)}`
    case "ToolCalled":
      return `${where(event)}: tool call ${event.name}(${Formatter.format(event.params)})`
    case "ToolResult":
      return `${where(event)}: tool result ${event.name}: ${Formatter.format(event.result)}`
    case "ModelFinished":
      return `${where(event)}: model finished (${event.usage.inputTokens.total ?? "?"} tokens in, ` +
        `${event.usage.outputTokens.total ?? "?"} out)`
  }
}
