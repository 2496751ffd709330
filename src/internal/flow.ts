/**
 * The flow runtime: follows edges from node to node in one fiber, with constant stack and memory.
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded } from "../Errors.ts"
import { type AnyNode, describe, type Graph, isIterable, makeNode } from "./node.ts"

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

const loop = (def: FlowDef): Effect.Effect<string, unknown, unknown> => {
  const { edges, maxSteps, name, start } = def
  if (maxSteps === undefined) {
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> =>
      Effect.flatMap(node.raw, (result) => {
        const action = result === undefined ? "default" : result
        const successors = edges.get(node)
        const next = successors?.get(action)
        if (next !== undefined) return step(next)
        return successors === undefined ? Effect.succeed(action) : Effect.as(unmatched(name, node, action, successors), action)
      })
    return Effect.suspend(() => step(start))
  }
  return Effect.suspend(() => {
    let steps = 0
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (steps === maxSteps) return Effect.fail(new MaxStepsExceeded({ flow: name, maxSteps, node: node.name }))
      steps++
      return Effect.flatMap(node.raw, (result) => {
        const action = result === undefined ? "default" : result
        const successors = edges.get(node)
        const next = successors?.get(action)
        if (next !== undefined) return step(next)
        return successors === undefined ? Effect.succeed(action) : Effect.as(unmatched(name, node, action, successors), action)
      })
    }
    return step(start)
  })
}

export const build = (def: FlowDef): AnyFlow => {
  const body = Effect.catchCause(loop(def), nameFlowInDefects(def.name))
  const { post, prep } = def
  const raw = prep === undefined
    ? post === undefined ? body : Effect.flatMap(body, (last) => post(undefined, last))
    : Effect.flatMap(prep, (p) => post === undefined ? body : Effect.flatMap(body, (last) => post(p, last)))
  const graph: Graph = { start: def.start, edges: def.edges, maxSteps: def.maxSteps }
  const flow = makeNode(def.name, "flow", raw, { graph }) as AnyNode & { def: FlowDef }
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
  const raw = Effect.flatMap(options.prep, (prepared) => {
    if (!isIterable(prepared)) {
      return Effect.die(new InvalidBatchItems({ node: name, flow: undefined, received: describe(prepared) }))
    }
    const sets = Array.from(prepared)
    const runs = Effect.forEach(sets, runOne, { concurrency })
    return post === undefined ? Effect.as(runs, undefined) : Effect.flatMap(runs, (actions) => post(sets, actions))
  })
  return makeNode(name, "batch-flow", raw, { concurrency, inner })
}

export const isFlow = (u: unknown): u is AnyFlow =>
  typeof u === "object" && u !== null && "def" in u && (u as { kind?: unknown }).kind === "flow"

