/**
 * Runtime representation shared by nodes, batch nodes, flows and batch flows.
 *
 * A node is an immutable value: its whole program is built once, when the node is made, and every
 * run (in any number of flows, concurrently) executes that same program.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import { NodeTimeout } from "../Errors.ts"
import type { Anatomy } from "./graph.ts"
import { fallbackUsed, type Observation, retryScheduled } from "./observe.ts"

export const TypeId = "~effect-pocketflow/Node" as const

/** What kind of node a value is, for rendering and events. */
export type Kind = "node" | "batch" | "flow" | "batch-flow" | "parallel"

/** Untyped view of any node, used by the runtime. */
export interface AnyNode extends Effect.Effect<string, unknown, unknown> {
  readonly [TypeId]: typeof TypeId
  readonly name: string
  readonly kind: Kind
  /**
   * The node's run, returning its action or `undefined` for "default". Flows call this directly to
   * skip the normalising `map` that the public Effect view adds.
   */
  readonly raw: Effect.Effect<string | void, unknown, unknown>
  /** Children for rendering: a flow's graph, a batch flow's inner flow. */
  readonly info: Info
  /**
   * The node's observed run (events, spans), used instead of `raw` only when someone observes the run.
   * Nodes without one run `raw` with the observation in context.
   */
  readonly instrument: ((observation: Observation) => Effect.Effect<string | void, unknown, unknown>) | undefined
}

/** Static facts about a node, read by `Flow.toMermaid` and by event producers. */
export interface Info {
  readonly concurrency?: number | "unbounded" | undefined
  /** For a batch flow: the flow (or node) it runs once per parameter set. */
  readonly inner?: AnyNode | undefined
  /** For a flow: its start node and its edges. */
  readonly graph?: Graph | undefined
  /** The parts a durable walk runs one by one. */
  readonly anatomy?: Anatomy | undefined
}

export interface Graph {
  readonly start: AnyNode
  readonly edges: ReadonlyMap<AnyNode, ReadonlyMap<string, AnyNode>>
  /** Actions declared with `Flow.end`: taking one ends the flow without a warning. */
  readonly exits: ReadonlyMap<AnyNode, ReadonlySet<string>>
  readonly maxSteps: number | undefined
}

/**
 * The one place that turns a post result into an action: anything but a non-empty string means
 * `"default"`. Some Effect 4 APIs typed `Effect<void>` succeed with a value (`Ref.set` returns the
 * ref's cell), so `undefined` is not the only "nothing" a post can return.
 */
export const toAction = (result: unknown): string =>
  typeof result === "string" && result.length > 0 ? result : "default"

export const NodeProto = Effectable.Prototype<AnyNode>({
  label: "PocketFlowNode",
  evaluate() {
    return (this as AnyNode & { view?: Effect.Effect<string, unknown, unknown> }).view ??= viewOf(this)
  }
})

/**
 * The node as a plain Effect (`yield* node`, `Node.run`), built once per node: its action normalised,
 * and `CurrentAttempt` reset to 1 when the node is yielded from inside a retrying exec.
 */
const viewOf = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
  const run = Effect.map(node.raw, toAction)
  const fresh = Effect.provideService(run, CurrentAttempt, 1)
  return Effect.withFiber((fiber) => fiber.getRef(CurrentAttempt) === 1 ? run : fresh)
}

export const isNode = (u: unknown): u is AnyNode =>
  typeof u === "object" && u !== null && (u as { [TypeId]?: unknown })[TypeId] === TypeId

export const makeNode = (
  name: string,
  kind: Kind,
  raw: Effect.Effect<string | void, unknown, unknown>,
  info: Info,
  instrument?: (observation: Observation) => Effect.Effect<string | void, unknown, unknown>,
  proto: object = NodeProto
): AnyNode => {
  checkName(kind, name)
  const node = Object.create(proto)
  node[TypeId] = TypeId
  node.name = name
  node.kind = kind
  node.raw = raw
  node.info = info
  node.instrument = instrument
  node.view = undefined
  return node
}

// ---------------------------------------------------------------------------------------------------
// exec policy: retry, timeout, fallback
// ---------------------------------------------------------------------------------------------------

/** The attempt number seen by `exec`: 1 on the first attempt. */
export const CurrentAttempt = Context.Reference<number>("effect-pocketflow/Node/CurrentAttempt", {
  defaultValue: () => 1
})

export type RetryOptions =
  | Schedule.Schedule<unknown, any, never, never>
  | {
    readonly times?: number | undefined
    readonly schedule?: Schedule.Schedule<unknown, any, never, never> | undefined
    readonly while?: ((error: any) => boolean) | undefined
  }

export interface Policy {
  readonly node: string
  readonly retry?: RetryOptions | undefined
  /** Already checked by `checkTimeout`. */
  readonly timeout?: Duration.Duration | undefined
  readonly fallback?: ((input: any, error: any) => Effect.Effect<any, any, any>) | undefined
}

const toSchedule = (retry: RetryOptions): Schedule.Schedule<unknown, any, never, never> => {
  if (Schedule.isSchedule(retry)) return retry as Schedule.Schedule<unknown, any, never, never>
  let schedule: Schedule.Schedule<unknown, any, never, never> = retry.schedule ?? Schedule.forever
  const times = retry.times
  if (times !== undefined) {
    schedule = Schedule.while(schedule, ({ attempt }) => attempt <= times)
  }
  const predicate = retry.while
  if (predicate !== undefined) {
    schedule = Schedule.while(schedule, ({ input }) => predicate(input))
  }
  return schedule
}

/**
 * Wraps `exec` with the node's policy. Without a policy the function is returned as is, so a plain
 * node pays nothing for features it does not use.
 */
export const withPolicy = <I>(
  exec: (input: I) => Effect.Effect<unknown, unknown, unknown>,
  policy: Policy
): (input: I) => Effect.Effect<unknown, unknown, unknown> => {
  const { fallback, node, retry, timeout } = policy
  const timed = timeout === undefined ? exec : (input: I) =>
    Effect.timeoutOrElse(exec(input), {
      duration: timeout,
      orElse: () => Effect.fail(new NodeTimeout({ node, timeout }))
    })
  // The observation hooks sit on the failure path only: a successful attempt pays nothing for them.
  const recover = fallback === undefined
    ? (_input: I, error: unknown) => Effect.fail(error)
    : (input: I, error: unknown) => Effect.andThen(fallbackUsed(node, error), fallback(input, error))
  if (retry === undefined) {
    return fallback === undefined ? timed : (input) => Effect.catch(timed(input), (error) => recover(input, error))
  }
  const schedule = toSchedule(retry)
  return (input) =>
    Effect.flatMap(Schedule.toStep(schedule), (step) => {
      const attempt = (n: number): Effect.Effect<unknown, unknown, unknown> =>
        Effect.catch(
          Effect.provideService(timed(input), CurrentAttempt, n),
          (error) =>
            Effect.flatMap(
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Pull.catchDone(
                  Effect.map(step(now, error), ([, delay]) => delay as Duration.Duration | undefined),
                  () => Effect.succeed(undefined)
                )),
              (delay) =>
                delay === undefined
                  ? recover(input, error)
                  : Effect.andThen(
                    retryScheduled(node, n, error, delay),
                    Effect.andThen(Effect.sleep(delay), Effect.suspend(() => attempt(n + 1)))
                  )
            )
        )
      return attempt(1)
    })
}

/** A short description of a value for error messages. */
export const describe = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "array" : typeof u === "object" ? `object ${String(u)}` : typeof u

/**
 * Batch items: any iterable object. A string is refused: it is iterable, but a batch over its
 * characters is almost always a missing `[ ]`.
 */
export const isIterable = (u: unknown): u is Iterable<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"

// ---------------------------------------------------------------------------------------------------
// option checks: run when a node or flow is made, so a mistake fails at its source
// ---------------------------------------------------------------------------------------------------

/** What a value is, for "got …" in messages: the value itself when it is short. */
export const received = (u: unknown): string => {
  if (u === undefined) return "undefined"
  if (u === null) return "null"
  if (typeof u === "string") return u.length > 40 ? `the string ${JSON.stringify(u.slice(0, 40))}…` : JSON.stringify(u)
  if (typeof u === "number" || typeof u === "boolean" || typeof u === "bigint") return String(u)
  if (typeof u === "function") return "a function"
  if (typeof u === "symbol") return "a symbol"
  if (isNode(u)) return `the ${u.kind} ${JSON.stringify(u.name)}`
  if (Effect.isEffect(u)) return "an Effect"
  if (Schedule.isSchedule(u)) return "a Schedule"
  if (Array.isArray(u)) return `an array of ${u.length}`
  const keys = Object.keys(u)
  return keys.length === 0 ? "{}" : `an object with keys ${keys.join(", ")}`
}

const titles: Record<Kind | "flow-batch", string> = {
  node: "Node",
  batch: "Batch node",
  flow: "Flow",
  "batch-flow": "Batch flow",
  parallel: "Parallel block",
  "flow-batch": "Batch flow"
}

/** `Node "ask"`: the subject of a message. */
export const subject = (kind: Kind, name: unknown): string => `${titles[kind]} ${JSON.stringify(String(name))}`

export const checkName = (kind: Kind, name: unknown): void => {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`${titles[kind]}: option "name" must be a non-empty string; got ${received(name)}`)
  }
}

export const checkFunction = (kind: Kind, name: string, option: string, value: unknown, required: boolean): void => {
  if (value === undefined && !required) return
  if (typeof value !== "function") {
    throw new TypeError(`${subject(kind, name)}: option "${option}" must be a function; got ${received(value)}`)
  }
}

export const checkEffect = (kind: Kind, name: string, option: string, value: unknown, required: boolean): void => {
  if (value === undefined && !required) return
  if (!Effect.isEffect(value)) {
    const hint = typeof value === "function"
      ? ` (${option} is an Effect run once per node run, not a function: e.g. ${option}: Store.get)`
      : ""
    throw new TypeError(`${subject(kind, name)}: option "${option}" must be an Effect${hint}; got ${received(value)}`)
  }
}

/** A node, flow or batch flow: what a flow can run. */
export const checkNode = (kind: Kind, name: string, option: string, value: unknown): AnyNode => {
  if (!isNode(value)) {
    const hint = Effect.isEffect(value) ? " (wrap a plain Effect in Node.make({ name, exec: () => effect }))" : ""
    throw new TypeError(
      `${subject(kind, name)}: ${option} must be a node (Node.make, Node.batch, Flow.make, Flow.batch or Flow.parallel)${hint}; ` +
        `got ${received(value)}`
    )
  }
  return value
}

/** Checks a `timeout` and decodes it once, so each attempt does not parse it again. */
export const checkTimeout = (kind: Kind, name: string, value: unknown): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const expected = `must be a finite positive duration (e.g. "30 seconds", 5000 for millis, Duration.seconds(30))`
  const decoded = typeof value === "number" && Number.isNaN(value) ? undefined : Duration.fromInput(value as Duration.Input)
  if (decoded === undefined || decoded._tag === "None") {
    const error = typeof value === "number" ? RangeError : TypeError
    throw new error(`${subject(kind, name)}: option "timeout" ${expected}; got ${received(value)}`)
  }
  const duration = decoded.value
  if (!Duration.isFinite(duration) || !Duration.isGreaterThan(duration, Duration.zero)) {
    throw new RangeError(`${subject(kind, name)}: option "timeout" ${expected}; got ${received(value)}`)
  }
  return duration
}

export const checkConcurrency = (kind: Kind, name: string, value: unknown): number | "unbounded" => {
  if (value === undefined) return 1
  if (value === "unbounded") return value
  const expected = `must be a positive integer or "unbounded"`
  if (typeof value !== "number") {
    throw new TypeError(`${subject(kind, name)}: option "concurrency" ${expected}; got ${received(value)}`)
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${subject(kind, name)}: option "concurrency" ${expected}; got ${received(value)}`)
  }
  return value
}

const retryKeys = new Set(["times", "schedule", "while"])

export const checkRetry = (kind: Kind, name: string, value: unknown): RetryOptions | undefined => {
  if (value === undefined || Schedule.isSchedule(value)) return value as RetryOptions | undefined
  const forms = `must be a Schedule or { times?, schedule?, while? } with times a non-negative integer ` +
    `(retries after the first attempt: PocketFlow's max_retries=3 is { times: 2 })`
  const fail = (error: new(message: string) => Error, what: string) => {
    throw new error(`${subject(kind, name)}: option "retry" ${forms}; got ${what}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || Effect.isEffect(value)) {
    return fail(TypeError, received(value))
  }
  const unknown = Object.keys(value).filter((key) => !retryKeys.has(key))
  if (unknown.length > 0) return fail(TypeError, `${received(value)} (unknown: ${unknown.join(", ")})`)
  const { schedule, times, while: predicate } = value as Record<string, unknown>
  if (times !== undefined) {
    if (typeof times !== "number") return fail(TypeError, `times: ${received(times)}`)
    if (!Number.isInteger(times) || times < 0) return fail(RangeError, `times: ${received(times)}`)
  }
  if (schedule !== undefined && !Schedule.isSchedule(schedule)) return fail(TypeError, `schedule: ${received(schedule)}`)
  if (predicate !== undefined && typeof predicate !== "function") return fail(TypeError, `while: ${received(predicate)}`)
  return value as RetryOptions
}
