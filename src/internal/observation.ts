/**
 * What an observed run knows about where it is and who listens, and the hooks that code deep inside a node (a retry
 * policy, `Flow.emit`) uses to report to it. The fast path never touches this: a run reads `CurrentObservation` once,
 * and when nobody observes it runs its plain program.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import { ctors, type FlowEvent } from "./events.ts"
import type { AnyNode } from "./node.ts"

/**
 * The events a subscriber with the `"suspend"` strategy has not found room for yet (see `subscriber.ts`). The run
 * waits on `wait` where it can — before a flow's next step, a fan-out's next child, after a `Flow.emit` — when
 * `behind` is set.
 */
export interface Backlog {
  /** Whether events wait for room in the subscriber's buffer. */
  behind: boolean
  /** Waits until every waiting event is in the buffer. */
  readonly wait: Effect.Effect<void>
}

/** Delivers an event to a subscriber; `backlog` when a full buffer makes the run wait. */
export interface Emit {
  (event: FlowEvent): void
  readonly backlog?: Backlog | undefined
}

/** Where an observed node runs and who listens: the place of the observed walk host. */
export interface Observation {
  /** Delivers an event to the subscriber of `Flow.events`; `undefined` when only tracing. */
  readonly emit: Emit | undefined
  /** Whether to open spans (a tracer other than Effect's default one is installed). */
  readonly spans: boolean
  readonly clock: Clock.Clock
  /** The node `path` belongs to. */
  readonly owner: AnyNode
  /** `/`-separated names from the root down to `owner`. */
  readonly path: string
  /** The run index in each enclosing batch flow. */
  readonly runs: ReadonlyArray<number>
  /** The item index when running one item of a batch node. */
  readonly item: number | undefined
}

/** The observation of the running node; `undefined` (the default) when nobody observes. */
export const CurrentObservation = Context.Reference<Observation | undefined>("effect-pocketflow/Observation", {
  defaultValue: () => undefined
})

/**
 * Spans are opened only when tracing is enabled and a tracer other than Effect's built-in in-memory
 * one is installed: the built-in tracer exports nothing, and a span costs about as much as a step.
 */
export const spansWanted = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(References.TracerEnabled) && fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

/** The observation of a run's root node. */
export const root = (
  fiber: Fiber.Fiber<unknown, unknown>,
  node: AnyNode,
  emit: Emit | undefined,
  spans: boolean = spansWanted(fiber)
): Observation => ({
  emit,
  spans,
  clock: fiber.getRef(Clock.Clock),
  owner: node,
  path: node.name,
  runs: [],
  item: undefined
})

/** The observation of `node` run as a child of `parent`. */
export const child = (parent: Observation, node: AnyNode, runs: ReadonlyArray<number> = parent.runs): Observation => ({
  emit: parent.emit,
  spans: parent.spans,
  clock: parent.clock,
  owner: node,
  path: `${parent.path}/${node.name}`,
  runs,
  item: undefined
})

/** The path of the node named `node` in the running observation (it may be run inside another node). */
const pathOf = (o: Observation, node: string) => o.owner.name === node ? o.path : `${o.path}/${node}`

/** Called by a node's retry policy when an attempt failed and another one is scheduled. */
export const retryScheduled = (
  node: string,
  attempt: number,
  error: unknown,
  delay: Duration.Duration
): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const o = fiber.getRef(CurrentObservation)
    if (o === undefined) return Effect.void
    const path = pathOf(o, node)
    o.emit?.(ctors.RetryScheduled({ path, runs: o.runs, node, item: o.item, attempt, error, delay }))
    return o.spans ? Effect.annotateCurrentSpan("pocketflow.attempt", attempt + 1) : Effect.void
  })

/** Called by a node's policy when its fallback replaces exec's result. */
export const fallbackUsed = (node: string, error: unknown): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const o = fiber.getRef(CurrentObservation)
    if (o === undefined) return Effect.void
    o.emit?.(ctors.FallbackUsed({ path: pathOf(o, node), runs: o.runs, node, item: o.item, error }))
    return o.spans ? Effect.annotateCurrentSpan("pocketflow.fallback", true) : Effect.void
  })

/** Called by a node's cache when a stored result replaces exec. */
export const cacheHit = (node: string, key: string): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const o = fiber.getRef(CurrentObservation)
    if (o === undefined) return Effect.void
    const runs = o.item === undefined ? o.runs : [...o.runs, o.item]
    o.emit?.(ctors.CacheHit({ path: pathOf(o, node), runs, node, key }))
    return o.spans ? Effect.annotateCurrentSpan("pocketflow.cache", "hit") : Effect.void
  })

/**
 * How many runs with an event subscriber (`Flow.events` runs, `Durable.events` steps) are in progress in this
 * process: while none is, `Flow.emit` need not look for an observation. Each counts itself from before its first
 * node starts until it ends, so an emit inside one always looks.
 */
let subscribed = 0

/** Runs `self`, a run with an event subscriber, counted in `subscribed`. */
export const subscribing = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    subscribed++
    return Effect.onExitPrimitive(self, () => {
      subscribed--
      return undefined
    })
  })

/**
 * `Flow.emit`: a `Custom` event for the subscriber of the running observation, if there is one. One step that, with
 * no subscriber anywhere, reads one counter and returns; otherwise it reads the running fiber's observation (absent
 * unless this run is observed), and waits when the subscriber's buffer is full (`"suspend"`): a node that emits a
 * token at a time goes no faster than its subscriber reads.
 */
export const emitCustom = (data: unknown): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (subscribed === 0) return Effect.void
    const o = Fiber.getCurrent()?.getRef(CurrentObservation)
    const emit = o?.emit
    if (emit === undefined) return Effect.void
    const node = o!.owner.name
    emit(ctors.Custom({ path: o!.path, runs: o!.item === undefined ? o!.runs : [...o!.runs, o!.item], node, data }))
    const backlog = emit.backlog
    return backlog !== undefined && backlog.behind ? backlog.wait : Effect.void
  })
