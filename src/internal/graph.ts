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
import type { FlowDef } from "./flow.ts"
import { type AnyNode, describe } from "./node.ts"

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
    | ((items: ReadonlyArray<unknown>, results: ReadonlyArray<unknown>) => Effect.Effect<string | void, unknown, unknown>)
    | undefined
  readonly concurrency: number | "unbounded"
  readonly resultSchema: Schema.Codec<any, any, never, never> | undefined
}

export interface FlowAnatomy {
  readonly _tag: "Flow"
  readonly def: FlowDef
}

export interface BatchFlowAnatomy {
  readonly _tag: "BatchFlow"
  readonly inner: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly post:
    | ((params: ReadonlyArray<unknown>, actions: ReadonlyArray<string>) => Effect.Effect<string | void, unknown, unknown>)
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
export const normalize = (action: unknown): string =>
  typeof action === "string" && action.length > 0 ? action : "default"

export const successor = (def: FlowDef, node: AnyNode, action: string): AnyNode | undefined =>
  def.edges.get(node)?.get(action)

const quote = (s: string) => JSON.stringify(s)

/**
 * A run ends on an action with no edge: warn (and report `UnmatchedAction`) when the node has edges for other
 * actions.
 */
export const ended = (
  def: FlowDef,
  node: AnyNode,
  action: string,
  emit: ((event: FlowEvent.FlowEvent) => void) | undefined,
  path: string,
  runs: ReadonlyArray<number>
): Effect.Effect<void> => {
  const known = def.edges.get(node)
  if (known === undefined) return Effect.void
  emit?.(FlowEvent.UnmatchedAction({ path, runs, node: node.name, action, known: Array.from(known.keys()) }))
  return Effect.logWarning(
    `Flow ${quote(def.name)} ends: node ${quote(node.name)} returned action ${quote(action)}, which has no edge ` +
      `(known actions: ${Array.from(known.keys(), quote).join(", ")})`
  )
}

const byName = new WeakMap<FlowDef, ReadonlyMap<string, AnyNode>>()

/** The nodes of a flow by name (start and both ends of every edge). */
export const nodesByName = (def: FlowDef): ReadonlyMap<string, AnyNode> => {
  let map = byName.get(def)
  if (map === undefined) {
    const m = new Map<string, AnyNode>([[def.start.name, def.start]])
    for (const [from, successors] of def.edges) {
      m.set(from.name, from)
      for (const to of successors.values()) m.set(to.name, to)
    }
    byName.set(def, map = m)
  }
  return map
}

export const invalidBatchItems = (node: AnyNode, items: unknown): Effect.Effect<never> =>
  Effect.die(new InvalidBatchItems({ node: node.name, flow: undefined, received: describe(items) }))
