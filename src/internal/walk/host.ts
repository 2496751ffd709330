/**
 * A `Host` is what differs between the engines that run a flow — plain, observed (`Flow.events`, spans), durable
 * (`Durable.run`: checkpoints) and workflow (`Durable.toWorkflow`: activities): how one node step runs at a place,
 * how a composite's prep and post run, and what to report on the way. The walk itself (`walk.ts`: the order of
 * nodes, `cursor.ts`: every transition, `many.ts`: every fan-out) is the same for all of them; a host holds no walk
 * logic.
 */
import type * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type { AnyFlow, AnyNode, BatchDef, StepDef } from "../node.ts"
import type { Backlog } from "../observation.ts"

/** The result of a node that stopped to wait (a durable `ask`): its siblings go on, the run saves and returns. */
export const SUSPENDED: unique symbol = Symbol.for("effect-pocketflow/Suspended")
export type Suspended = typeof SUSPENDED

/** Records a node's action where its parent keeps track (the flow's cursor, a fan-out's done children). */
export type Complete = (action: string) => void

type Run<A> = Effect.Effect<A, unknown, unknown>

export interface Host<P> {
  /** Whether the walk records its positions (a durable host saves them): cursors of nested flows, fingerprints. */
  readonly positions: boolean
  /** Whether the walk counts visits: a host that names steps by their ids (`root/node#visit`) needs them. */
  readonly visits: boolean
  /**
   * Whether a node's step place is the same on every visit (no step ids, no positions, nothing restored), so the walk
   * may build each node's place and program once per run.
   */
  readonly reuse: boolean
  /** The place of `node`'s `visit`-th step in the flow at `parent`. */
  readonly step: (parent: P, node: AnyNode, visit: number) => P
  /** The place of child `index` of the batch flow (`batch`) or parallel block at `parent`. */
  readonly child: (parent: P, node: AnyNode, index: number, batch: boolean) => P
  /**
   * Runs a plain node (prep → exec → post). A host that saves calls `complete` with the action inside the commit
   * that saves the step; otherwise the walk calls it when the node returns.
   */
  readonly run: (node: AnyNode, def: StepDef, place: P, complete: Complete) => Run<unknown>
  /** Runs a composite's own prep (a batch's items, a batch flow's parameter sets, a flow's prep). */
  readonly prep: <A>(place: P, prep: Effect.Effect<A, unknown, unknown>) => Run<A | Suspended>
  /**
   * Runs a composite's `post` (absent: its action is `last`) and records the action with `complete`, as one commit.
   * Succeeds with the action.
   */
  readonly commit: (
    place: P,
    post: Effect.Effect<unknown, unknown, unknown> | undefined,
    last: string,
    complete: Complete
  ) => Run<string | Suspended>
  /** Runs item `index` of a batch node. */
  readonly item: (node: AnyNode, def: BatchDef, place: P, index: number, item: unknown) => Run<unknown>
  /** Item results a checkpoint kept, by index (`fresh`: the batch starts now, nothing can be kept yet). */
  readonly restored?: (def: BatchDef, place: P, fresh: boolean) => Run<ReadonlyMap<number, unknown> | undefined>
  /** The scope a batch's items are saved under at `place` (a host that saves them), recorded in its position. */
  readonly scope?: (place: P) => string
  /** A batch node run as one step, for a host that cannot keep its items apart without a `resultSchema`. */
  readonly batch?: (node: AnyNode, def: BatchDef, place: P, complete: Complete) => Run<string | Suspended>
  /** Counts a finished step: a plain node, a batch node, a batch-flow run, a parallel branch. */
  readonly tally?: () => void

  // Reporting. Each is optional: a host without it pays nothing for it.
  /**
   * A node starts at `place` (a flow's step, a fan-out's child, the root when it is not a flow). `mark` is what
   * `finished` returned for the step just before it in the same loop (a clock reading it may reuse), if any.
   */
  readonly started?: (node: AnyNode, place: P, fiber: Fiber.Fiber<unknown, unknown>, mark?: unknown) => void
  /** The node at `place` finished with `action` (not called when it suspended); returns a mark for `started`. */
  readonly finished?: (node: AnyNode, place: P, action: string, fiber: Fiber.Fiber<unknown, unknown>) => unknown
  /** The node at `place` failed or was interrupted. */
  readonly failed?: (node: AnyNode, place: P, cause: Cause.Cause<unknown>, fiber: Fiber.Fiber<unknown, unknown>) => void
  /** Around a flow's whole run, its prep and post included. */
  readonly flow?: (flow: AnyFlow, place: P, body: Run<string | Suspended>) => Run<string | Suspended>
  /** Around one node's run (spans); `index` for a batch flow's run of its inner node. */
  readonly wrap?: <A>(node: AnyNode, place: P, body: Run<A>, index?: number) => Run<A>
  /** The flow at `place` goes from the node at `at` to `to` (`at`: where `from` ran, for a host that caches). */
  readonly transition?: (place: P, at: P, from: AnyNode, action: string, to: AnyNode) => void
  readonly unmatched?: (place: P, node: AnyNode, action: string, known: ReadonlyArray<string>) => void
  /** A batch of `total` items or runs starts; returns what to call after each one. */
  readonly progress?: (node: AnyNode, place: P, total: number) => (() => void) | undefined
  /**
   * The backlog of the subscriber the run at `place` reports to, when a full buffer makes it wait (`"suspend"`): the
   * walk waits on it before a flow's next step and a fan-out's next child while it is behind.
   */
  readonly backlog?: (place: P) => Backlog | undefined
}
