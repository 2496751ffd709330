/**
 * How a flow walks, in one place: the anatomy of each kind of node (the parts a walker runs separately), action
 * normalisation, successors, and what happens when an action has no edge. The plain loop, the observed loop and the
 * durable walk all read these.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import { InvalidBatchItems } from "../Errors.ts"
import * as FlowEvent from "../FlowEvent.ts"
import type { AnyFlow } from "./flow.ts"
import { type AnyNode, describe, type Graph, toAction } from "./node.ts"

/** A plain node: prep → exec (with its retry/timeout/fallback policy) → post. */
export interface StepAnatomy {
  readonly _tag: "Step"
  readonly prep: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly exec: (prep: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post: ((prep: unknown, exec: unknown) => Effect.Effect<string | void, unknown, unknown>) | undefined
}

/** A batch node: exec (with its policy) per item. */
export interface BatchAnatomy {
  readonly _tag: "Batch"
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly exec: (item: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post:
    | ((
      items: ReadonlyArray<unknown>,
      results: ReadonlyArray<unknown>
    ) => Effect.Effect<string | void, unknown, unknown>)
    | undefined
  readonly concurrency: number | "unbounded"
  readonly resultSchema: Schema.Codec<any, any, never, never> | undefined
}

export interface FlowAnatomy {
  readonly _tag: "Flow"
  readonly flow: AnyFlow
}

export interface BatchFlowAnatomy {
  readonly _tag: "BatchFlow"
  readonly inner: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly post:
    | ((
      params: ReadonlyArray<unknown>,
      actions: ReadonlyArray<string>
    ) => Effect.Effect<string | void, unknown, unknown>)
    | undefined
  readonly concurrency: number | "unbounded"
}

export interface ParallelAnatomy {
  readonly _tag: "Parallel"
  readonly branches: ReadonlyArray<AnyNode>
  readonly post: ((actions: ReadonlyArray<string>) => Effect.Effect<string | void, unknown, unknown>) | undefined
  readonly concurrency: number | "unbounded"
}

export type Anatomy = StepAnatomy | BatchAnatomy | FlowAnatomy | BatchFlowAnatomy | ParallelAnatomy

/** Any post result that is not a non-empty string means `"default"`. */
export const normalize = toAction

export const successor = (graph: Graph, node: AnyNode, action: string): AnyNode | undefined =>
  graph.edges.get(node)?.get(action)

const quote = (s: string) => JSON.stringify(s)

const unmatched = (flow: string, node: AnyNode, action: string, known: ReadonlyMap<string, AnyNode>) =>
  Effect.logWarning(
    `Flow ${quote(flow)} ends: node ${quote(node.name)} returned action ${quote(action)}, which has no edge ` +
      `(known actions: ${Array.from(known.keys(), quote).join(", ")})`
  )

/** Whether ending on `action` is a surprise: the node has edges, and the action is not a declared exit. */
export const isUnmatched = (graph: Graph, node: AnyNode, action: string): boolean =>
  graph.edges.has(node) && graph.exits.get(node)?.has(action) !== true

/**
 * Ends a run on an action with no edge; warns when the node has edges for other actions, unless the
 * action is a declared exit.
 */
export const end = (
  flow: string,
  node: AnyNode,
  action: string,
  successors: ReadonlyMap<string, AnyNode> | undefined,
  exits: ReadonlyMap<AnyNode, ReadonlySet<string>>
): Effect.Effect<string> =>
  successors === undefined || exits.get(node)?.has(action) === true
    ? Effect.succeed(action)
    : Effect.as(unmatched(flow, node, action, successors), action)

/** `end` for a walker that also reports `UnmatchedAction` to a subscriber. */
export const ended = (
  flow: string,
  graph: Graph,
  node: AnyNode,
  action: string,
  emit: ((event: FlowEvent.FlowEvent) => void) | undefined,
  path: string,
  runs: ReadonlyArray<number>
): Effect.Effect<string> => {
  const successors = graph.edges.get(node)
  if (emit !== undefined && successors !== undefined && isUnmatched(graph, node, action)) {
    emit(FlowEvent.UnmatchedAction({ path, runs, node: node.name, action, known: Array.from(successors.keys()) }))
  }
  return end(flow, node, action, successors, graph.exits)
}

const byName = new WeakMap<Graph, ReadonlyMap<string, AnyNode>>()

/** The nodes of a flow by name: its start, both ends of every edge, and nodes with declared exits. */
export const nodesByName = (graph: Graph): ReadonlyMap<string, AnyNode> => {
  let map = byName.get(graph)
  if (map === undefined) {
    const m = new Map<string, AnyNode>([[graph.start.name, graph.start]])
    for (const [from, successors] of graph.edges) {
      m.set(from.name, from)
      for (const to of successors.values()) m.set(to.name, to)
    }
    for (const from of graph.exits.keys()) m.set(from.name, from)
    byName.set(graph, map = m)
  }
  return map
}

// ---------------------------------------------------------------------------------------------------
// Positions as names: one definition for the local durable engine and the workflow adapter, so an input
// asked under either has the same key.
// ---------------------------------------------------------------------------------------------------

/** The step id of `name`'s `visit`-th visit under the step `parent` (`root/review#2`). */
export const stepId = (parent: string, name: string, visit: number): string => `${parent}/${name}#${visit}`

/** The step id of run `index` of a batch flow (or item `index` of a batch node) at `parent`: `parent[index]`. */
export const runId = (parent: string, index: number): string => `${parent}[${index}]`

/**
 * The next sequential suffix for `input` in a step (1, 2, …), unless the ask names its own `key` (concurrent asks).
 */
export const askSuffix = (counters: Map<string, number>, input: string, key: string | undefined): string => {
  if (key !== undefined) return key
  const n = (counters.get(input) ?? 0) + 1
  counters.set(input, n)
  return String(n)
}

/** An input's key: its step id, the input's name and its suffix (`essay/review#1/approval#1`). */
export const inputKey = (step: string, input: string, suffix: string): string => `${step}/${input}#${suffix}`

export const invalidBatchItems = (node: AnyNode, items: unknown): Effect.Effect<never> =>
  Effect.die(new InvalidBatchItems({ node: node.name, flow: undefined, received: describe(items) }))
