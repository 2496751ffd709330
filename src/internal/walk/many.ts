/**
 * The one fan-out: `Node.batch` items, `Flow.batch` parameter sets and `Flow.parallel` branches all run their
 * children here. Results come back in child order whatever order the children finish in; at most `concurrency` run
 * at once; a failing child interrupts the others (`Effect.forEach`); a child that suspends (a durable ask) lets its
 * siblings finish or suspend too, and the whole fan-out suspends. Children restored from a checkpoint are not run.
 */
import * as Effect from "effect/Effect"
import { SUSPENDED, type Suspended } from "./host.ts"

export interface Children<X> {
  readonly count: number
  readonly concurrency: number | "unbounded"
  /** A child's result restored from a checkpoint, or `undefined` to run it. */
  readonly restored?: ((index: number) => X | undefined) | undefined
  /** Runs child `index`. */
  readonly run: (index: number) => Effect.Effect<X | Suspended, unknown, unknown>
  /** Called after each child finishes (progress events). */
  readonly finished?: (() => void) | undefined
}

const range = (n: number): Array<number> => {
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = i
  return out
}

/** Runs the children; their results in order, or `SUSPENDED` when any child suspended. */
export const many = <X>(children: Children<X>): Effect.Effect<Array<X> | Suspended, unknown, unknown> => {
  const { concurrency, count, finished, restored, run } = children
  if (restored === undefined && finished === undefined) {
    // The common case (a plain or observed batch): nothing to skip or report, so `Effect.forEach` alone.
    return Effect.map(Effect.forEach(range(count), run, { concurrency }), (results) => {
      for (let i = 0; i < results.length; i++) if (results[i] === SUSPENDED) return SUSPENDED
      return results as Array<X>
    })
  }
  return Effect.suspend(() => {
    const results = new Array<X>(count)
    let suspended = false
    return Effect.map(
      Effect.forEach(range(count), (i) => {
        const saved = restored?.(i)
        if (saved !== undefined) {
          results[i] = saved
          return Effect.void
        }
        return Effect.map(run(i), (x) => {
          if (x === SUSPENDED) {
            suspended = true
          } else {
            results[i] = x
            finished?.()
          }
        })
      }, { concurrency, discard: true }),
      () => suspended ? SUSPENDED : results
    )
  })
}
