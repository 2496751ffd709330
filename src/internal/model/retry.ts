/**
 * The retry schedule for model calls (`OpenAi.retry`, the agent's default): it reads the `AiError` it is given, so a
 * 429 waits what the provider said, transient failures back off, and failures that cannot change on a retry stop at
 * once. It sleeps on the `Clock` (like every `Schedule` under `Effect.retry`), so tests drive it with `TestClock`.
 */
import * as AiError from "effect/ai/AiError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** Retries after the first failure, at most. */
export const times = 5

/** The first back-off; each next one doubles, with ±20% jitter, up to `cap`. */
export const base = Duration.millis(500)
export const cap = Duration.seconds(30)

/** The HTTP status a provider answered with, when the error carries one. */
const statusOf = (error: AiError.AiError): number | undefined => {
  const http = (error.reason as { readonly http?: { readonly response?: { readonly status?: unknown } } }).http
  const status = http?.response?.status
  return typeof status === "number" ? status : undefined
}

/**
 * Whether a model call that failed with `error` may succeed when sent again: a rate limit (429), a provider's 5xx, a
 * dropped connection or a timeout, an unreadable response. Any other 4xx (a bad request, a bad key, no quota) would
 * fail the same way again.
 */
export const retryable = (error: unknown): boolean => {
  if (!AiError.isAiError(error)) return false
  const status = statusOf(error)
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return false
  return error.isRetryable
}

/** The delay before the next attempt: the provider's `retry-after` when it sent one, else the back-off. */
const delayOf = (error: unknown, backoff: Duration.Duration): Duration.Duration =>
  (AiError.isAiError(error) ? error.retryAfter : undefined) ?? Duration.min(backoff, cap)

export const schedule: Schedule.Schedule<Duration.Duration, AiError.AiError> = Schedule.exponential(base, 2).pipe(
  Schedule.jittered,
  Schedule.setInputType<AiError.AiError>(),
  Schedule.modifyDelay(({ duration, input }) => Effect.succeed(delayOf(input, duration))),
  Schedule.while(({ attempt, input }) => attempt <= times && retryable(input))
)
