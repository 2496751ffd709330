/**
 * The step fiber, shared by both durable engines (`Durable.run` and `Durable.toWorkflow`): each step of a durable walk
 * runs in a fiber of its own, with the step in its context (what `ask` and `Durable.StepKey` read). An `ask` without
 * an answer interrupts that fiber alone — a fiber interrupting itself inside a plain `Effect.forEach` would take its
 * siblings down with it — and the step ends `SUSPENDED`.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Schema from "effect/Schema"
import type { CheckpointError, ChildFailed, InputTimeout } from "../../Errors.ts"
import type { Json } from "../json.ts"
import { SUSPENDED, type Suspended } from "../walk/host.ts"

/** A human input as the engines see it (`Durable.input` makes one). */
export interface InputDef {
  readonly name: string
  readonly answer: Schema.Codec<any, any, never, never>
  readonly prompt: Schema.Codec<any, any, never, never> | undefined
  readonly answerSchema: Json
}

export interface AskOptions {
  readonly key?: string | undefined
  /** Milliseconds. */
  readonly timeout?: number | undefined
}

/** When a durable timer fires: at a time (epoch millis), or a duration (millis) after the first `sleep` of its key. */
export type Wake = { readonly until: number } | { readonly duration: number }

/** A child run to start or join: its flow's name, its id and its initial stores (their JSON encodings). */
export interface ChildRequest {
  readonly flow: string
  readonly id: string
  readonly stores: { readonly [key: string]: Json }
}

/** How a child run ended, as its parent's `Durable.child` returns it (a failed child is `ChildFailed`). */
export type ChildOutcome =
  | { readonly _tag: "Done"; readonly action: string; readonly steps: number }
  | { readonly _tag: "Interrupted"; readonly steps: number }

/** The step running in the current fiber. */
export interface Step {
  /** The step id: `root/node#visit/…`. */
  readonly id: string
  /** The path without visits, as in events: `root/node`. */
  readonly path: string
  /** How many times each input was asked in this step (the `#n` of sequential asks). */
  readonly counters: Map<string, number>
  /** The engine's answer for the input at `key`: from its inbox or journal, or suspend. */
  readonly ask: (
    step: Step,
    input: InputDef,
    key: string,
    prompt: unknown,
    options: AskOptions | undefined
  ) => Effect.Effect<unknown, InputTimeout>
  /** The engine's durable timer at `key`: return when it is due, or suspend until then. */
  readonly sleep: (step: Step, key: string, wake: Wake) => Effect.Effect<void>
  /** The engine's child run at `key`: its outcome once it ended, or suspend until then. */
  readonly child: (
    step: Step,
    key: string,
    request: ChildRequest
  ) => Effect.Effect<ChildOutcome, ChildFailed | CheckpointError>
  /** Set by `ask` (or `sleep`, `child`) when it suspends the step. */
  suspended: boolean
  /** The engine's record of the sub-step `name` (see `memo`). */
  readonly memo: Memo
}

/**
 * How an engine keeps a sub-step of a step: the value `body` succeeded with the first time, encoded with `codec`, given
 * back without running `body` when the step runs again (`Durable.run`: a record next to batch items; the workflow
 * host: an activity).
 */
export type Memo = (
  step: Step,
  name: string,
  codec: Schema.Codec<any, any, never, never>,
  body: Effect.Effect<unknown, unknown, unknown>
) => Effect.Effect<unknown, unknown, unknown>

export const CurrentStep = Context.Reference<Step | undefined>("effect-pocketflow/Durable/CurrentStep", {
  defaultValue: () => undefined
})

export const StepKey = Context.Reference<string | undefined>("effect-pocketflow/Durable/StepKey", {
  defaultValue: () => undefined
})

/**
 * A sub-step of the running step, named `name` (unique within the step; the same on every run of it). Inside a durable
 * step its value is kept once `body` succeeds, so a step that runs again after a crash or a suspension gets the kept
 * value instead of running `body` again (a model call, a tool call: what an agent does several times within one node).
 * Outside a durable step it is `body`. Failures are not kept: a failed sub-step runs again. `body` must not `ask`: on the
 * cluster workflow engine a sub-step's activity runs in a fiber of its own, which a suspension cannot stop the step
 * with; ask before or after it, in the step.
 */
export const memo = <A, E, R>(
  name: string,
  codec: Schema.Codec<A, any, never, never>,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const step = fiber.getRef(CurrentStep)
    return step === undefined ? body : step.memo(step, name, codec, body) as Effect.Effect<A, E, R>
  })

/**
 * Interrupts the asking fiber the way `Workflow.suspend` does: the fiber interrupts itself from the outside, so no
 * `catchCause`, `exit` or `sandbox` in user code can turn the suspension into a value.
 */
export const suspend = (step: Step): Effect.Effect<never> =>
  Effect.suspend(() => {
    step.suspended = true
    // Yield before suspending, so concurrent asks of the same step register their inputs too.
    return Effect.andThen(
      Effect.yieldNow,
      Effect.interruptible(Effect.callback<never>(() => {
        const fiber = Fiber.getCurrent()!
        fiber.interruptUnsafe(fiber.id)
      }))
    )
  })

/**
 * Runs `body` as the step `step` in a fiber of its own, `key` its `Durable.StepKey`. Succeeds with the body's value,
 * or `SUSPENDED` when an ask suspended it.
 */
export const inStep = <A>(
  step: Step,
  key: string,
  body: Effect.Effect<A, unknown, unknown>
): Effect.Effect<A | Suspended, unknown, unknown> =>
  Effect.flatMap(
    Effect.forkChild(Effect.provideService(Effect.provideService(body, CurrentStep, step), StepKey, key), {
      startImmediately: true
    }),
    (fiber) =>
      Effect.flatMap(Fiber.await(fiber), (exit): Effect.Effect<A | Suspended, unknown> => {
        if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
        if (step.suspended && Cause.hasInterruptsOnly(exit.cause)) return Effect.succeed(SUSPENDED)
        return Effect.failCause(exit.cause)
      })
  )
