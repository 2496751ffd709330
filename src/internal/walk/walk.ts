/**
 * The walk: runs any node under any host. A flow follows `cursor.advance` from node to node in one fiber, with
 * constant stack and memory; batch nodes, batch flows and parallel blocks fan out through `many`; a composite's
 * prep and post run where the host says. The walk keeps the position tree up to date when the host records
 * positions, frames defects with the node and flow they came from, and reports through the host's hooks.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { StackFrame } from "effect/References"
import { CheckpointError, InvalidBatchItems } from "../../Errors.ts"
import * as Defaults from "../defaults.ts"
import {
  type AnyFlow,
  type AnyNode,
  type BatchDef,
  type BatchFlowDef,
  describe,
  isIterable,
  type ParallelDef,
  toAction
} from "../node.ts"
import * as Cursor from "./cursor.ts"
import { type Complete, type Host, SUSPENDED, type Suspended } from "./host.ts"
import { many } from "./many.ts"

type Result = Effect.Effect<unknown, unknown, unknown>

/**
 * Runs `node` at `place`. `saved` is its position in a checkpoint (to continue from), `live` the object its position
 * is recorded into (when the host records positions), `complete` records its action in its parent. Succeeds with the
 * node's result — its action, a plain node's raw post result (normalise it with `toAction`), or `SUSPENDED`.
 */
export const walk = <P>(
  host: Host<P>,
  node: AnyNode,
  place: P,
  saved: Cursor.Position | undefined,
  live: Cursor.Position | undefined,
  complete: Complete
): Result => {
  const def = node.def
  switch (def._tag) {
    case "Step":
      return Effect.withFiber((fiber) => {
        const d = fiber.getRef(Defaults.CurrentDefaults)
        return host.run(node, d === undefined ? def : Defaults.step(def, d), place, tallied(host, complete))
      })
    case "Batch":
      return Effect.withFiber((fiber) => {
        const d = fiber.getRef(Defaults.CurrentDefaults)
        return batch(
          host,
          node,
          d === undefined ? def : Defaults.batch(def, d),
          place,
          saved,
          live,
          tallied(host, complete)
        )
      })
    case "Flow":
      return flow(host, node as AnyFlow, place, saved as Cursor.FlowPosition | undefined, live, complete)
    case "BatchFlow":
    case "Parallel":
      return fanOut(host, node, def, place, saved as Cursor.ManyPosition | undefined, live, complete)
  }
}

/** A node run as the root of a walk or as a fan-out's child: the host's span and start/finish/fail reports. */
export const around = <P>(host: Host<P>, node: AnyNode, place: P, body: Result): Result => {
  const { failed, finished, started } = host
  const wrapped = host.wrap === undefined ? body : host.wrap(node, place, body)
  if (started === undefined) return wrapped
  return Effect.withFiber((fiber) => {
    started(node, place, fiber)
    return Effect.onExitPrimitive(wrapped, (exit) => {
      if (Exit.isFailure(exit)) failed?.(node, place, exit.cause, fiber)
      else if (exit.value !== SUSPENDED) finished?.(node, place, toAction(exit.value), fiber)
      return undefined
    })
  })
}

/**
 * Runs `node` as the root of a walk: a flow reports itself (`host.flow`) inside its span, any other node is reported
 * like a flow's child.
 */
export const root = <P>(
  host: Host<P>,
  node: AnyNode,
  place: P,
  saved: Cursor.Position | undefined,
  live: Cursor.Position | undefined,
  complete: Complete
): Result => {
  const body = walk(host, node, place, saved, live, complete)
  if (node.def._tag !== "Flow") return around(host, node, place, body)
  return host.wrap === undefined ? body : host.wrap(node, place, body)
}

const tallied = <P>(host: Host<P>, complete: Complete): Complete => {
  const tally = host.tally
  return tally === undefined ? complete : (action) => {
    tally()
    complete(action)
  }
}

const pathOf = (node: AnyNode, place: unknown): string =>
  typeof place === "object" && place !== null && typeof (place as { path?: unknown }).path === "string"
    ? (place as { path: string }).path
    : node.name

/** Checks what a batch's prep produced: an iterable (not a string), and the same items a checkpoint started with. */
export const itemsOf = (
  node: AnyNode,
  prepared: unknown,
  savedFp: string | undefined,
  place: unknown
): Array<unknown> | Effect.Effect<never, unknown> => {
  if (!isIterable(prepared)) {
    return Effect.die(new InvalidBatchItems({ node: node.name, flow: undefined, received: describe(prepared) }))
  }
  const items = Array.from(prepared)
  if (savedFp !== undefined) {
    const fp = Cursor.fingerprint(items)
    if (fp !== savedFp) {
      return Effect.fail(
        new CheckpointError({
          reason: "batch items changed",
          detail: `${pathOf(node, place)}: prep produced different items on resume (${savedFp} before, ${fp} now)`
        })
      )
    }
  }
  return items
}

const flow = <P>(
  host: Host<P>,
  node: AnyFlow,
  place: P,
  saved: Cursor.FlowPosition | undefined,
  live: Cursor.Position | undefined,
  complete: Complete
): Result => {
  const { post, prep } = node.def
  const cursor = (live ?? {}) as Cursor.Cursor
  const body = prep === undefined
    ? Effect.flatMap(loop(host, node, place, cursor, saved), (last) =>
      last === SUSPENDED
        ? Effect.succeed(SUSPENDED)
        : host.commit(place, post === undefined ? undefined : post(undefined, last), last, complete))
    : Effect.flatMap(
      host.prep(place, prep),
      (p) =>
        p === SUSPENDED ?
          Effect.succeed(SUSPENDED) :
          Effect.flatMap(loop(host, node, place, cursor, saved), (last) =>
            last === SUSPENDED
              ? Effect.succeed(SUSPENDED)
              : host.commit(place, post === undefined ? undefined : post(p, last), last, complete))
    )
  // A flow with defaults puts them in force for its nodes and nested flows (its own over those it runs under).
  const own = node.def.defaults
  const applied = own === undefined ?
    body :
    Effect.withFiber((fiber) =>
      Effect.provideService(body, Defaults.CurrentDefaults, Defaults.merge(fiber.getRef(Defaults.CurrentDefaults), own))
    )
  return host.flow === undefined ? applied : host.flow(node, place, applied)
}

/** A flow's steps: the loop every host shares (`plain.ts` keeps a hand-tuned copy for unobserved runs). */
const loop = <P>(
  host: Host<P>,
  flow: AnyFlow,
  place: P,
  cursor: Cursor.Cursor,
  saved: Cursor.FlowPosition | undefined
): Effect.Effect<string | Suspended, unknown, unknown> =>
  Effect.withFiber((fiber) => {
    const first = Cursor.start(flow, cursor, saved, host.visits)
    const graph = flow.graph
    if (first === undefined) return Effect.succeed(cursor.last ?? "default")
    const { failed, finished, positions, started, tally, transition, unmatched, wrap } = host
    const backlog = host.backlog?.(place)
    // The defaults in force for this flow's nodes (read once per run).
    const defaults = fiber.getRef(Defaults.CurrentDefaults)
    let restore = saved?.inner
    let current = first
    // The place of the step in flight (reported if it fails) and, once it completed, where the cursor goes.
    let at: P | undefined
    // `null` until the step completed; then the next node, or `undefined` when the walk ends there.
    let decision: AnyNode | undefined | null = null
    const complete = (action: string) => {
      decision = Cursor.advance(graph, cursor, current, action)
    }
    const after = (result: unknown): Effect.Effect<string | Suspended, unknown, unknown> => {
      if (result === SUSPENDED) return Effect.succeed(SUSPENDED)
      const node = current
      const action = toAction(result)
      if (decision === null) complete(action)
      const p = at!
      const mark = finished === undefined ? undefined : finished(node, p, action, fiber)
      at = undefined
      const next = decision
      if (next !== undefined) {
        if (transition !== undefined) transition(place, p, node, action, next!)
        // The subscriber is behind: the next step starts once it has room (and reads the clock afresh then).
        if (backlog !== undefined && backlog.behind) return Effect.andThen(backlog.wait, () => step(next!))
        return step(next!, mark)
      }
      const known = Cursor.unmatched(graph, node, action)
      if (known !== undefined && unmatched !== undefined) unmatched(place, node, action, known)
      return Cursor.ended(flow, node, action, known)
    }
    // A host whose places do not change between visits (observed) gets each node's place and program built on its
    // first visit in this run: a loop revisits the same few nodes, and building them is most of a step's cost.
    const slots = host.reuse
      ? new Map<AnyNode, readonly [P, Effect.Effect<string | Suspended, unknown, unknown>]>()
      : undefined
    const program = (
      node: AnyNode,
      p: P,
      childSaved: Cursor.Position | undefined,
      childLive: Cursor.Position | undefined
    ) => {
      const def = node.def
      const run = def._tag === "Step"
        ? host.run(
          node,
          defaults === undefined ? def : Defaults.step(def, defaults),
          p,
          tally === undefined ? complete : tallied(host, complete)
        )
        : walk(host, node, p, childSaved, childLive, complete)
      return Effect.flatMap(wrap === undefined ? run : wrap(node, p, run), after)
    }
    const step = (node: AnyNode, mark?: unknown): Effect.Effect<string | Suspended, unknown, unknown> => {
      const visit = Cursor.enter(graph, cursor, node)
      if (visit === 0) return Effect.fail(Cursor.exceeded(flow, node))
      current = node
      decision = null
      if (slots !== undefined) {
        let slot = slots.get(node)
        if (slot === undefined) {
          const p = host.step(place, node, visit)
          slots.set(node, slot = [p, program(node, p, undefined, undefined)])
        }
        at = slot[0]
        if (started !== undefined) started(node, slot[0], fiber, mark)
        return slot[1]
      }
      const p = host.step(place, node, visit)
      let childLive: Cursor.Position | undefined
      if (positions && node.def._tag !== "Step") cursor.inner = childLive = {}
      const childSaved = restore
      restore = undefined
      at = p
      if (started !== undefined) started(node, p, fiber, mark)
      return program(node, p, childSaved, childLive)
    }
    const walked = failed === undefined ? step(first) : Effect.onExitPrimitive(step(first), (exit) => {
      if (Exit.isFailure(exit) && at !== undefined) failed(current, at, exit.cause, fiber)
      at = undefined
      return undefined
    })
    return Effect.catchCause(walked, (cause) => locate(flow.def.name, current)(cause))
  })

/** A fan-out's child runner that, while the subscriber is behind, waits for it before starting the next child. */
const paced = <P, X>(
  host: Host<P>,
  place: P,
  run: (index: number) => Effect.Effect<X, unknown, unknown>
): (index: number) => Effect.Effect<X, unknown, unknown> => {
  const backlog = host.backlog?.(place)
  return backlog === undefined ? run : (i) => backlog.behind ? Effect.andThen(backlog.wait, () => run(i)) : run(i)
}

/** Batch flows and parallel blocks: children through `many`, each finished one recorded, then the post. */
const fanOut = <P>(
  host: Host<P>,
  node: AnyNode,
  def: BatchFlowDef | ParallelDef,
  place: P,
  saved: Cursor.ManyPosition | undefined,
  live: Cursor.Position | undefined,
  complete: Complete
): Result => {
  const record = live as Cursor.ManyPosition | undefined
  if (record !== undefined) {
    record.done = { ...saved?.done }
    record.running = {}
  }
  const done = record?.done ?? saved?.done
  const children = (sets: ReadonlyArray<unknown>): Result => {
    const isBatch = def._tag === "BatchFlow"
    const count = isBatch ? sets.length : (def as ParallelDef).branches.length
    const run = (i: number): Effect.Effect<string | Suspended, unknown, unknown> => {
      const child = isBatch ? (def as BatchFlowDef).inner : (def as ParallelDef).branches[i]!
      const p = host.child(place, child, i, isBatch)
      let childLive: Cursor.Position | undefined
      if (record !== undefined) record.running[i] = childLive = {}
      let completed = false
      const completeChild = (action: string) => {
        completed = true
        host.tally?.()
        if (record !== undefined) {
          delete record.running[i]
          record.done[i] = action
        }
      }
      let body = around(host, child, p, walk(host, child, p, saved?.running[i], childLive, completeChild))
      if (isBatch) {
        if (host.wrap !== undefined) body = host.wrap(node, place, body, i)
        body = Effect.provideService(body, (def as BatchFlowDef).params, sets[i])
      }
      return Effect.map(body, (r): string | Suspended => {
        if (r === SUSPENDED) return SUSPENDED
        const action = toAction(r)
        if (!completed) completeChild(action)
        return action
      })
    }
    return Effect.flatMap(
      many<string>({
        count,
        concurrency: def.concurrency,
        restored: done === undefined ? undefined : (i) => done[i],
        finished: isBatch ? host.progress?.(node, place, count) : undefined,
        run: paced(host, place, run)
      }),
      (actions) => {
        if (actions === SUSPENDED) return Effect.succeed(SUSPENDED)
        const post = def.post === undefined
          ? undefined
          : isBatch
          ? (def as BatchFlowDef).post!(sets, actions)
          : (def as ParallelDef).post!(actions)
        return host.commit(place, post, "default", complete)
      }
    )
  }
  if (def._tag === "Parallel") return children([])
  return Effect.flatMap(host.prep(place, def.prep), (prepared) => {
    if (prepared === SUSPENDED) return Effect.succeed(SUSPENDED)
    const sets = itemsOf(node, prepared, saved?.fp, place)
    if (!Array.isArray(sets)) return sets
    if (record !== undefined) record.fp = Cursor.fingerprint(sets)
    return children(sets)
  })
}

/** Batch nodes: prep, the items through `many` (skipping those a checkpoint kept), then the post. */
const batch = <P>(
  host: Host<P>,
  node: AnyNode,
  def: BatchDef,
  place: P,
  saved: Cursor.Position | undefined,
  live: Cursor.Position | undefined,
  complete: Complete
): Result => {
  if (host.batch !== undefined && def.resultSchema === undefined) return host.batch(node, def, place, complete)
  const savedFp = (saved as Cursor.BatchPosition | undefined)?.fp
  return Effect.flatMap(host.prep(place, def.prep), (prepared) => {
    if (prepared === SUSPENDED) return Effect.succeed(SUSPENDED)
    const items = itemsOf(node, prepared, savedFp, place)
    if (!Array.isArray(items)) return items
    if (live !== undefined) {
      const at = live as Cursor.BatchPosition
      at.fp = Cursor.fingerprint(items)
      if (def.resultSchema !== undefined && host.scope !== undefined) at.scope = host.scope(place)
    }
    const restore = host.restored === undefined
      ? Effect.succeed(undefined)
      : host.restored(def, place, savedFp === undefined)
    return Effect.flatMap(restore, (kept) =>
      Effect.flatMap(
        many<unknown>({
          count: items.length,
          concurrency: def.concurrency,
          restored: kept === undefined ? undefined : (i) => kept.get(i),
          finished: host.progress?.(node, place, items.length),
          run: paced(host, place, (i) => host.item(node, def, place, i, items[i]))
        }),
        (results) =>
          results === SUSPENDED
            ? Effect.succeed(SUSPENDED)
            : host.commit(place, def.post === undefined ? undefined : def.post(items, results), "default", complete)
      ))
  })
}

// ---------------------------------------------------------------------------------------------------
// defects: named with the node and flow they came from, in every host
// ---------------------------------------------------------------------------------------------------

/** Where a defect happened, kept on the die reason so outer flows can prefix their names. */
class Location extends Context.Service<Location, {
  /** Flow names from the outermost flow that saw the defect down to the node. */
  readonly path: ReadonlyArray<string>
  /** The stack frame the runtime had attached, kept under ours. */
  readonly frame: StackFrame | undefined
}>()("effect-pocketflow/Location") {}

const quote = (s: string) => JSON.stringify(s)

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
    const parent = inner === undefined
      ? die.annotations.get(Cause.StackTrace.key) as StackFrame | undefined
      : inner.frame
    const frame: StackFrame = {
      name: `node ${quote(path[path.length - 1]!)} in flow ${quote(path.slice(0, -1).join("/"))}`,
      stack: () => undefined,
      parent
    }
    return die.annotate(Context.make(Location, { path, frame: parent }).pipe(Context.add(Cause.StackTrace, frame)), {
      overwrite: true
    })
  })
  return Effect.failCause(changed ? Cause.fromReasons(reasons) : cause)
}
