/**
 * The flow runtime: follows edges from node to node in one fiber, with constant stack and memory.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { StackFrame } from "effect/References"
import { FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded } from "../Errors.ts"
import * as FlowEvent from "../FlowEvent.ts"
import {
  type AnyNode,
  checkConcurrency,
  checkEffect,
  checkFunction,
  checkName,
  checkNode,
  CurrentAttempt,
  describe,
  type Graph,
  type Info,
  isIterable,
  makeNode,
  NodeProto,
  received,
  subject,
  toAction,
  TypeId
} from "./node.ts"
import { end, type FlowAnatomy } from "./graph.ts"
import * as observe from "./observe.ts"

/** One wiring step: an edge, or (with `to` undefined) an action declared as an exit. */
interface Entry {
  readonly from: AnyNode
  readonly action: string
  readonly to: AnyNode | undefined
}

/**
 * The wiring of a flow, shared by every flow value derived from the same `Flow.make` by adding edges:
 * an append-only log plus indexes of the whole log. A flow value owns the first `length` entries, so
 * adding an edge to the newest value appends in O(1); adding one to an older value copies its prefix
 * first (branching is rare, and then it costs what wiring those edges cost).
 */
interface Wiring {
  readonly log: Array<Entry>
  /** The entries of each node: one entry, or several by action (most nodes have one edge, so no Map). */
  readonly wired: Map<AnyNode, Entry | Map<string, Entry>>
  readonly names: Map<string, AnyNode>
}

export interface FlowDef {
  readonly name: string
  readonly start: AnyNode
  readonly wiring: Wiring
  /** How many entries of `wiring.log` belong to this flow value. */
  readonly length: number
  readonly maxSteps: number | undefined
  readonly prep: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly post: ((prep: unknown, last: string) => Effect.Effect<string | void, unknown, unknown>) | undefined
}

export interface AnyFlow extends AnyNode {
  readonly def: FlowDef
  /** This flow value's edges and exits, built from its log prefix on first use and then kept. */
  readonly graph: Graph
}

const quote = (s: string) => JSON.stringify(s)

const emptyWiring = (start: AnyNode): Wiring => ({
  log: [],
  wired: new Map(),
  names: new Map([[start.name, start]])
})

/** The entry already wired for (from, action), if any. */
const wiredAt = (wiring: Wiring, from: AnyNode, action: string): Entry | undefined => {
  const wired = wiring.wired.get(from)
  return wired === undefined ? undefined : wired instanceof Map ? wired.get(action) : wired.action === action ? wired : undefined
}

const append = (wiring: Wiring, entry: Entry): void => {
  wiring.log.push(entry)
  const wired = wiring.wired.get(entry.from)
  if (wired === undefined) wiring.wired.set(entry.from, entry)
  else if (wired instanceof Map) wired.set(entry.action, entry)
  else wiring.wired.set(entry.from, new Map([[wired.action, wired], [entry.action, entry]]))
  wiring.names.set(entry.from.name, entry.from)
  if (entry.to !== undefined) wiring.names.set(entry.to.name, entry.to)
}

/** The wiring of `def` alone, to extend without touching the values that share `def.wiring`. */
const own = (def: FlowDef): Wiring => {
  if (def.length === def.wiring.log.length) return def.wiring
  const wiring = emptyWiring(def.start)
  for (let i = 0; i < def.length; i++) append(wiring, def.wiring.log[i])
  return wiring
}

/** The edges and exits of a flow value, in wiring order. */
export const materialize = (def: FlowDef): Graph => {
  const edges = new Map<AnyNode, Map<string, AnyNode>>()
  const exits = new Map<AnyNode, Set<string>>()
  for (let i = 0; i < def.length; i++) {
    const { action, from, to } = def.wiring.log[i]
    if (to === undefined) {
      let actions = exits.get(from)
      if (actions === undefined) exits.set(from, actions = new Set())
      actions.add(action)
    } else {
      let successors = edges.get(from)
      if (successors === undefined) edges.set(from, successors = new Map())
      successors.set(action, to)
    }
  }
  return { start: def.start, edges, exits, maxSteps: def.maxSteps }
}

/** Where a defect happened, kept on the die reason so outer flows can prefix their names. */
class Location extends Context.Service<Location, {
  /** Flow names from the outermost flow that saw the defect down to the node. */
  readonly path: ReadonlyArray<string>
  /** The stack frame the runtime had attached, kept under ours. */
  readonly frame: StackFrame | undefined
}>()("effect-pocketflow/Location") {}

/**
 * Names the flow and node in the defects of a failed run. A die reason keeps its defect and gets a
 * `Cause.StackTrace` frame (what `Cause.pretty` prints) saying `node "x" in flow "outer/inner"`. An
 * `InvalidBatchItems` raised by a direct child does not know its flow yet: the innermost flow fills it in.
 */
export const locate = (flow: string, node: AnyNode) => (cause: Cause.Cause<unknown>) => {
  let changed = false
  const reasons = cause.reasons.map((reason) => {
    if (!Cause.isDieReason(reason)) return reason
    changed = true
    let die = reason
    if (die.defect instanceof InvalidBatchItems && die.defect.flow === undefined) {
      die = Cause.makeDieReason(new InvalidBatchItems({ ...die.defect, flow })).annotate(
        Context.makeUnsafe(die.annotations)
      )
    }
    const inner = die.annotations.get(Location.key) as Location["Service"] | undefined
    const path = inner === undefined
      ? [flow, node.name]
      : inner.path[0] === node.name
      ? [flow, ...inner.path]
      : [flow, node.name, ...inner.path]
    const parent = inner === undefined ? die.annotations.get(Cause.StackTrace.key) as StackFrame | undefined : inner.frame
    const frame: StackFrame = {
      name: `node ${quote(path[path.length - 1])} in flow ${quote(path.slice(0, -1).join("/"))}`,
      stack: () => undefined,
      parent
    }
    return die.annotate(Context.make(Location, { path, frame: parent }).pipe(Context.add(Cause.StackTrace, frame)), {
      overwrite: true
    })
  })
  return Effect.failCause(changed ? Cause.fromReasons(reasons) : cause)
}

const loop = (flow: AnyFlow): Effect.Effect<string, unknown, unknown> => {
  const { maxSteps, name, start } = flow.def
  // Built on the flow's first run (see `FlowInfo`), so reading the graph here costs nothing per run.
  const { edges, exits } = flow.graph
  return Effect.suspend(() => {
    // `steps === maxSteps` never holds when maxSteps is undefined, so one loop serves both cases.
    let steps = 0
    let current = start
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      current = node
      return Effect.flatMap(node.raw, (result) => {
        const action = toAction(result)
        const successors = edges.get(node)
        const next = successors?.get(action)
        return next !== undefined ? step(next) : end(name, node, action, successors, exits)
      })
    }
    return Effect.catchCause(step(start), (cause) => locate(name, current)(cause))
  })
}

/**
 * The observed loop: the same walk as `loop`, with each node run through `observe.runNode` (events,
 * span) and each transition reported. Only used when someone observes the run.
 */
const observedLoop = (flow: AnyFlow, o: observe.Observation): Effect.Effect<string, unknown, unknown> => {
  const { maxSteps, name, start } = flow.def
  const { emit, path, runs } = o
  const { edges, exits } = flow.graph
  return Effect.suspend(() => {
    let steps = 0
    let current = start
    // Each node's observed step (its program and what follows it), built on its first visit in this run: a loop
    // revisits the same few nodes, and building the child observation (a path string), its program and its
    // transition events on every step cost more than running them. Events are immutable, so one value serves
    // every step that takes the same edge.
    const programs = new Map<AnyNode, Effect.Effect<string, unknown, unknown>>()
    const programOf = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      const successors = edges.get(node)
      const transitions = new Map<string, FlowEvent.FlowEvent>()
      return Effect.flatMap(observe.runNode(node, observe.child(o, node), name), (result) => {
        const action = toAction(result)
        const next = successors?.get(action)
        if (next !== undefined) {
          if (emit !== undefined) {
            let event = transitions.get(action)
            if (event === undefined) {
              transitions.set(action, event = { path, runs, from: node.name, action, to: next.name, _tag: "Transition" })
            }
            emit(event)
          }
          return step(next)
        }
        if (successors !== undefined && exits.get(node)?.has(action) !== true) {
          emit?.(FlowEvent.UnmatchedAction({ path, runs, node: node.name, action, known: Array.from(successors.keys()) }))
        }
        return end(name, node, action, successors, exits)
      })
    }
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      current = node
      let program = programs.get(node)
      if (program === undefined) programs.set(node, program = programOf(node))
      return program
    }
    return Effect.catchCause(step(start), (cause) => locate(name, current)(cause))
  })
}

/** One node of a subscribed loop, prepared on its first visit in a run. */
interface Slot {
  readonly node: AnyNode
  /** The loop's context, with the node's observation for a plain node (a composite one passes it itself). */
  readonly context: Context.Context<never>
  readonly started: FlowEvent.FlowEvent
  readonly path: string
  /** The node's program followed by the loop's next step. */
  run: Effect.Effect<string, unknown, unknown>
}

/**
 * The loop with a subscriber and no spans, the common observed run: the same walk and events as `observedLoop`, with
 * the per-node bookkeeping done by the loop itself instead of a wrapper around each node. A step puts its node's
 * observation in the fiber's context and emits `NodeStarted`; the step's continuation emits `NodeFinished`, puts the
 * loop's context back and goes on; one exit handler for the whole loop reports the node that failed or was
 * interrupted (`NodeFailed`) and restores the context. A step of the plain loop costs a few primitives, so the two
 * primitives and three allocations a wrapper adds per step would double it.
 */
const subscribedLoop = (
  flow: AnyFlow,
  o: observe.Observation,
  emit: (event: FlowEvent.FlowEvent) => void
): Effect.Effect<string, unknown, unknown> => {
  const { maxSteps, name, start } = flow.def
  const { clock, path, runs } = o
  const { edges, exits } = flow.graph
  return Effect.withFiber((fiber) => {
    const base = fiber.context
    let steps = 0
    let current = start
    // The node running now (undefined between steps) and when it started.
    let running: Slot | undefined
    let startedAt = 0n
    const slots = new Map<AnyNode, Slot>()
    const slotOf = (node: AnyNode): Slot => {
      const co = observe.child(o, node)
      const { instrument, kind } = node
      const slot: Slot = {
        node,
        context: instrument === undefined ? Context.add(base, observe.CurrentObservation, co) : base,
        started: { path: co.path, runs, node: node.name, kind, _tag: "NodeStarted" },
        path: co.path,
        run: Effect.void as never
      }
      const successors = edges.get(node)
      const transitions = new Map<string, FlowEvent.FlowEvent>()
      slot.run = Effect.flatMap(instrument === undefined ? node.raw : instrument(co), (result) => {
        const action = toAction(result)
        const duration = Duration.nanos(clock.monotonicTimeNanosUnsafe() - startedAt)
        running = undefined
        fiber.setContext(base)
        emit({ path: co.path, runs, node: node.name, kind, action, duration, _tag: "NodeFinished" })
        const next = successors?.get(action)
        if (next !== undefined) {
          let event = transitions.get(action)
          if (event === undefined) {
            transitions.set(action, event = { path, runs, from: node.name, action, to: next.name, _tag: "Transition" })
          }
          emit(event)
          return step(next)
        }
        if (successors !== undefined && exits.get(node)?.has(action) !== true) {
          emit(FlowEvent.UnmatchedAction({ path, runs, node: node.name, action, known: Array.from(successors.keys()) }))
        }
        return end(name, node, action, successors, exits)
      })
      slots.set(node, slot)
      return slot
    }
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      current = node
      const slot = slots.get(node) ?? slotOf(node)
      running = slot
      fiber.setContext(slot.context)
      emit(slot.started)
      startedAt = clock.monotonicTimeNanosUnsafe()
      return slot.run
    }
    const walk = Effect.onExitPrimitive(Effect.suspend(() => step(start)), (exit) => {
      fiber.setContext(base)
      const slot = running
      if (slot !== undefined && Exit.isFailure(exit)) {
        running = undefined
        const duration = Duration.nanos(clock.monotonicTimeNanosUnsafe() - startedAt)
        const { kind, name: node } = slot.node
        emit({ path: slot.path, runs, node, kind, cause: exit.cause, duration, _tag: "NodeFailed" })
      }
      return undefined
    })
    return Effect.catchCause(walk, (cause) => locate(name, current)(cause))
  })
}

/** What running a flow needs, built on its first run (see `FlowInfo`). */
interface Programs {
  readonly raw: Effect.Effect<string | void, unknown, unknown>
  readonly instrument: (o: observe.Observation) => Effect.Effect<string | void, unknown, unknown>
}

const programs = (flow: AnyFlow): Programs => {
  const { post, prep } = flow.def
  const withPrepPost = (body: Effect.Effect<string, unknown, unknown>) =>
    prep === undefined
      ? post === undefined ? body : Effect.flatMap(body, (last) => post(undefined, last))
      : Effect.flatMap(prep, (p) => post === undefined ? body : Effect.flatMap(body, (last) => post(p, last)))
  const plain = withPrepPost(loop(flow))
  const raw: Effect.Effect<string | void, unknown, unknown> = Effect.withFiber((fiber) => {
    // A sub-flow run from a retrying node's exec starts its own nodes at attempt 1.
    if (fiber.getRef(CurrentAttempt) !== 1) return Effect.provideService(raw, CurrentAttempt, 1)
    const o = fiber.getRef(observe.CurrentObservation)
    if (o === undefined) {
      return observe.spansWanted(fiber) ? observe.runRoot(flow, observe.root(fiber, flow, undefined)) : plain
    }
    // Observed, but not run by an observed flow (e.g. from inside a node's exec): a child of that node,
    // with the item index when that node is a batch item, so concurrent items' runs can be told apart.
    return observe.runNode(flow, observe.child(o, flow, o.item === undefined ? o.runs : [...o.runs, o.item]), o.owner.name)
  })
  const observed = (o: observe.Observation) =>
    o.emit !== undefined && !o.spans ? subscribedLoop(flow, o, o.emit) : observedLoop(flow, o)
  return { raw, instrument: (o) => observe.aroundFlow(o, withPrepPost(observed(o))) }
}

/**
 * A flow's graph and programs, each built on first use and then kept. Wiring a chain makes a flow
 * value per edge, and nearly all of them are never read nor run: they must cost a few small objects,
 * all of one hidden class (hence a class and prototype getters, not per-object accessors).
 */
class FlowInfo implements Info {
  #graph: Graph | undefined
  #programs: Programs | undefined
  readonly flow: AnyFlow
  constructor(flow: AnyFlow) {
    this.flow = flow
  }
  get graph(): Graph {
    return this.#graph ??= materialize(this.flow.def)
  }
  get programs(): Programs {
    return this.#programs ??= programs(this.flow)
  }
  get anatomy(): FlowAnatomy {
    return { _tag: "Flow", flow: this.flow }
  }
}

const FlowProto = Object.create(NodeProto, {
  start: { get: function(this: AnyFlow) { return this.def.start }, enumerable: true },
  maxSteps: { get: function(this: AnyFlow) { return this.def.maxSteps }, enumerable: true },
  edges: { get: function(this: AnyFlow) { return this.graph.edges }, enumerable: true },
  graph: { get: function(this: AnyFlow) { return (this.info as FlowInfo).graph } },
  raw: { get: function(this: AnyFlow) { return (this.info as FlowInfo).programs.raw } },
  instrument: { get: function(this: AnyFlow) { return (this.info as FlowInfo).programs.instrument } }
})

/** A flow value: its definition (already checked) behind the node interface. */
export const build = (def: FlowDef): AnyFlow => {
  const flow = Object.create(FlowProto)
  flow[TypeId] = TypeId
  flow.name = def.name
  flow.kind = "flow"
  flow.def = def
  flow.info = new FlowInfo(flow)
  flow.view = undefined
  return flow
}

/** Every node of a flow: its start and both ends of its edges and exits, in wiring order. */
export const nodesOf = (def: Pick<FlowDef, "start" | "wiring" | "length">): ReadonlyArray<AnyNode> => {
  const seen = new Set<AnyNode>([def.start])
  for (let i = 0; i < def.length; i++) {
    const { from, to } = def.wiring.log[i]
    seen.add(from)
    if (to !== undefined) seen.add(to)
  }
  return Array.from(seen)
}

const checkNames = (def: FlowDef, wiring: Wiring, from: AnyNode, to: AnyNode | undefined) => {
  const clash = (node: AnyNode, other: AnyNode) => {
    throw new FlowDefinitionError({
      flow: def.name,
      reason: `two different nodes are named ${quote(node.name)} (a ${other.kind} and a ${node.kind}); ` +
        `node names must be unique within a flow`
    })
  }
  const fromOther = wiring.names.get(from.name)
  if (fromOther !== undefined && fromOther !== from) clash(from, fromOther)
  if (to === undefined) return
  const toOther = wiring.names.get(to.name)
  if (toOther !== undefined && toOther !== to) clash(to, toOther)
  if (to !== from && to.name === from.name) clash(to, from)
}

const checkEdgeArguments = (def: FlowDef, what: string, from: unknown, action: unknown, to?: unknown) => {
  checkNode("flow", def.name, `the "from" node of ${what}`, from)
  if (typeof action !== "string" || action.length === 0) {
    throw new TypeError(
      `${subject("flow", def.name)}: the action of ${what} from ${quote((from as AnyNode).name)} must be a ` +
        `non-empty string; got ${received(action)}`
    )
  }
  if (to !== undefined || what === "an edge") checkNode("flow", def.name, `the target of ${what}`, to)
}

export const addEdge = (def: FlowDef, from: AnyNode, action: string, to: AnyNode): FlowDef => {
  checkEdgeArguments(def, "an edge", from, action, to)
  const wiring = own(def)
  checkNames(def, wiring, from, to)
  const wired = wiredAt(wiring, from, action)
  if (wired !== undefined) {
    const existing = wired.to
    throw new FlowDefinitionError({
      flow: def.name,
      reason: existing === undefined
        ? `${quote(from.name)} --${quote(action)}--> is declared an exit with Flow.end; cannot wire it to ${quote(to.name)}`
        : `the edge ${quote(from.name)} --${quote(action)}--> is already wired to ${quote(existing.name)}; ` +
          `cannot wire it again to ${quote(to.name)}`
    })
  }
  append(wiring, { from, action, to })
  return { ...def, wiring, length: wiring.log.length }
}

export const addExit = (def: FlowDef, from: AnyNode, action: string): FlowDef => {
  checkEdgeArguments(def, "an exit", from, action)
  const wiring = own(def)
  checkNames(def, wiring, from, undefined)
  const wired = wiredAt(wiring, from, action)
  if (wired !== undefined) {
    const existing = wired.to
    throw new FlowDefinitionError({
      flow: def.name,
      reason: existing === undefined
        ? `${quote(from.name)} --${quote(action)}--> is already declared an exit`
        : `the edge ${quote(from.name)} --${quote(action)}--> is wired to ${quote(existing.name)}; ` +
          `it cannot also be an exit`
    })
  }
  append(wiring, { from, action, to: undefined })
  return { ...def, wiring, length: wiring.log.length }
}

/** The definition of a new flow, with its options checked. */
export const define = (options: {
  readonly name: string
  readonly start: unknown
  readonly maxSteps?: unknown
  readonly prep?: unknown
  readonly post?: unknown
}): FlowDef => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Flow.make needs an options object; got ${received(options)}`)
  }
  const { maxSteps, name } = options
  checkName("flow", name)
  const start = checkNode("flow", name, `option "start"`, options.start)
  if (maxSteps !== undefined) {
    if (typeof maxSteps !== "number") {
      throw new TypeError(`${subject("flow", name)}: option "maxSteps" must be a positive integer; got ${received(maxSteps)}`)
    }
    if (!Number.isInteger(maxSteps) || maxSteps < 1) {
      throw new RangeError(`${subject("flow", name)}: option "maxSteps" must be a positive integer; got ${received(maxSteps)}`)
    }
  }
  checkEffect("flow", name, "prep", options.prep, false)
  checkFunction("flow", name, "post", options.post, false)
  return {
    name,
    start,
    wiring: emptyWiring(start),
    length: 0,
    maxSteps,
    prep: options.prep as FlowDef["prep"],
    post: options.post as FlowDef["post"]
  }
}

export const batchFlow = (options: {
  readonly name: string
  readonly flow: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: ((params: ReadonlyArray<unknown>, actions: ReadonlyArray<string>) => Effect.Effect<string | void, unknown, unknown>) | undefined
}): AnyNode => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Flow.batch needs an options object; got ${received(options)}`)
  }
  const { name, params, post } = options
  checkName("batch-flow", name)
  const inner = checkNode("batch-flow", name, `option "flow"`, options.flow)
  if (!Context.isKey(params)) {
    throw new TypeError(
      `${subject("batch-flow", name)}: option "params" must be a service key (a Context.Service class or ` +
        `Context.Reference) that each run reads its parameter set from; got ${received(params)}`
    )
  }
  checkEffect("batch-flow", name, "prep", options.prep, true)
  checkFunction("batch-flow", name, "post", post, false)
  const concurrency = checkConcurrency("batch-flow", name, options.concurrency)
  const runOne = (value: unknown) => Effect.provideService(inner, params, value)
  const body = (run: (sets: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<string>, unknown, unknown>) =>
    Effect.flatMap(options.prep, (prepared) => {
      if (!isIterable(prepared)) {
        return Effect.die(new InvalidBatchItems({ node: name, flow: undefined, received: describe(prepared) }))
      }
      const sets = Array.from(prepared)
      const runs = run(sets)
      return post === undefined ? Effect.as(runs, undefined) : Effect.flatMap(runs, (actions) => post(sets, actions))
    })
  const raw = body((sets) => Effect.forEach(sets, runOne, { concurrency }))
  // The observed run: a span per run (`name[i]`) holding the inner node's own span, the run index in
  // every event below it, `BatchProgress` after each run.
  const instrument = (o: observe.Observation) =>
    body((sets) => {
      const done = observe.progress(o, sets.length)
      return Effect.forEach(sets, (value, index) => {
        const co = observe.child(o, inner, [...o.runs, index])
        let run = Effect.map(observe.runNode(inner, co, name), toAction)
        if (o.spans) {
          run = Effect.withSpan(run, `${name}[${index}]`, {
            attributes: {
              "pocketflow.node": name,
              "pocketflow.kind": "batch-run",
              "pocketflow.path": o.path,
              "pocketflow.index": index
            },
            captureStackTrace: false
          })
        }
        run = Effect.provideService(run, params, value)
        return done === undefined ? run : Effect.tap(run, () => Effect.sync(done))
      }, { concurrency })
    })
  const anatomy = { _tag: "BatchFlow" as const, inner, params, prep: options.prep, post, concurrency }
  return makeNode(name, "batch-flow", raw, { concurrency, inner, anatomy }, instrument)
}

export const isFlow = (u: unknown): u is AnyFlow =>
  typeof u === "object" && u !== null && "def" in u && (u as { kind?: unknown }).kind === "flow"

