/**
 * Runtime representation shared by nodes, batch nodes, flows and batch flows.
 *
 * A node is an immutable value: its whole program is built once, when the node is made, and every
 * run (in any number of flows, concurrently) executes that same program.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import { NodeTimeout } from "../Errors.ts"
import type { Anatomy } from "./graph.ts"
import { fallbackUsed, type Observation, retryScheduled } from "./observe.ts"

export const TypeId = "~effect-pocketflow/Node" as const

/** What kind of node a value is, for rendering and events. */
export type Kind = "node" | "batch" | "flow" | "batch-flow"

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
  readonly maxSteps: number | undefined
}

const normalize = (action: string | void): string => (action === undefined ? "default" : action)

const NodeProto = Effectable.Prototype<AnyNode>({
  label: "PocketFlowNode",
  evaluate() {
    return Effect.map(this.raw, normalize)
  }
})

export const isNode = (u: unknown): u is AnyNode =>
  typeof u === "object" && u !== null && (u as { [TypeId]?: unknown })[TypeId] === TypeId

export const makeNode = (
  name: string,
  kind: Kind,
  raw: Effect.Effect<string | void, unknown, unknown>,
  info: Info,
  instrument?: (observation: Observation) => Effect.Effect<string | void, unknown, unknown>
): AnyNode => {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`A ${kind} needs a non-empty "name" (got ${JSON.stringify(name)})`)
  }
  const node = Object.create(NodeProto)
  node[TypeId] = TypeId
  node.name = name
  node.kind = kind
  node.raw = raw
  node.info = info
  node.instrument = instrument
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
  readonly timeout?: Duration.Input | undefined
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

export const isIterable = (u: unknown): u is Iterable<unknown> =>
  typeof u === "string" ||
  (typeof u === "object" && u !== null && typeof (u as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function")
