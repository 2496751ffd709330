/**
 * Where a walk stands, and the one place that decides where it goes next.
 *
 * A position is plain JSON (saved as a durable snapshot's `position`, format 1), one object per node in progress:
 * - flow:       `{ at, kind, steps, visits, last?, inner? }` — `at` the node to run next (null once the walk ended
 *               with `last`), `visits` per node name, `inner` the position inside `at` when it is a composite;
 * - batch flow and parallel block: `{ fp?, done: { [index]: action }, running: { [index]: position } }`;
 * - batch node: `{ fp, scope? }` (its finished items are item records, one per item, under `scope` — its step id —
 *               when the batch saves them);
 * - plain node: `{}`.
 * A flow's position is its `Cursor`. `start` places a cursor, `enter` opens a step (the step budget and the visit
 * number), and `advance` records the step's action and picks the next node — or ends the walk (`unmatched` tells a
 * surprising end, with the known actions for the warning, from a declared exit or a node with nothing wired). Every host calls these; no
 * other code follows an edge.
 */
import * as Effect from "effect/Effect"
import { MaxStepsExceeded } from "../../Errors.ts"
import type { AnyFlow, AnyNode, Graph } from "../node.ts"

export interface FlowPosition {
  at: string | null
  kind: string
  steps: number
  /** Visits per node name (the visit number of a step id); a walk that builds no step ids keeps none. */
  visits: Record<string, number> | undefined
  last?: string
  inner?: Position
}
export interface ManyPosition {
  fp?: string
  done: Record<string, string>
  running: Record<string, Position>
}
export interface BatchPosition {
  fp?: string
  /** Where its items are saved (a batch with `resultSchema` under a host that saves them): for progress readers. */
  scope?: string
}
export type Position = FlowPosition | ManyPosition | BatchPosition | Record<string, never>

/** A flow's cursor: its position, updated in place by `advance` as the one walk that owns it goes on. */
export type Cursor = FlowPosition

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

/**
 * Places `cursor` at the start of `flow`, or where `saved` stood (a checkpoint), counting visits when step ids are
 * wanted. Returns the first node to run, or `undefined` when the saved walk had already ended (its action is
 * `cursor.last`).
 */
export const start = (
  flow: AnyFlow,
  cursor: Cursor,
  saved: FlowPosition | undefined,
  visits: boolean
): AnyNode | undefined => {
  const first = saved?.at === undefined
    ? flow.def.start
    : saved.at === null
    ? undefined
    : nodesByName(flow.graph).get(saved.at)
  cursor.at = first === undefined ? null : first.name
  cursor.kind = first === undefined ? "end" : first.kind
  cursor.steps = saved?.steps ?? 0
  cursor.visits = visits ? { ...saved?.visits } : undefined
  if (saved?.last !== undefined) cursor.last = saved.last
  return first
}

/** A cursor at the start of `flow`, for a walk that saves nothing and builds no step ids (the plain loop). */
export const fresh = (flow: AnyFlow): Cursor => ({
  at: flow.def.start.name,
  kind: flow.def.start.kind,
  steps: 0,
  visits: undefined
})

/**
 * Opens a step of `node`: its visit number (1 on the first visit), or 0 when the flow's `maxSteps` is spent. Steps
 * restored from a checkpoint count.
 */
export const enter = (graph: Graph, cursor: Cursor, node: AnyNode): number => {
  if (cursor.steps === graph.maxSteps) return 0
  const visits = cursor.visits
  return visits === undefined ? 1 : (visits[node.name] ?? 0) + 1
}

/** The failure of a step `enter` refused. */
export const exceeded = (flow: AnyFlow, node: AnyNode): MaxStepsExceeded =>
  new MaxStepsExceeded({ flow: flow.def.name, maxSteps: flow.def.maxSteps!, node: node.name })

/**
 * Records that `node` finished its step with `action`, and decides what comes next: the successor for `action`, or
 * `undefined` when the walk ends there (its action is then `cursor.last`; see `unmatched` for the warning).
 */
export const advance = (graph: Graph, cursor: Cursor, node: AnyNode, action: string): AnyNode | undefined => {
  cursor.steps++
  const visits = cursor.visits
  if (visits !== undefined) visits[node.name] = (visits[node.name] ?? 0) + 1
  if (cursor.inner !== undefined) delete cursor.inner
  const next = graph.edges.get(node)?.get(action)
  if (next !== undefined) {
    cursor.at = next.name
    cursor.kind = next.kind
    return next
  }
  cursor.at = null
  cursor.kind = "end"
  cursor.last = action
  return undefined
}

/**
 * When a walk ended on `node`'s `action`: the node's wired actions if the end is a surprise (the node has edges, none
 * for this action, and the action is not a declared exit), else `undefined`.
 */
export const unmatched = (graph: Graph, node: AnyNode, action: string): ReadonlyArray<string> | undefined => {
  const successors = graph.edges.get(node)
  return successors !== undefined && graph.exits.get(node)?.has(action) !== true
    ? Array.from(successors.keys())
    : undefined
}

const quote = (s: string) => JSON.stringify(s)

/**
 * The end of a walk as an Effect: its action, after a warning when the end is a surprise (`known`: the node's wired
 * actions; PocketFlow warns the same way).
 */
export const ended = (
  flow: AnyFlow,
  node: AnyNode,
  action: string,
  known: ReadonlyArray<string> | undefined
): Effect.Effect<string> =>
  known === undefined
    ? Effect.succeed(action)
    : Effect.as(
      Effect.logWarning(
        `Flow ${quote(flow.def.name)} ends: node ${quote(node.name)} returned action ${quote(action)}, which has ` +
          `no edge (known actions: ${known.map(quote).join(", ")})`
      ),
      action
    )

// ---------------------------------------------------------------------------------------------------
// Positions as names: step ids and input keys, the same under every durable host (`Durable.run`, `toWorkflow`).
// ---------------------------------------------------------------------------------------------------

/** The step id of `name`'s `visit`-th visit under the step `parent` (`root/review#2`). */
export const stepId = (parent: string, name: string, visit: number): string => `${parent}/${name}#${visit}`

/** The step id of run `index` of a batch flow (or item `index` of a batch node) at `parent`: `parent[index]`. */
export const runId = (parent: string, index: number): string => `${parent}[${index}]`

/** The step id of a composite's own prep or post (`parent/post`). */
export const partId = (parent: string, part: "prep" | "post"): string => `${parent}/${part}`

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

/** Item fingerprints: a 53-bit string hash of the items' JSON (cyrb53), stable across processes. */
export const fingerprint = (items: ReadonlyArray<unknown>): string => {
  let text: string
  try {
    text = JSON.stringify(items) ?? "undefined"
  } catch {
    text = `${items.length} items that are not JSON`
  }
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return `${items.length}:${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`
}

// ---------------------------------------------------------------------------------------------------
// Reading positions: deploy checks and the viewer's trail.
// ---------------------------------------------------------------------------------------------------

/** The positions of `saved` that name nodes the flow no longer has (with the same name and kind). */
export const missing = (node: AnyNode, saved: unknown, path: string): Array<string> => {
  if (saved === null || typeof saved !== "object") return []
  const def = node.def
  const out: Array<string> = []
  switch (def._tag) {
    case "Flow": {
      const pos = saved as FlowPosition
      if (typeof pos.at !== "string") break
      const found = nodesByName((node as AnyFlow).graph).get(pos.at)
      if (found === undefined || found.kind !== pos.kind) out.push(`${path}/${pos.at} (${pos.kind})`)
      else if (pos.inner !== undefined) out.push(...missing(found, pos.inner, `${path}/${pos.at}`))
      break
    }
    case "BatchFlow":
    case "Parallel": {
      const pos = saved as ManyPosition
      for (const [i, inner] of Object.entries(pos.running ?? {})) {
        const child = def._tag === "BatchFlow" ? def.inner : def.branches[Number(i)]
        if (child === undefined) out.push(`${path}/branch ${i}`)
        else out.push(...missing(child, inner, `${path}/${child.name}`))
      }
      if (def._tag === "Parallel") {
        for (const i of Object.keys(pos.done ?? {})) {
          if (def.branches[Number(i)] === undefined) out.push(`${path}/branch ${i}`)
        }
      }
      break
    }
  }
  return out
}

const isFlowPosition = (pos: unknown): pos is FlowPosition =>
  typeof pos === "object" && pos !== null && "visits" in pos && typeof (pos as { visits: unknown }).visits === "object"

/**
 * The node paths below the root (`sub/step`) a saved position stands at, and those it has visited. A flow's `at` is
 * current; its `inner` goes one level down when `at` is a nested flow. Parallel branches and batch runs are keyed by
 * index, so below them only the composite node itself is named.
 */
export const trail = (position: unknown): { readonly current: Array<string>; readonly visited: Array<string> } => {
  const current: Array<string> = []
  const visited: Array<string> = []
  let pos: unknown = position
  let prefix = ""
  while (isFlowPosition(pos)) {
    for (const name of Object.keys(pos.visits ?? {})) visited.push(prefix + name)
    if (typeof pos.at !== "string") break
    current.push(prefix + pos.at)
    prefix = `${prefix}${pos.at}/`
    pos = pos.inner
  }
  return { current, visited }
}
