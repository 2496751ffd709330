/**
 * A node's exec policy: retry, timeout and fallback, wrapped around `exec` once, when the node is made.
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import { NodeTimeout } from "../Errors.ts"
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
  const { fallback, node, retry, timeout } = policy
  const timed = timeout === undefined ? exec : (input: I) =>
    Effect.timeoutOrElse(exec(input), {
      duration: timeout,
      orElse: () => Effect.fail(new NodeTimeout({ node, timeout }))
    })
  // The observation hooks sit on the failure path only: a successful attempt pays nothing for them.
  const recover = fallback === undefined
    ? (_input: I, error: unknown) => Effect.fail(error)
    : (input: I, error: unknown) => Effect.andThen(fallbackUsed(node, error), fallback(input, error))
  if (retry === undefined) {
    return fallback === undefined ? timed : (input) => Effect.catch(timed(input), (error) => recover(input, error))
  }
  const schedule = toSchedule(retry)
  return (input) =>
    Effect.flatMap(Schedule.toStep(schedule), (step) => {
      const attempt = (n: number): Effect.Effect<unknown, unknown, unknown> =>
        Effect.catch(
          Effect.provideService(timed(input), CurrentAttempt, n),
          (error) =>
            Effect.flatMap(
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Pull.catchDone(
                  Effect.map(step(now, error), ([, delay]) => delay as Duration.Duration | undefined),
                  () => Effect.succeed(undefined)
                )),
              (delay) =>
                delay === undefined
                  ? recover(input, error)
                  : Effect.andThen(
                    retryScheduled(node, n, error, delay),
                    Effect.andThen(Effect.sleep(delay), Effect.suspend(() => attempt(n + 1)))
                  )
            )
        )
      return attempt(1)
    })
}
