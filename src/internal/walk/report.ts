/**
 * Reporting a walk: the places of observed nodes (an `Observation` plus what a loop keeps between visits), the events
 * for a subscriber and the spans for a tracer. The observed host and the durable host (`Durable.events`) report
 * through these same hooks, so both emit the same events in the same order.
 */
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { ctors, type FlowEvent } from "../events.ts"
import { type AnyFlow, type AnyNode, toAction } from "../node.ts"
import { type Backlog, CurrentObservation, type Observation } from "../observation.ts"
import { SUSPENDED, type Suspended } from "./host.ts"

/** An observation as a place of the walk, with what it keeps between the steps of a loop. */
export interface Place extends Observation {
  /** The name of the node this one runs in (a span's `pocketflow.flow`); undefined for the root. */
  readonly parent: string | undefined
  /** The places of this node's children, made on their first visit: a loop visits the same few nodes again. */
  children: Map<AnyNode, Place> | undefined
  /** `NodeStarted` for this place: an immutable event, the same on every visit. */
  started: FlowEvent | undefined
  /** The `Transition` events from this place, by action (immutable, the same every time that edge is taken). */
  transitions: Map<string, Extract<FlowEvent, { readonly _tag: "Transition" }>> | undefined
  /** The last of them. */
  transition: Extract<FlowEvent, { readonly _tag: "Transition" }> | undefined
  /** When the node in this place started (monotonic nanos), and the context it ran in before. */
  startedAt: bigint
  outer: Context.Context<never> | undefined
  inner: Context.Context<never> | undefined
}

/** The place of a run's root. */
/** Every place is made here, so all of them share one shape (the hooks read them on every step). */
const make = (
  o: Omit<Observation, "owner" | "path" | "runs"> & Pick<Observation, "owner">,
  path: string,
  runs: ReadonlyArray<number>,
  parent: string | undefined
): Place => ({
  emit: o.emit,
  spans: o.spans,
  clock: o.clock,
  owner: o.owner,
  path,
  runs,
  item: o.item,
  parent,
  children: undefined,
  started: undefined,
  transitions: undefined,
  transition: undefined,
  startedAt: 0n,
  outer: undefined,
  inner: undefined
})

/** The place of a run's root (or of the node observed by `o`). */
export const place = (o: Observation, parent?: string): Place => make(o, o.path, o.runs, parent)

/** The place of `node` run as a child of the node at `parent`. */
export const childOf = (parent: Place, node: AnyNode, runs: ReadonlyArray<number>): Place =>
  make(
    { emit: parent.emit, spans: parent.spans, clock: parent.clock, owner: node, item: undefined },
    `${parent.path}/${node.name}`,
    runs,
    parent.owner.name
  )

export const cached = (parent: Place, node: AnyNode): Place => {
  let children = parent.children
  if (children === undefined) parent.children = children = new Map()
  let child = children.get(node)
  if (child === undefined) children.set(node, child = childOf(parent, node, parent.runs))
  return child
}

// Durations come from the monotonic clock: a wall clock may jump, and it costs twice as much to read.
const elapsed = (p: Place): Duration.Duration => Duration.nanos(p.clock.monotonicTimeNanosUnsafe() - p.startedAt)

/**
 * The reporting hooks, shared by the observed and the durable host: events to `emit` and, with `context`, a plain
 * node's observation in the fiber's context while it runs (the durable host provides it inside the step's own fiber).
 */
export const reporting = (context: boolean) => ({
  started: (node: AnyNode, p: Place, fiber: Fiber.Fiber<unknown, unknown>, mark?: unknown): void => {
    if (context && node.def._tag === "Step") {
      const prev = fiber.context
      if (prev !== p.outer) {
        p.outer = prev
        p.inner = Context.add(prev, CurrentObservation, p)
      }
      fiber.setContext(p.inner!)
    }
    if (p.emit !== undefined) {
      p.emit(p.started ??= { path: p.path, runs: p.runs, node: node.name, kind: node.kind, _tag: "NodeStarted" })
    }
    // One clock reading serves as the end of a loop's step and the start of the next: a reading costs about a tenth
    // of an observed step.
    p.startedAt = typeof mark === "bigint" ? mark : p.clock.monotonicTimeNanosUnsafe()
  },
  finished: (node: AnyNode, p: Place, action: string, fiber: Fiber.Fiber<unknown, unknown>): bigint => {
    if (context && node.def._tag === "Step" && p.outer !== undefined) fiber.setContext(p.outer)
    const now = p.clock.monotonicTimeNanosUnsafe()
    const { kind, name } = node
    const duration = Duration.nanos(now - p.startedAt)
    p.emit?.({ path: p.path, runs: p.runs, node: name, kind, action, duration, _tag: "NodeFinished" })
    return now
  },
  failed: (node: AnyNode, p: Place, cause: Cause.Cause<unknown>, fiber: Fiber.Fiber<unknown, unknown>): void => {
    if (context && node.def._tag === "Step" && p.outer !== undefined) fiber.setContext(p.outer)
    const { kind, name } = node
    p.emit?.({ path: p.path, runs: p.runs, node: name, kind, cause, duration: elapsed(p), _tag: "NodeFailed" })
  },
  flow: (flow: AnyFlow, p: Place, body: Effect.Effect<string | Suspended, unknown, unknown>) => {
    const emit = p.emit
    if (emit === undefined) return body
    const { clock, path, runs } = p
    const name = flow.name
    return Effect.suspend(() => {
      emit(ctors.FlowStarted({ path, runs, flow: name }))
      const start = clock.monotonicTimeNanosUnsafe()
      return Effect.onExitPrimitive(body, (exit) => {
        const duration = Duration.nanos(clock.monotonicTimeNanosUnsafe() - start)
        if (Exit.isFailure(exit)) emit(ctors.FlowFailed({ path, runs, flow: name, cause: exit.cause, duration }))
        else if (exit.value !== SUSPENDED) {
          emit(ctors.FlowFinished({ path, runs, flow: name, action: exit.value, duration }))
        }
        return undefined
      })
    })
  },
  transition: (p: Place, at: Place, from: AnyNode, action: string, to: AnyNode): void => {
    const emit = p.emit
    if (emit === undefined) return
    // A loop takes the same edge again and again: the last event from this place is tried first.
    let event = at.transition
    if (event === undefined || event.action !== action) {
      let cache = at.transitions
      if (cache === undefined) at.transitions = cache = new Map()
      event = cache.get(action)
      if (event === undefined) {
        cache.set(
          action,
          event = { path: p.path, runs: p.runs, from: from.name, action, to: to.name, _tag: "Transition" }
        )
      }
      at.transition = event
    }
    emit(event)
  },
  unmatched: (p: Place, node: AnyNode, action: string, known: ReadonlyArray<string>): void => {
    p.emit?.(ctors.UnmatchedAction({ path: p.path, runs: p.runs, node: node.name, action, known }))
  },
  backlog: (p: Place): Backlog | undefined => p.emit?.backlog,
  progress: (node: AnyNode, p: Place, total: number): (() => void) | undefined => {
    const emit = p.emit
    if (emit === undefined) return undefined
    const { path, runs } = p
    let done = 0
    emit(ctors.BatchProgress({ path, runs, node: node.name, done, total }))
    return () => {
      done++
      emit(ctors.BatchProgress({ path, runs, node: node.name, done, total }))
    }
  }
})

/** Runs `self` in a span named `name`, recording its action as `pocketflow.action`. */
const inSpan = <A>(
  self: Effect.Effect<A, unknown, unknown>,
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<A, unknown, unknown> =>
  Effect.useSpan(name, { attributes }, (span) =>
    Effect.withParentSpan(
      Effect.map(self, (result) => {
        if (result !== SUSPENDED) span.attribute("pocketflow.action", toAction(result))
        return result
      }),
      span,
      { captureStackTrace: false }
    ))

export const spanOf = <A>(node: AnyNode, p: Place, body: Effect.Effect<A, unknown, unknown>, index?: number) => {
  if (!p.spans) return body
  if (index !== undefined) {
    const attributes = {
      "pocketflow.node": node.name,
      "pocketflow.kind": "batch-run",
      "pocketflow.path": p.path,
      "pocketflow.index": index
    }
    return Effect.withSpan(body, `${node.name}[${index}]`, { attributes, captureStackTrace: false })
  }
  const attributes: Record<string, unknown> = {
    "pocketflow.node": node.name,
    "pocketflow.kind": node.kind,
    "pocketflow.path": p.path
  }
  if (p.parent !== undefined) attributes["pocketflow.flow"] = p.parent
  if (p.runs.length > 0) attributes["pocketflow.runs"] = p.runs.join(".")
  if (node.kind === "node") attributes["pocketflow.attempt"] = 1
  return inSpan(body, node.name, attributes)
}
