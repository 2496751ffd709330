/**
 * The tagged errors of effect-pocketflow. Users' own errors pass through untouched beside them.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"

/** "1 second", "30 seconds", "1500 millis": the unit a user most likely wrote. */
const showDuration = (duration: Duration.Duration): string => {
  if (!Duration.isFinite(duration)) return "infinity"
  const millis = Duration.toMillis(duration)
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? "" : "s"}`
  if (millis > 0 && millis % 3_600_000 === 0) return unit(millis / 3_600_000, "hour")
  if (millis > 0 && millis % 60_000 === 0) return unit(millis / 60_000, "minute")
  if (millis > 0 && millis % 1000 === 0) return unit(millis / 1000, "second")
  return `${millis} millis`
}

/**
 * One attempt of a node's `exec` ran longer than the node's `timeout`. It is a typed failure, so the
 * node's `retry` policy retries it and its `fallback` may replace it. A `Schema.TaggedError`: `timeout`
 * is a `Duration` (the constructor also takes any `Duration.Input`, e.g. `"1 second"`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.NodeTimeout({ node: "ask", timeout: "1 second" })).pipe(
 *   Effect.catchTag("NodeTimeout", (e) => Effect.succeed(`${e.node} timed out`))
 * )
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export class NodeTimeout extends Schema.TaggedError<NodeTimeout>()("NodeTimeout", {
  node: Schema.String,
  timeout: Schema.Duration
}) {
  // Callers (and the node runtime) pass the `timeout` option as written: any `Duration.Input`.
  constructor(props: { readonly node: string; readonly timeout: Duration.Input }) {
    super({ node: props.node, timeout: Duration.fromInputUnsafe(props.timeout) })
  }
  override get message(): string {
    return `Node "${this.node}" timed out after ${showDuration(this.timeout)}`
  }
}

/**
 * A flow ran more node steps than its `maxSteps` allows (a runaway loop). A `Schema.TaggedError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.MaxStepsExceeded({ flow: "agent", maxSteps: 10, node: "decide" })).pipe(
 *   Effect.catchTag("MaxStepsExceeded", (e) => Effect.succeed(`stopped ${e.flow} at ${e.node}`))
 * )
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export class MaxStepsExceeded extends Schema.TaggedError<MaxStepsExceeded>()("MaxStepsExceeded", {
  flow: Schema.String,
  maxSteps: Schema.Number,
  /** The node that would have run next. */
  node: Schema.String
}) {
  override get message(): string {
    return `Flow "${this.flow}" exceeded maxSteps (${this.maxSteps}): node "${this.node}" would have run step ${
      this.maxSteps + 1
    }`
  }
}

/**
 * A flow was wired wrongly: thrown when the flow is built (a programming error, not a run-time failure).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const error = new Errors.FlowDefinitionError({ flow: "agent", reason: "duplicate node name \"a\"" })
 * console.log(error.message)
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export class FlowDefinitionError extends Data.TaggedError("FlowDefinitionError")<{
  readonly flow: string
  readonly reason: string
}> {
  override get message(): string {
    return `Flow "${this.flow}": ${this.reason}`
  }
}

/**
 * A batch node's or batch flow's `prep` produced something that is not iterable. It is raised as a
 * defect (a programming error); `flow` is filled in by the innermost flow that runs the node.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const error = new Errors.InvalidBatchItems({ node: "summarize", flow: "docs", received: "number" })
 * console.log(error.message)
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export class InvalidBatchItems extends Data.TaggedError("InvalidBatchItems")<{
  readonly node: string
  readonly flow: string | undefined
  /** A description of the value `prep` produced, e.g. `number` or `null`. */
  readonly received: string
}> {
  override get message(): string {
    const where = this.flow === undefined ? "" : ` in flow "${this.flow}"`
    return `Batch node "${this.node}"${where}: prep must produce an iterable of items, got ${this.received}`
  }
}

/**
 * The errors a flow itself can add to its nodes' errors.
 *
 * @example
 * ```ts
 * import type { Errors } from "effect-pocketflow"
 *
 * const describe = (e: Errors.FlowError) => `${e.flow} stopped after ${e.maxSteps} steps`
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export type FlowError = MaxStepsExceeded

// ---------------------------------------------------------------------------------------------------
// Durable runs. Schema-backed, so they cross process boundaries (the workflow adapter journals them).
// ---------------------------------------------------------------------------------------------------

/**
 * Why a checkpoint could not be used. `reason` is one of a fixed set; `detail` says what exactly (the run, the
 * version, the missing positions, the store that failed to decode, …). Since 0.4.0: `"flow mismatch"` (the run
 * belongs to a flow of another name), `"state too large"` (a save larger than the checkpointer's `maxStateBytes`;
 * `detail` gives the size and the limit) and `"invalid cursor"` (a `list` cursor no `list` returned).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.CheckpointError({ reason: "version conflict", detail: "run a: v3" })).pipe(
 *   Effect.catchTag("CheckpointError", (e) => Effect.succeed(e.reason))
 * )
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  reason: Schema.Literals([
    "storage failed",
    "version conflict",
    "version not found",
    "wiring mismatch",
    "store decode failed",
    "batch items changed",
    "flow mismatch",
    "state too large",
    "invalid cursor"
  ]),
  detail: Schema.String
}) {
  override get message(): string {
    return `Checkpoint ${this.reason}: ${this.detail}`
  }
}

/**
 * Another owner holds the run's lease (`expiresAt`, epoch millis). `heartbeatAt` is the owner's last heartbeat and
 * `seenAt` when the lease was read, when known: the message then says how long the lease has left. After a crash the
 * lease stays until it expires (default 30 seconds after the last heartbeat): wait, pass `takeover: "force"` when you
 * know the owner is gone, or run with a shorter `lease`.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.RunLocked({ id: "essay-1", owner: "host-a/123", expiresAt: 30_000, seenAt: 12_000 })
 * console.log(e.message) // … 18 seconds left …
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class RunLocked extends Schema.TaggedError<RunLocked>()("RunLocked", {
  id: Schema.String,
  owner: Schema.String,
  expiresAt: Schema.Number,
  /** The owner's last heartbeat (epoch millis), when the checkpointer records it. @since 0.4.0 */
  heartbeatAt: Schema.optional(Schema.Number),
  /** When the lease was read (epoch millis, from the caller's Clock). @since 0.4.0 */
  seenAt: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    const held = `Run "${this.id}" is held by ${this.owner} until ${new Date(this.expiresAt).toISOString()}`
    if (this.seenAt === undefined) return held
    const seconds = (ms: number) => {
      const n = Math.max(0, Math.ceil(ms / 1000))
      return `${n} second${n === 1 ? "" : "s"}`
    }
    const beat = this.heartbeatAt === undefined ? "" : `, last heartbeat ${seconds(this.seenAt - this.heartbeatAt)} ago`
    return `${held} (${seconds(this.expiresAt - this.seenAt)} left${beat}). If that owner crashed, its lease ` +
      `expires by itself; to continue now, pass takeover: "force" (only when you know the owner is gone), and run ` +
      `with a shorter lease (e.g. lease: "10 seconds") so a crashed owner blocks the run for less time`
  }
}

/**
 * A child run (`Durable.child`) failed: the parent's step fails with this typed error, `failure` being the child's
 * failure as rendered in its snapshot. Also when the id names a run that is still going and was not started as a child
 * of this parent (its `failure` says so): a parent waits only for its own children, which wake it when they end.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.ChildFailed({ id: "digest/alice", failure: "Error: SMTP down" })).pipe(
 *   Effect.catchTag("ChildFailed", (e) => Effect.succeed(`child ${e.id} failed`))
 * )
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export class ChildFailed extends Schema.TaggedError<ChildFailed>()("ChildFailed", {
  id: Schema.String,
  failure: Schema.String
}) {
  override get message(): string {
    return `Child run "${this.id}" failed: ${this.failure}`
  }
}

/**
 * `Durable.run` found the run failed: it is not re-executed (use `Durable.resume` to retry from the failed step).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.RunFailed({ id: "essay-1", failure: "Error: boom" })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class RunFailed extends Schema.TaggedError<RunFailed>()("RunFailed", {
  id: Schema.String,
  failure: Schema.String
}) {
  override get message(): string {
    return `Run "${this.id}" failed earlier and is not re-run by Durable.run (use Durable.resume): ${this.failure}`
  }
}

/**
 * No run with this id.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.RunNotFound({ id: "nope" })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", { id: Schema.String }) {
  override get message(): string {
    return `No run "${this.id}"`
  }
}

/**
 * A run with this id exists already (e.g. the target of `Durable.fork`).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.RunExists({ id: "essay-2" })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class RunExists extends Schema.TaggedError<RunExists>()("RunExists", { id: Schema.String }) {
  override get message(): string {
    return `A run "${this.id}" exists already`
  }
}

/**
 * An answer names no input the run waits for. `waiting` lists the keys it does wait for.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.NotWaiting({
 *   id: "essay-1",
 *   key: undefined,
 *   waiting: ["essay/review#1/approval#1"],
 *   reason: "not suspended"
 * })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class NotWaiting extends Schema.TaggedError<NotWaiting>()("NotWaiting", {
  id: Schema.String,
  key: Schema.UndefinedOr(Schema.String),
  waiting: Schema.Array(Schema.String),
  reason: Schema.String
}) {
  override get message(): string {
    const which = this.key === undefined ? "" : ` for ${JSON.stringify(this.key)}`
    return `Run "${this.id}" takes no answer${which}: ${this.reason} (waiting: ${
      this.waiting.length === 0 ? "nothing" : this.waiting.join(", ")
    })`
  }
}

/**
 * The key has an answer already (for the prompt now waiting).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.AlreadyAnswered({ id: "essay-1", key: "essay/review#1/approval#1" })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class AlreadyAnswered extends Schema.TaggedError<AlreadyAnswered>()("AlreadyAnswered", {
  id: Schema.String,
  key: Schema.String
}) {
  override get message(): string {
    return `Run "${this.id}": ${this.key} has an answer already`
  }
}

/**
 * Nobody answered `input` before the deadline given to `ask`.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const e = new Errors.InputTimeout({ id: "essay-1", key: "essay/review#1/approval#1", input: "approval" })
 * ```
 * @category errors
 * @stability stable
 * @since 0.2.0
 */
export class InputTimeout extends Schema.TaggedError<InputTimeout>()("InputTimeout", {
  id: Schema.String,
  key: Schema.String,
  input: Schema.String
}) {
  override get message(): string {
    return `Run "${this.id}": no answer to ${this.input} (${this.key}) before its deadline`
  }
}

/**
 * An agent (`Agent.make`) asked the model `maxTurns` times and the model still called tools instead of answering.
 * A `Schema.TaggedError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.AgentTurnsExceeded({ agent: "assistant", maxTurns: 10 })).pipe(
 *   Effect.catchTag("AgentTurnsExceeded", (e) => Effect.succeed(`${e.agent} gave up after ${e.maxTurns} turns`))
 * )
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export class AgentTurnsExceeded extends Schema.TaggedError<AgentTurnsExceeded>()("AgentTurnsExceeded", {
  agent: Schema.String,
  maxTurns: Schema.Number
}) {
  override get message(): string {
    return `Agent "${this.agent}" made ${this.maxTurns} model calls (maxTurns) without an answer`
  }
}

/**
 * A structured node (`Node.structured`) could not get an object its schema decodes: the model's last reply `text`
 * did not decode (`error` says why), after the first ask and `repair` re-asks. A `Schema.TaggedError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new Errors.StructuredOutputFailed({ node: "extract", text: "{", error: "bad JSON" })).pipe(
 *   Effect.catchTag("StructuredOutputFailed", (e) => Effect.succeed(e.text))
 * )
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export class StructuredOutputFailed extends Schema.TaggedError<StructuredOutputFailed>()("StructuredOutputFailed", {
  node: Schema.String,
  /** The model's last reply. */
  text: Schema.String,
  /** Why it did not decode. */
  error: Schema.String
}) {
  override get message(): string {
    return `Node "${this.node}" got no valid structured output: ${this.error}`
  }
}
