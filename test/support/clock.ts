/** Time in tests runs on the TestClock: helpers for effects that sleep. */
import { type Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"

/** Runs `self` in the background, moves the TestClock on by `by`, and joins it. */
export const advancing = <A, E, R>(self: Effect.Effect<A, E, R>, by: Duration.Input = "1 minute") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(self)
    yield* TestClock.adjust(by)
    return yield* Fiber.join(fiber)
  })
