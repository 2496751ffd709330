/** Helpers for the worker tests: waiting for a forked worker to get somewhere, on the TestClock or in real time. */
import { Effect, Option } from "effect"
import { Durable } from "../../src/index.ts"

/**
 * Yields (up to `tries` times, `pause` of real time between tries when given) until `condition` holds: a forked
 * worker runs between two tries. Dies naming `what` when it never holds.
 */
export const eventually = <E, R>(
  what: string,
  condition: Effect.Effect<boolean, E, R>,
  options: { readonly tries?: number; readonly pause?: number } = {}
) =>
  Effect.gen(function*() {
    const tries = options.tries ?? 200
    for (let i = 0; i < tries; i++) {
      if (yield* condition) return
      yield* options.pause === undefined ?
        Effect.yieldNow :
        Effect.promise(() => new Promise((done) => setTimeout(done, options.pause)))
    }
    return yield* Effect.die(new Error(`never happened: ${what}`))
  })

/** The run's status, or "missing". */
export const statusOf = (id: string) =>
  Effect.map(Durable.get(id), (s) => Option.isSome(s) ? s.value.status : "missing")

/** Waits until run `id` has `status`. */
export const until = (id: string, status: string, options?: { readonly tries?: number; readonly pause?: number }) =>
  eventually(`run ${id} is ${status}`, Effect.map(statusOf(id), (s) => s === status), options)
