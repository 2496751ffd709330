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
 * @since 0.1.0
 */
export type FlowError = MaxStepsExceeded
