/**
 * Observation of flow runs: events for `Flow.events` and spans for tracers.
 *
 * The fast path never touches this module: a flow reads `CurrentObservation` (and whether a real
 * tracer is installed) once per run, and when nobody observes it runs its plain program. Only an
 * observed run uses the instrumented programs built here, which pass the observation down to their
 * children as an argument instead of reading it again.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import * as FlowEvent from "../FlowEvent.ts"
import { type AnyNode, toAction as normalize } from "./node.ts"

/** What an observed run knows about where it is and who listens. */
export interface Observation {
  /** Delivers an event to the subscriber of `Flow.events`; `undefined` when only tracing. */
  readonly emit: ((event: FlowEvent.FlowEvent) => void) | undefined
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
  emit: ((event: FlowEvent.FlowEvent) => void) | undefined
): Observation => ({
  emit,
  spans: spansWanted(fiber),
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

// Durations come from the monotonic clock: a wall clock may jump, and it costs twice as much to read.
const elapsed = (clock: Clock.Clock, start: bigint): Duration.Duration =>
  Duration.nanos(clock.monotonicTimeNanosUnsafe() - start)

/** Runs `self` in a span named `name`, recording its action as `pocketflow.action`. */
export const inSpan = <E, R>(
  self: Effect.Effect<string | void, E, R>,
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<string | void, E, R> =>
  Effect.useSpan(name, { attributes }, (span) =>
    Effect.withParentSpan(
      Effect.map(self, (action) => {
        span.attribute("pocketflow.action", normalize(action))
        return action
      }),
      span,
      { captureStackTrace: false }
    ))

/** The span attributes of a node run. */
const attributesOf = (node: AnyNode, o: Observation, flow: string | undefined): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {
    "pocketflow.node": node.name,
    "pocketflow.kind": node.kind,
    "pocketflow.path": o.path
  }
  if (flow !== undefined) attributes["pocketflow.flow"] = flow
  if (o.runs.length > 0) attributes["pocketflow.runs"] = o.runs.join(".")
  if (node.kind === "node") attributes["pocketflow.attempt"] = 1
  return attributes
}

/** Runs a node's instrumented program, or its plain one with the observation in context. */
const program = (node: AnyNode, o: Observation): Effect.Effect<string | void, unknown, unknown> =>
  node.instrument !== undefined ? node.instrument(o) : withObservation(node.raw, o)

/**
 * `Effect.provideService(self, CurrentObservation, o)` for a program run once per step of an observed loop: the
 * context with the observation is built once for the context it extends (the loop's, the same every step), not
 * copied on every run.
 */
const withObservation = <A, E, R>(self: Effect.Effect<A, E, R>, o: Observation): Effect.Effect<A, E, R> => {
  let outer: Context.Context<never> | undefined
  let inner: Context.Context<never> | undefined
  return Effect.withFiber((fiber) => {
    const prev = fiber.context
    if (prev !== outer) {
      outer = prev
      inner = Context.add(prev, CurrentObservation, o)
    }
    fiber.setContext(inner!)
    return Effect.onExitPrimitive(self, () => {
      fiber.setContext(prev)
      return undefined
    })
  })
}

/**
 * Runs `node` as a child of the flow named `flow`: `NodeStarted`, then `NodeFinished` or
 * `NodeFailed`, inside a span. `o` is the node's own observation (see `child`).
 */
export const runNode = (
  node: AnyNode,
  o: Observation,
  flow: string | undefined
): Effect.Effect<string | void, unknown, unknown> => {
  const emit = o.emit
  let run: Effect.Effect<string | void, unknown, unknown>
  if (emit === undefined) {
    run = program(node, o)
  } else {
    const { clock, path, runs } = o
    const { instrument, kind, name, raw } = node
    // Events are built as literals here (the same shape as the `FlowEvent` constructors make): this runs for
    // every step of an observed run, and the constructors' object spread costs as much as the rest of the event.
    // `NodeStarted` is the same immutable value on every run of this program, so it is built once.
    const started: FlowEvent.FlowEvent = { path, runs, node: name, kind, _tag: "NodeStarted" }
    const finished = (start: bigint, exit: Exit.Exit<string | void, unknown>) => {
      const duration = elapsed(clock, start)
      emit(
        Exit.isSuccess(exit)
          ? { path, runs, node: name, kind, action: normalize(exit.value), duration, _tag: "NodeFinished" }
          : { path, runs, node: name, kind, cause: exit.cause, duration, _tag: "NodeFailed" }
      )
    }
    if (instrument !== undefined) {
      const inner = instrument(o)
      run = Effect.suspend(() => {
        emit(started)
        const start = clock.monotonicTimeNanosUnsafe()
        return Effect.onExitPrimitive(inner, (exit) => {
          finished(start, exit)
          return undefined
        })
      })
    } else {
      // A plain node, the common step: events and the observation in context in one primitive.
      let outer: Context.Context<never> | undefined
      let inner: Context.Context<never> | undefined
      run = Effect.withFiber((fiber) => {
        const prev = fiber.context
        if (prev !== outer) {
          outer = prev
          inner = Context.add(prev, CurrentObservation, o)
        }
        fiber.setContext(inner!)
        emit(started)
        const start = clock.monotonicTimeNanosUnsafe()
        return Effect.onExitPrimitive(raw, (exit) => {
          fiber.setContext(prev)
          finished(start, exit)
          return undefined
        })
      })
    }
  }
  return o.spans ? inSpan(run, node.name, attributesOf(node, o, flow)) : run
}

/**
 * Runs the root of an observed run: a flow reports itself with `FlowStarted` / `FlowFinished`, any
 * other node is run like a child (`NodeStarted` / `NodeFinished`).
 */
export const runRoot = (node: AnyNode, o: Observation): Effect.Effect<string | void, unknown, unknown> => {
  if (node.kind !== "flow") return runNode(node, o, undefined)
  const run = program(node, o)
  return o.spans ? inSpan(run, node.name, attributesOf(node, o, undefined)) : run
}

/**
 * Wraps a flow's body with `FlowStarted` and `FlowFinished` / `FlowFailed`.
 */
export const aroundFlow = (
  o: Observation,
  body: Effect.Effect<string | void, unknown, unknown>
): Effect.Effect<string | void, unknown, unknown> => {
  const emit = o.emit
  if (emit === undefined) return body
  const { clock, path, runs } = o
  const flow = o.owner.name
  return Effect.suspend(() => {
    emit(FlowEvent.FlowStarted({ path, runs, flow }))
    const start = clock.monotonicTimeNanosUnsafe()
    return Effect.onExitPrimitive(body, (exit) => {
      const duration = elapsed(clock, start)
      emit(
        Exit.isSuccess(exit)
          ? FlowEvent.FlowFinished({ path, runs, flow, action: normalize(exit.value), duration })
          : FlowEvent.FlowFailed({ path, runs, flow, cause: exit.cause, duration })
      )
      return undefined
    })
  })
}

/**
 * Progress reporting for a batch of `total` items or runs: emits `0/total` now and returns the
 * function to call after each one finishes.
 */
export const progress = (o: Observation, total: number): (() => void) | undefined => {
  const emit = o.emit
  if (emit === undefined) return undefined
  const { path, runs } = o
  const node = o.owner.name
  let done = 0
  emit(FlowEvent.BatchProgress({ path, runs, node, done, total }))
  return () => {
    done++
    emit(FlowEvent.BatchProgress({ path, runs, node, done, total }))
  }
}

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
    o.emit?.(FlowEvent.RetryScheduled({ path, runs: o.runs, node, item: o.item, attempt, error, delay }))
    return o.spans ? Effect.annotateCurrentSpan("pocketflow.attempt", attempt + 1) : Effect.void
  })

/** Called by a node's policy when its fallback replaces exec's result. */
export const fallbackUsed = (node: string, error: unknown): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const o = fiber.getRef(CurrentObservation)
    if (o === undefined) return Effect.void
    o.emit?.(FlowEvent.FallbackUsed({ path: pathOf(o, node), runs: o.runs, node, item: o.item, error }))
    return o.spans ? Effect.annotateCurrentSpan("pocketflow.fallback", true) : Effect.void
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
 * `Flow.emit`: a `Custom` event for the subscriber of the running observation, if there is one. One synchronous step
 * that, with no subscriber anywhere, reads one counter and returns; otherwise it reads the running fiber's
 * observation (absent unless this run is observed).
 */
export const emitCustom = (data: unknown): Effect.Effect<void> =>
  Effect.sync(() => {
    if (subscribed === 0) return
    const o = Fiber.getCurrent()?.getRef(CurrentObservation)
    if (o !== undefined && o.emit !== undefined) {
      const node = o.owner.name
      o.emit(FlowEvent.Custom({ path: o.path, runs: o.item === undefined ? o.runs : [...o.runs, o.item], node, data }))
    }
  })

/**
 * The observation a durable walk provides to one node's step, so retries, fallbacks and custom events inside it
 * reach the subscriber with the node's path.
 */
export const durableObservation = (
  emit: (event: FlowEvent.FlowEvent) => void,
  clock: Clock.Clock,
  node: AnyNode,
  path: string,
  runs: ReadonlyArray<number>
): Observation => ({
  emit,
  spans: false,
  clock,
  owner: node,
  path,
  runs,
  item: undefined
})
