/** Helpers for the durable tests: the outcomes and failures they expect, and a crash in the middle of a step. */
import { assert } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option } from "effect"
import { Checkpointer, type Durable, type Errors } from "../../src/index.ts"

/** The outcome, which must be `Suspended`. */
export const suspended = <A>(outcome: Durable.Outcome<A>) => {
  if (outcome._tag !== "Suspended") throw new Error(`expected Suspended, got ${outcome._tag}`)
  return outcome
}

/** The typed failure of `effect`, which must fail with one (dies otherwise). */
export const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.die(new Error("expected a failure, got a success"))
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) return Effect.die(new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`))
    return Effect.succeed(error.value)
  })

/** Checks that `error` is a CheckpointError for `reason`, whose detail includes `detail` when given. */
export const assertCheckpointError = (
  error: { readonly _tag: string },
  reason: Errors.CheckpointError["reason"],
  detail?: string
): void => {
  assert.strictEqual(error._tag, "CheckpointError")
  const e = error as Errors.CheckpointError
  assert.strictEqual(e.reason, reason)
  if (detail !== undefined) assert.include(e.detail, detail)
}

/** An error's own fields (with `_tag`), for exact comparison. */
export const fields = (error: object): Record<string, unknown> => ({ ...error })

/** The answers stored in run `id`'s inbox. */
export const answersOf = (id: string) => Effect.flatMap(Checkpointer.Checkpointer, (cp) => cp.answers(id))

/** Runs `effect` until `started` fires, then interrupts it: the crash. */
export const crashWhen = <A, E, R>(effect: Effect.Effect<A, E, R>, started: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* Deferred.await(started)
    yield* Fiber.interrupt(fiber)
  })
