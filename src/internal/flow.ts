/**
 * The flow runtime: follows edges from node to node in one fiber, with constant stack and memory.
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded } from "../Errors.ts"
import * as FlowEvent from "../FlowEvent.ts"
import { type AnyNode, describe, type Graph, isIterable, makeNode } from "./node.ts"
import * as observe from "./observe.ts"

export interface FlowDef {
  readonly name: string
  readonly start: AnyNode
  readonly edges: ReadonlyMap<AnyNode, ReadonlyMap<string, AnyNode>>
  readonly maxSteps: number | undefined
  readonly prep: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly post: ((prep: unknown, last: string) => Effect.Effect<string | void, unknown, unknown>) | undefined
}

export interface AnyFlow extends AnyNode {
  readonly def: FlowDef
}

const quote = (s: string) => JSON.stringify(s)

const unmatched = (flow: string, node: AnyNode, action: string, known: ReadonlyMap<string, AnyNode>) =>
  Effect.logWarning(
    `Flow ${quote(flow)} ends: node ${quote(node.name)} returned action ${quote(action)}, which has no edge ` +
      `(known actions: ${Array.from(known.keys(), quote).join(", ")})`
  )

/**
 * A defect of `InvalidBatchItems` raised by a direct child does not know its flow yet; the innermost
 * flow fills it in, so the message names both.
 */
const nameFlowInDefects = (flow: string) => (cause: Cause.Cause<unknown>) => {
  let changed = false
  const reasons = cause.reasons.map((reason) => {
    if (Cause.isDieReason(reason) && reason.defect instanceof InvalidBatchItems && reason.defect.flow === undefined) {
      changed = true
      return Cause.makeDieReason(new InvalidBatchItems({ ...reason.defect, flow }))
    }
    return reason
  })
  return Effect.failCause(changed ? Cause.fromReasons(reasons) : cause)
}

/** Ends a run on an action with no edge; warns when the node has edges for other actions. */
const end = (flow: string, node: AnyNode, action: string, successors: ReadonlyMap<string, AnyNode> | undefined) =>
  successors === undefined ? Effect.succeed(action) : Effect.as(unmatched(flow, node, action, successors), action)

const loop = (def: FlowDef): Effect.Effect<string, unknown, unknown> => {
  const { edges, maxSteps, name, start } = def
  return Effect.suspend(() => {
    // `steps === maxSteps` never holds when maxSteps is undefined, so one loop serves both cases.
    let steps = 0
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      return Effect.flatMap(node.raw, (result) => {
        const action = result === undefined ? "default" : result
        const successors = edges.get(node)
        const next = successors?.get(action)
        return next !== undefined ? step(next) : end(name, node, action, successors)
      })
    }
    return step(start)
  })
}

/**
 * The observed loop: the same walk as `loop`, with each node run through `observe.runNode` (events,
 * span) and each transition reported. Only used when someone observes the run.
 */
const observedLoop = (def: FlowDef, o: observe.Observation): Effect.Effect<string, unknown, unknown> => {
  const { edges, maxSteps, name, start } = def
  const { emit, path, runs } = o
  return Effect.suspend(() => {
    let steps = 0
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      return Effect.flatMap(observe.runNode(node, observe.child(o, node), name), (result) => {
        const action = result === undefined ? "default" : result
        const successors = edges.get(node)
        const next = successors?.get(action)
        if (next !== undefined) {
          emit?.(FlowEvent.Transition({ path, runs, from: node.name, action, to: next.name }))
          return step(next)
        }
        if (successors !== undefined) {
          emit?.(FlowEvent.UnmatchedAction({ path, runs, node: node.name, action, known: Array.from(successors.keys()) }))
        }
        return end(name, node, action, successors)
      })
    }
    return step(start)
  })
}

export const build = (def: FlowDef): AnyFlow => {
  const { post, prep } = def
  const withPrepPost = (body: Effect.Effect<string, unknown, unknown>) =>
    prep === undefined
      ? post === undefined ? body : Effect.flatMap(body, (last) => post(undefined, last))
      : Effect.flatMap(prep, (p) => post === undefined ? body : Effect.flatMap(body, (last) => post(p, last)))
  const plain = withPrepPost(Effect.catchCause(loop(def), nameFlowInDefects(def.name)))
  const instrument = (o: observe.Observation) =>
    observe.aroundFlow(o, withPrepPost(Effect.catchCause(observedLoop(def, o), nameFlowInDefects(def.name))))
  // One read of the observation per run: nobody observing and no tracer installed means the plain program.
  const raw = Effect.withFiber((fiber) => {
    const o = fiber.getRef(observe.CurrentObservation)
    if (o === undefined) {
      return observe.spansWanted(fiber) ? observe.runRoot(flow, observe.root(fiber, flow, undefined)) : plain
    }
    // Observed, but not run by an observed flow (e.g. from inside a node's exec): a child of that node.
    return observe.runNode(flow, observe.child(o, flow), o.owner.name)
  })
  const graph: Graph = { start: def.start, edges: def.edges, maxSteps: def.maxSteps }
  const flow = makeNode(def.name, "flow", raw, { graph, anatomy: { _tag: "Flow", def } }, instrument) as AnyNode & {
    def: FlowDef
  }
  flow.def = def
  return flow
}

/** Every node of a flow: its start and both ends of its edges, in wiring order. */
export const nodesOf = (def: Pick<FlowDef, "start" | "edges">): ReadonlyArray<AnyNode> => {
  const seen = new Set<AnyNode>([def.start])
  for (const [from, successors] of def.edges) {
    seen.add(from)
    for (const to of successors.values()) seen.add(to)
  }
  return Array.from(seen)
}

const checkName = (def: FlowDef, node: AnyNode) => {
  for (const other of nodesOf(def)) {
    if (other !== node && other.name === node.name) {
      throw new FlowDefinitionError({
        flow: def.name,
        reason: `two different nodes are named ${quote(node.name)} (a ${other.kind} and a ${node.kind}); ` +
          `node names must be unique within a flow`
      })
    }
  }
}

export const addEdge = (def: FlowDef, from: AnyNode, action: string, to: AnyNode): FlowDef => {
  if (typeof action !== "string") {
    throw new FlowDefinitionError({ flow: def.name, reason: `the action of an edge from ${quote(from.name)} must be a string` })
  }
  checkName(def, from)
  checkName(def, to)
  if (from.name === to.name && from !== to) {
    throw new FlowDefinitionError({
      flow: def.name,
      reason: `two different nodes are named ${quote(from.name)}; node names must be unique within a flow`
    })
  }
  const successors = def.edges.get(from)
  const existing = successors?.get(action)
  if (existing !== undefined) {
    throw new FlowDefinitionError({
      flow: def.name,
      reason: `the edge ${quote(from.name)} --${quote(action)}--> is already wired to ${quote(existing.name)}; ` +
        `cannot wire it again to ${quote(to.name)}`
    })
  }
  const edges = new Map(def.edges)
  edges.set(from, new Map(successors).set(action, to))
  return { ...def, edges }
}

export const batchFlow = (options: {
  readonly name: string
  readonly flow: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: ((params: ReadonlyArray<unknown>, actions: ReadonlyArray<string>) => Effect.Effect<string | void, unknown, unknown>) | undefined
}): AnyNode => {
  const { flow: inner, name, params, post } = options
  const concurrency = options.concurrency ?? 1
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
        let run = Effect.map(observe.runNode(inner, co, name), (action) => action === undefined ? "default" : action)
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

