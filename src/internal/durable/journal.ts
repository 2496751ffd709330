/**
 * The journal of the workflow host: each step an `effect/workflow` `Activity` named by its step id, run in a step fiber
 * (`step.ts`); posts serialised so that their `seq`s have no gaps and replays apply their patches in order; an ask
 * without an answer ending the activity with `Asked` and the next attempt waiting on the input's `DurableDeferred`.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as JsonPatch from "effect/JsonPatch"
import * as Schema from "effect/Schema"
import * as Activity from "effect/workflow/Activity"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import type { Json } from "../json.ts"
import { toAction } from "../node.ts"
import { describe, Run, service } from "./ask.ts"
import { encodeAll, type Slot } from "./snapshot.ts"
import { CurrentStep, type Step, StepKey, suspend } from "./step.ts"

/** Answers travel as their schema's JSON encoding: the deferred is named by the input key alone. */
export const deferredOf = (key: string) => DurableDeferred.make(key, { success: Schema.Json })

/**
 * What one activity journals. The activity's schema is plain `Schema.Json`: effect/workflow builds the codecs again
 * for every activity, and a union of structs costs more per step to build and check.
 */
export type Journaled =
  | { readonly _tag: "Done"; readonly action: string; readonly seq: number; readonly patch: Json }
  | { readonly _tag: "Item"; readonly value: Json }
  | { readonly _tag: "Asked"; readonly key: string; readonly input: string }

/** One execution of the workflow body. */
export interface Ctx {
  readonly id: string
  readonly slots: ReadonlyArray<Slot>
  readonly error: Schema.Top
  /** Patches applied so far (journaled or made here): the last `seq`. */
  applied: number
  /** Activities called and not yet known to be fresh or applied: a fresh post waits for them (see `commit`). */
  pending: number
  /** A post is running or its result is not journaled yet. */
  locked: boolean
  waiters: Array<Deferred.Deferred<void>>
  /** Activities that ran in this execution of the body (their patches are already in the stores). */
  readonly fresh: Set<string>
  readonly answers: Map<string, Json>
}

const notify = (ctx: Ctx) => {
  const waiters = ctx.waiters
  ctx.waiters = []
  for (const w of waiters) Deferred.doneUnsafe(w, Exit.void)
}

/** Waits until `cond` holds and the lock is free, then takes the lock (check and take in one synchronous step). */
const claim = (ctx: Ctx, cond: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!ctx.locked && cond()) {
      ctx.locked = true
      return Effect.void
    }
    const w = Deferred.makeUnsafe<void>()
    ctx.waiters.push(w)
    return Effect.andThen(Deferred.await(w), claim(ctx, cond))
  })

const unlock = (ctx: Ctx) => {
  ctx.locked = false
  notify(ctx)
}

const applyPatch = (ctx: Ctx, patch: JsonPatch.JsonPatch) => {
  const next = JsonPatch.apply(patch, encodeAll(ctx.slots)) as { [key: string]: Json }
  for (const slot of ctx.slots) {
    const encoded = next[slot.key]!
    if (encoded === slot.lastEncoded) continue
    slot.cell.ref.ref.current = slot.lastState = slot.decode(encoded)
    slot.lastEncoded = encoded
  }
}

interface WorkflowStep extends Step {
  readonly ctx: Ctx
  asked: { readonly key: string; readonly input: string } | undefined
}

/** How an activity answers an ask: the answer the body collected for this key, or end the step with `Asked`. */
const journaled: Step["ask"] = (step, input, key, _prompt, options) => {
  const s = step as WorkflowStep
  if (options?.timeout !== undefined) {
    return Effect.die(
      new Error(
        `Durable input ${JSON.stringify(input.name)} was asked with a timeout: Durable.toWorkflow does not support ` +
          `ask timeouts (Durable.run does); ask without one, or put a deadline in the node`
      )
    )
  }
  const answer = s.ctx.answers.get(key)
  if (answer !== undefined) return Effect.orDie(Schema.decodeUnknownEffect(input.answer)(answer))
  if (s.asked === undefined) s.asked = { key, input: input.name }
  return suspend(step)
}

/**
 * Timers and child runs are `Durable.run`'s (and its worker's): a workflow step ends only by finishing or asking, so
 * either one is refused with a defect naming what to use instead.
 */
const unsupported = (what: string) =>
  Effect.die(
    new Error(
      `${what} inside Durable.toWorkflow: timers and child runs are supported by Durable.run and Durable.worker, ` +
        `not (yet) by the workflow adapter`
    )
  )
const sleepNot: Step["sleep"] = () => unsupported("Durable.sleep was called")
const childNot: Step["child"] = (_step, _key, request) =>
  unsupported(`Durable.child ${JSON.stringify(request.id)} was called`)

/**
 * How an activity keeps a sub-step (`step.memo`): as an activity of its own, named by the step id (not the attempt: a
 * step asked again after an answer finds the sub-steps of its earlier attempts) and the sub-step's name, its value
 * journaled in its JSON encoding.
 */
const subActivity: Step["memo"] = (step, name, codec, body) =>
  Effect.flatMap(
    Activity.make({
      name: `${step.id}/memo/${name}`,
      success: Schema.Json,
      error: (step as WorkflowStep).ctx.error as Schema.Codec<unknown>,
      execute: Effect.flatMap(body, (value) => Effect.orDie(Schema.encodeEffect(codec)(value))) as Effect.Effect<
        Schema.Json,
        unknown
      >
    }) as unknown as Effect.Effect<Json, unknown, unknown>,
    (encoded) => Effect.orDie(Schema.decodeUnknownEffect(codec)(encoded))
  )

const askInStep = service((what) =>
  `${describe(what)} outside a node step: Durable.toWorkflow supports ask in a ` +
  `node's prep, exec or post and in a composite's post, not in a flow's or batch flow's prep`
)

/** `Durable.Run` in the body (a composite's prep): asking there is not journaled, so it is refused. */
export const askInBody = service((what) =>
  `${describe(what)} in a flow's or batch flow's prep: Durable.toWorkflow runs ` +
  `those preps in the workflow body, where asking is not supported; ask in a node instead`
)

/**
 * Runs the step `stepId` as activities: attempt 1 is named by the step id; each `Asked` waits for its answer
 * (suspending the run until it comes) and runs the step again as the next attempt. `work` runs in the step's fiber and
 * yields what to journal; `settle` turns a journaled result into the step's value.
 */
export const activities = <A>(
  ctx: Ctx,
  stepId: string,
  work: (name: string) => Effect.Effect<Journaled, unknown, unknown>,
  settle: (name: string, result: Journaled) => Effect.Effect<A, unknown, unknown>,
  hooks?: {
    readonly start: () => void
    readonly exit: (name: string, exit: Exit.Exit<Journaled, unknown>) => void
  }
): Effect.Effect<A, unknown, unknown> => {
  const attempt = (n: number): Effect.Effect<A, unknown, unknown> => {
    const name = n === 1 ? stepId : `${stepId}@${n}`
    const execute = Effect.suspend(() => {
      const step: WorkflowStep = {
        id: stepId,
        path: stepId,
        counters: new Map(),
        suspended: false,
        ctx,
        asked: undefined,
        ask: journaled,
        sleep: sleepNot,
        child: childNot,
        memo: subActivity
      }
      const body = work(name).pipe(
        Effect.provideService(CurrentStep, step),
        Effect.provideService(StepKey, `${ctx.id}:${stepId}`),
        Effect.provideService(Run, askInStep)
      )
      return Effect.flatMap(
        Effect.forkChild(body, { startImmediately: true }),
        (fiber) =>
          Effect.flatMap(Fiber.await(fiber), (exit): Effect.Effect<Json, unknown> => {
            if (Exit.isSuccess(exit)) return Effect.succeed(exit.value as unknown as Json)
            if (step.asked !== undefined && Cause.hasInterruptsOnly(exit.cause)) {
              return Effect.succeed({ _tag: "Asked", ...step.asked } as Json)
            }
            return Effect.failCause(exit.cause)
          })
      )
    })
    const activity = Activity.make({ name, success: Schema.Json, error: ctx.error as Schema.Codec<unknown>, execute })
    let run = activity as unknown as Effect.Effect<Journaled, unknown, unknown>
    if (hooks !== undefined) {
      run = Effect.suspend(() => {
        hooks.start()
        return Effect.onExit(
          activity as unknown as Effect.Effect<Journaled, unknown, unknown>,
          (exit) => Effect.sync(() => hooks.exit(name, exit))
        )
      })
    }
    return Effect.flatMap(run, (result) => {
      if (result._tag !== "Asked") return settle(name, result)
      return Effect.flatMap(
        DurableDeferred.await(deferredOf(result.key)) as Effect.Effect<Json, never, unknown>,
        (a) => {
          ctx.answers.set(result.key, a)
          return attempt(n + 1)
        }
      )
    })
  }
  return attempt(1)
}

type Work = (
  commit: (post: Effect.Effect<unknown, unknown, unknown>) => Effect.Effect<void, unknown, unknown>
) => Effect.Effect<void, unknown, unknown>

/** A step whose post changes the stores: journaled as `{ action, seq, patch }`. */
export const runStep = (ctx: Ctx, stepId: string, work: Work): Effect.Effect<string, unknown, unknown> =>
  activities(
    ctx,
    stepId,
    (name) =>
      Effect.suspend(() => {
        // The engine may run an interrupted activity again: it stops counting as pending once.
        if (!ctx.fresh.has(name)) {
          ctx.fresh.add(name)
          ctx.pending--
          notify(ctx)
        }
        let done: Journaled | undefined
        let held = false
        // A post starts when no replayed result is still on its way (so its seq follows every journaled one), and
        // keeps the lock until the body has its journaled result (so journaled seqs have no gaps).
        const commit = (post: Effect.Effect<unknown, unknown, unknown>) =>
          Effect.andThen(
            claim(ctx, () => ctx.pending === 0),
            Effect.suspend(() => {
              held = true
              const before = encodeAll(ctx.slots)
              return Effect.map(post, (a) => {
                const seq = ++ctx.applied
                done = {
                  _tag: "Done",
                  action: toAction(a),
                  seq,
                  patch: JsonPatch.get(before, encodeAll(ctx.slots)) as Json
                }
              })
            })
          )
        // A step that fails, asks or is interrupted after its post started gives the lock back; a finished one
        // keeps it until the body has its journaled result.
        const body = Effect.onExitPrimitive(work(commit), (exit) => {
          if (Exit.isFailure(exit) && held) {
            held = false
            unlock(ctx)
          }
          return undefined
        })
        return Effect.flatMap(
          body,
          () =>
            done === undefined
              ? Effect.die(new Error(`step ${stepId} finished without its post`))
              : Effect.succeed(done)
        )
      }),
    (name, result) => {
      if (result._tag !== "Done") return Effect.die(new Error(`step ${stepId}: unexpected journal entry`))
      if (ctx.fresh.has(name)) {
        unlock(ctx)
        return Effect.succeed(result.action)
      }
      // Journaled: apply its patch after every earlier one.
      return Effect.as(
        Effect.andThen(
          claim(ctx, () => ctx.applied === result.seq - 1),
          Effect.sync(() => {
            applyPatch(ctx, result.patch as unknown as JsonPatch.JsonPatch)
            ctx.applied = result.seq
            ctx.pending--
            unlock(ctx)
          })
        ),
        result.action
      )
    },
    {
      start: () => {
        ctx.pending++
      },
      // A failed or replayed call is no longer pending; a fresh one stopped counting when it started.
      exit: (name, exit) => {
        if (!ctx.fresh.has(name) && (Exit.isFailure(exit) || exit.value._tag === "Asked")) {
          ctx.pending--
          notify(ctx)
        }
      }
    }
  )
