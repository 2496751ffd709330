/**
 * A node's exec policy: cache, retry, limits, timeout and fallback, wrapped around `exec` once, when the node is made
 * (and once more per flow defaults it runs under, see `defaults.ts`). From the outside in: the cache (a hit skips the
 * rest), the retries, and for each attempt its limits' permits, then its timeout; the fallback replaces the result of
 * the last failed attempt, and is never cached.
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import { NodeTimeout } from "../Errors.ts"
import { cached, type CacheOptions } from "./cache.ts"
import { withPermits } from "./limits.ts"
import { CurrentAttempt } from "./node.ts"
import { fallbackUsed, retryScheduled } from "./observation.ts"

export type RetryOptions =
  | Schedule.Schedule<unknown, any, never, never>
  | {
    readonly times?: number | undefined
    readonly schedule?: Schedule.Schedule<unknown, any, never, never> | undefined
    readonly while?: ((error: any) => boolean) | undefined
  }

export interface Policy {
  readonly node: string
  readonly retry?: RetryOptions | undefined
  /** Already checked by `checkTimeout`. */
  readonly timeout?: Duration.Duration | undefined
  readonly fallback?: ((input: any, error: any) => Effect.Effect<any, any, any>) | undefined
  /** Already checked by `checkCache`; used only with `resultSchema`. */
  readonly cache?: CacheOptions | undefined
  /** The limits each attempt takes a permit of (already checked; empty: none). */
  readonly limit?: ReadonlyArray<string> | undefined
  readonly resultSchema?: Schema.Codec<any, any, never, never> | undefined
}

const toSchedule = (retry: RetryOptions): Schedule.Schedule<unknown, any, never, never> => {
  if (Schedule.isSchedule(retry)) return retry as Schedule.Schedule<unknown, any, never, never>
  let schedule: Schedule.Schedule<unknown, any, never, never> = retry.schedule ?? Schedule.forever
  const times = retry.times
  if (times !== undefined) {
    schedule = Schedule.while(schedule, ({ attempt }) => attempt <= times)
  }
  const predicate = retry.while
  if (predicate !== undefined) {
    schedule = Schedule.while(schedule, ({ input }) => predicate(input))
  }
  return schedule
}

/**
 * Wraps `exec` with the node's policy. Without a policy the function is returned as is, so a plain
 * node pays nothing for features it does not use.
 */
export const withPolicy = <I>(
  exec: (input: I) => Effect.Effect<unknown, unknown, unknown>,
  policy: Policy
): (input: I) => Effect.Effect<unknown, unknown, unknown> => {
  const { cache, fallback, limit, node, resultSchema, retry, timeout } = policy
  const timed = timeout === undefined ? exec : (input: I) =>
    Effect.timeoutOrElse(exec(input), {
      duration: timeout,
      orElse: () => Effect.fail(new NodeTimeout({ node, timeout }))
    })
  const limited = limit === undefined || limit.length === 0
    ? timed
    : (input: I) => withPermits(node, limit, timed(input))
  const attempts = retry === undefined ? limited : retrying(node, limited, toSchedule(retry))
  const kept = cache === undefined || resultSchema === undefined
    ? attempts
    : (input: I) => cached(node, cache, resultSchema, input, attempts(input))
  if (fallback === undefined) return kept
  // The observation hooks sit on the failure path only: a successful attempt pays nothing for them.
  return (input) =>
    Effect.catch(kept(input), (error) => Effect.andThen(fallbackUsed(node, error), fallback(input, error)))
}

/** Attempts `attempt` until it succeeds or `schedule` gives up, with `CurrentAttempt` set for each. */
const retrying = <I>(
  node: string,
  attempt: (input: I) => Effect.Effect<unknown, unknown, unknown>,
  schedule: Schedule.Schedule<unknown, any, never, never>
) =>
(input: I): Effect.Effect<unknown, unknown, unknown> =>
  Effect.flatMap(Schedule.toStep(schedule), (step) => {
    const run = (n: number): Effect.Effect<unknown, unknown, unknown> =>
      Effect.catch(
        Effect.provideService(attempt(input), CurrentAttempt, n),
        (error) =>
          Effect.flatMap(
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Pull.catchDone(
                Effect.map(step(now, error), ([, delay]) => delay as Duration.Duration | undefined),
                () => Effect.succeed(undefined)
              )),
            (delay) =>
              delay === undefined
                ? Effect.fail(error)
                : Effect.andThen(
                  retryScheduled(node, n, error, delay),
                  Effect.andThen(Effect.sleep(delay), Effect.suspend(() => run(n + 1)))
                )
          )
      )
    return run(1)
  })
