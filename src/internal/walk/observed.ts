/**
 * The observed host: the walk with events for a `Flow.events` subscriber and spans for a tracer (see `report.ts`). Its
 * place is the node's `Observation`, which it also puts in the fiber's context while a plain node runs, so retries,
 * fallbacks and `Flow.emit` inside it report with the node's path.
 */
import * as Effect from "effect/Effect"
import { program } from "../defaults.ts"
import { type AnyNode, toAction } from "../node.ts"
import { CurrentObservation, type Observation } from "../observation.ts"
import type { Complete, Host } from "./host.ts"
import { cached, childOf, type Place, place, reporting, spanOf } from "./report.ts"
import { around, root, walk } from "./walk.ts"

const commit = (
  _: unknown,
  post: Effect.Effect<unknown, unknown, unknown> | undefined,
  last: string,
  complete: Complete
): Effect.Effect<string, unknown, unknown> =>
  post === undefined
    ? Effect.sync(() => {
      complete(last)
      return last
    })
    : Effect.map(post, (result) => {
      const action = toAction(result)
      complete(action)
      return action
    })

/** The host of observed runs. */
export const host: Host<Place> = {
  positions: false,
  visits: false,
  reuse: true,
  step: cached,
  child: (parent, node, index, batch) => batch ? childOf(parent, node, [...parent.runs, index]) : cached(parent, node),
  run: (node, def) => def === node.def ? node.raw : program(def),
  prep: (_, prep) => prep,
  commit,
  // One span per item, `BatchProgress` after each, the item index in retry and custom events.
  item: (node, def, p, index, item) => {
    let run = Effect.provideService(def.exec(item), CurrentObservation, { ...p, item: index })
    if (p.spans) {
      run = Effect.withSpan(run, `${node.name}[${index}]`, {
        attributes: {
          "pocketflow.node": node.name,
          "pocketflow.kind": "batch-item",
          "pocketflow.path": p.path,
          "pocketflow.index": index,
          "pocketflow.attempt": 1
        },
        captureStackTrace: false
      })
    }
    return run
  },
  ...reporting(true),
  wrap: spanOf
}

const noop: Complete = () => {}

/**
 * Runs the root of an observed run: a flow reports itself with `FlowStarted` / `FlowFinished`, any other node like a
 * flow's child (`NodeStarted` / `NodeFinished`).
 */
export const runRoot = (node: AnyNode, o: Observation): Effect.Effect<unknown, unknown, unknown> =>
  root(host, node, place(o), undefined, undefined, noop)

/** Runs `node` observed as a child of the node observed by `o` (a flow run from inside a node's exec). */
export const runChild = (node: AnyNode, o: Observation): Effect.Effect<unknown, unknown, unknown> => {
  const runs = o.item === undefined ? o.runs : [...o.runs, o.item]
  const p = childOf(place(o), node, runs)
  return around(host, node, p, walk(host, node, p, undefined, undefined, noop))
}
