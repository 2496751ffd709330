/**
 * The plain host: a node's own program when nobody observes or saves the run (`node.raw`, what `Flow.run` and
 * `yield* node` execute). Batches, batch flows and parallel blocks walk with `walk.ts`; a flow's loop is a
 * hand-tuned copy of the walk's (no hooks, no places: a step costs a few primitives, and each extra one shows), and
 * it too moves only by `cursor.advance`.
 */
import * as Effect from "effect/Effect"
import { CurrentDefaults, program } from "../defaults.ts"
import { type AnyFlow, type AnyNode, CurrentAttempt, toAction } from "../node.ts"
import { child, CurrentObservation, root, spansWanted } from "../observation.ts"
import * as Cursor from "./cursor.ts"
import type { Complete, Host } from "./host.ts"
import { runChild, runRoot } from "./observed.ts"
import { step } from "./program.ts"
import { locate, walk } from "./walk.ts"

const host: Host<undefined> = {
  positions: false,
  visits: false,
  reuse: true,
  step: () => undefined,
  child: () => undefined,
  // A def other than the node's own is the node under a flow's defaults.
  run: (node, def) => def === node.def ? node.raw : program(def),
  prep: (_, prep) => prep,
  commit: (_, post, last, complete) =>
    post === undefined
      ? Effect.sync(() => {
        complete(last)
        return last
      })
      : Effect.map(post, (result) => {
        const action = toAction(result)
        complete(action)
        return action
      }),
  item: (_, def, __, ___, item) => def.exec(item)
}

const noop: Complete = () => {}

/** A batch node's, batch flow's or parallel block's program. */
export const composite = (node: AnyNode): Effect.Effect<unknown, unknown, unknown> =>
  Effect.suspend(() => walk(host, node, undefined, undefined, undefined, noop))

const loop = (flow: AnyFlow): Effect.Effect<string, unknown, unknown> => {
  const graph = flow.graph
  return Effect.suspend(() => {
    const cursor = Cursor.fresh(flow)
    let current = flow.def.start
    const step = (node: AnyNode): Effect.Effect<string, unknown, unknown> => {
      if (Cursor.enter(graph, cursor, node) === 0) return Effect.fail(Cursor.exceeded(flow, node))
      current = node
      return Effect.flatMap(node.raw, after)
    }
    const after = (result: unknown): Effect.Effect<string, unknown, unknown> => {
      const action = toAction(result)
      const next = Cursor.advance(graph, cursor, current, action)
      return next !== undefined
        ? step(next)
        : Cursor.ended(flow, current, action, Cursor.unmatched(graph, current, action))
    }
    return Effect.catchCause(step(flow.def.start), (cause) => locate(flow.def.name, current)(cause))
  })
}

/**
 * A flow's program. Unobserved, it is the loop with the flow's prep and post. Observed — a `Flow.events` subscriber
 * or a tracer up the fiber — it runs under the observed host instead, as the root of the run or, when an observed
 * node runs it from its exec, as that node's child (with the item index of a batch item, so concurrent runs can be
 * told apart). With defaults in force (its own or a flow's it runs in), the walk runs it with the plain host, which
 * applies them to each node; the hand-tuned loop never looks at defaults.
 */
export const flow = (self: AnyFlow): Effect.Effect<unknown, unknown, unknown> => {
  const { post, prep } = self.def
  const body = loop(self)
  const plain = prep === undefined
    ? post === undefined ? body : Effect.flatMap(body, (last) => post(undefined, last))
    : Effect.flatMap(prep, (p) => post === undefined ? body : Effect.flatMap(body, (last) => post(p, last)))
  const raw: Effect.Effect<unknown, unknown, unknown> = Effect.withFiber((fiber) => {
    // A sub-flow run from a retrying node's exec starts its own nodes at attempt 1.
    if (fiber.getRef(CurrentAttempt) !== 1) return Effect.provideService(raw, CurrentAttempt, 1)
    const o = fiber.getRef(CurrentObservation)
    if (o === undefined) {
      if (spansWanted(fiber)) return runRoot(self, root(fiber, self, undefined, true))
      if (self.def.defaults === undefined && fiber.getRef(CurrentDefaults) === undefined) return plain
      return walk(host, self, undefined, undefined, undefined, noop)
    }
    return runChild(self, o)
  })
  return raw
}

export { child, step }
