/**
 * The one definition of node kinds. A node is an immutable value holding its `NodeDef`: everything else about it —
 * its plain program, its observed and durable runs, its Mermaid shape, the positions a checkpoint may name — is
 * derived from the def by the code that needs it. Adding a node kind means a new case here, its case in the walk
 * (`walk/walk.ts`) and the renderers; hosts do not change.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import type * as Schema from "effect/Schema"
import type { Defaults } from "./defaults.ts"
import type { Policy } from "./policy.ts"

export const TypeId = "~effect-pocketflow/Node" as const

/** What kind of node a value is, for rendering and events (one per `NodeDef` case). */
export type Kind = "node" | "batch" | "flow" | "batch-flow" | "parallel"

type Program = Effect.Effect<string | void, unknown, unknown>

/**
 * What a flow's defaults need to wrap a node's exec again (`defaults.ts`): its own exec, unwrapped, and its own policy.
 * A def without them runs the same under any defaults.
 */
interface Policed {
  readonly body?: ((input: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly policy?: Policy | undefined
}

/** A plain node: prep → exec (already wrapped with its cache/retry/limit/timeout/fallback policy) → post. */
export interface StepDef extends Policed {
  readonly _tag: "Step"
  readonly prep: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly exec: (prep: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post: ((prep: unknown, exec: unknown) => Program) | undefined
}

/** A batch node: exec (with its policy) once per item of prep's result. */
export interface BatchDef extends Policed {
  readonly _tag: "Batch"
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly exec: (item: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post: ((items: ReadonlyArray<unknown>, results: ReadonlyArray<unknown>) => Program) | undefined
  readonly concurrency: number | "unbounded"
  readonly resultSchema: Schema.Codec<any, any, never, never> | undefined
}

/** One wiring step of a flow: an edge, or (with `to` undefined) an action declared as an exit. */
export interface Entry {
  readonly from: AnyNode
  readonly action: string
  readonly to: AnyNode | undefined
}

/**
 * The wiring of a flow, shared by every flow value derived from the same `Flow.make` by adding edges: an append-only
 * log plus indexes of the whole log (see `flow.ts`).
 */
export interface Wiring {
  readonly log: Array<Entry>
  /** The entries of each node: one entry, or several by action (most nodes have one edge, so no Map). */
  readonly wired: Map<AnyNode, Entry | Map<string, Entry>>
  readonly names: Map<string, AnyNode>
}

/** A flow: nodes wired by actions. Its graph is materialised from the wiring on first use (`AnyFlow.graph`). */
export interface FlowDef {
  readonly _tag: "Flow"
  readonly name: string
  readonly start: AnyNode
  readonly wiring: Wiring
  /** How many entries of `wiring.log` belong to this flow value. */
  readonly length: number
  readonly maxSteps: number | undefined
  readonly prep: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly post: ((prep: unknown, last: string) => Program) | undefined
  /** Options applied to every node of the flow and of flows nested in it (`defaults.ts`). */
  readonly defaults?: Defaults | undefined
}

/** A batch flow: `inner` run once per parameter set, each run with its set as the `params` service. */
export interface BatchFlowDef {
  readonly _tag: "BatchFlow"
  readonly inner: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly post: ((params: ReadonlyArray<unknown>, actions: ReadonlyArray<string>) => Program) | undefined
  readonly concurrency: number | "unbounded"
}

/** A parallel block: different nodes at once, joined by `post` over their actions in branch order. */
export interface ParallelDef {
  readonly _tag: "Parallel"
  readonly branches: ReadonlyArray<AnyNode>
  readonly post: ((actions: ReadonlyArray<string>) => Program) | undefined
  readonly concurrency: number | "unbounded"
}

export type NodeDef = StepDef | BatchDef | FlowDef | BatchFlowDef | ParallelDef

/** The kind of each def. */
export const kinds: { readonly [T in NodeDef["_tag"]]: Kind } = {
  Step: "node",
  Batch: "batch",
  Flow: "flow",
  BatchFlow: "batch-flow",
  Parallel: "parallel"
}

/** A flow's edges, exits and budget, materialised from its wiring. */
export interface Graph {
  readonly start: AnyNode
  readonly edges: ReadonlyMap<AnyNode, ReadonlyMap<string, AnyNode>>
  /** Actions declared with `Flow.end`: taking one ends the flow without a warning. */
  readonly exits: ReadonlyMap<AnyNode, ReadonlySet<string>>
  readonly maxSteps: number | undefined
}

/** Untyped view of any node, used by the runtime. */
export interface AnyNode extends Effect.Effect<string, unknown, unknown> {
  readonly [TypeId]: typeof TypeId
  readonly name: string
  readonly kind: Kind
  readonly def: NodeDef
  /**
   * The node's plain program, returning its action or `undefined` for "default" (built from `def` by
   * `walk/plain.ts`). Flows call it directly to skip the normalising `map` that the public Effect view adds.
   */
  readonly raw: Effect.Effect<unknown, unknown, unknown>
}

export interface AnyFlow extends AnyNode {
  readonly def: FlowDef
  /** This flow value's edges and exits, built from its log prefix on first use and then kept. */
  readonly graph: Graph
}

/**
 * The one place that turns a post result into an action: anything but a non-empty string means
 * `"default"`. Some Effect 4 APIs typed `Effect<void>` succeed with a value (`Ref.set` returns the
 * ref's cell), so `undefined` is not the only "nothing" a post can return.
 */
export const toAction = (result: unknown): string =>
  typeof result === "string" && result.length > 0 ? result : "default"

/** The attempt number seen by `exec`: 1 on the first attempt. */
export const CurrentAttempt = Context.Reference<number>("effect-pocketflow/Node/CurrentAttempt", {
  defaultValue: () => 1
})

export const NodeProto = Effectable.Prototype<AnyNode>({
  label: "PocketFlowNode",
  evaluate() {
    return (this as AnyNode & { view?: Effect.Effect<string, unknown, unknown> }).view ??= viewOf(this)
  }
})

/**
 * The node as a plain Effect (`yield* node`, `Node.run`), built once per node: its action normalised,
 * and `CurrentAttempt` reset to 1 when the node is yielded from inside a retrying exec.
 */
const viewOf = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
  const run = Effect.map(node.raw, toAction)
  const fresh = Effect.provideService(run, CurrentAttempt, 1)
  return Effect.withFiber((fiber) => fiber.getRef(CurrentAttempt) === 1 ? run : fresh)
}

export const isNode = (u: unknown): u is AnyNode =>
  typeof u === "object" && u !== null && (u as { [TypeId]?: unknown })[TypeId] === TypeId

export const isFlow = (u: unknown): u is AnyFlow => isNode(u) && u.def._tag === "Flow"

/** A node value for `def` (not a flow: flows are built by `flow.ts`, which adds their lazy graph). */
export const makeNode = (
  name: string,
  def: Exclude<NodeDef, FlowDef>,
  raw: (node: AnyNode) => Effect.Effect<unknown, unknown, unknown>
): AnyNode => {
  const node = Object.create(NodeProto)
  node[TypeId] = TypeId
  node.name = name
  node.kind = kinds[def._tag]
  node.def = def
  node.raw = raw(node)
  node.view = undefined
  return node
}

/** A short description of a value for error messages. */
export const describe = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "array" : typeof u === "object" ? `object ${String(u)}` : typeof u

/**
 * Batch items: any iterable object. A string is refused: it is iterable, but a batch over its
 * characters is almost always a missing `[ ]`.
 */
export const isIterable = (u: unknown): u is Iterable<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"
