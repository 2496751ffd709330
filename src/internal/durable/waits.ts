/**
 * The waits of `Durable.run` besides inputs: durable timers (`Durable.sleep`) and child runs (`Durable.child`). Both
 * are keyed like inputs (`step/sleep#n`, `step/child#n`) and recorded in the run's waiting records (`kind: "timer"`
 * with `until`, `kind: "child"` with the child's id): a wait that is not over suspends the step, and the run saves
 * "sleeping" or "waiting"; the checkpointer's `due` index makes it due again at the timer's time, or when the child's
 * last save ends it. A wait that is over (the timer's time passed, the child ended) returns, and its record stays
 * until its step completes, marked `answered`, so a step that runs again after a later suspension finds it over.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { CheckpointError, ChildFailed } from "../../Errors.ts"
import * as Checkpointer from "../checkpointer/service.ts"
import { tokenOf } from "./ask.ts"
import type { RunState } from "./snapshot.ts"
import { type ChildOutcome, type ChildRequest, type Step, suspend } from "./step.ts"
import { wake } from "./wake.ts"

/** A waiting record of a timer or a child (the fields an input's record has are neutral). */
const record = (
  run: RunState,
  step: Step,
  key: string,
  kind: "timer" | "child",
  extra: { readonly until: number } | { readonly child: string }
): Checkpointer.Waiting => ({
  key,
  kind,
  input: kind === "timer" ? "sleep" : "child",
  path: step.path,
  prompt: null,
  token: tokenOf(run.id, key),
  answerSchema: null,
  ...extra
})

/**
 * `Durable.sleep` in `Durable.run`: the wake-up time is fixed by the first sleep of its key (kept in the waiting
 * record), so a step that runs again does not start its timer over.
 */
export const timer = (run: RunState): Step["sleep"] => (step, key, wake) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const carried = run.carried.get(key)
    const until = carried !== undefined && Checkpointer.kindOf(carried) === "timer" && carried.until !== undefined
      ? carried.until
      : "until" in wake
      ? wake.until
      : now + wake.duration
    if (now >= until) {
      run.over.add(key)
      return Effect.void
    }
    run.waiting.set(key, record(run, step, key, "timer", { until }))
    return suspend(step)
  })

/** The first snapshot of a run nobody has run yet: "running", at the start of its flow, with its initial stores. */
export const queued = (
  id: string,
  flow: string,
  stores: { readonly [key: string]: unknown },
  now: number,
  parent: string | undefined
): Checkpointer.Snapshot => {
  const snapshot: { -readonly [K in keyof Checkpointer.Snapshot]: Checkpointer.Snapshot[K] } = {
    format: 1,
    id,
    flow,
    version: 1,
    status: "running",
    steps: 0,
    position: {},
    stores: stores as Checkpointer.Snapshot["stores"],
    waiting: [],
    updatedAt: now
  }
  if (parent !== undefined) snapshot.parent = parent
  return snapshot
}

/** The "flow mismatch" of a run id that belongs to another flow. */
export const flowMismatch = (id: string, has: string, wanted: string) =>
  new CheckpointError({
    reason: "flow mismatch",
    detail: `run ${JSON.stringify(id)} belongs to flow ${JSON.stringify(has)}, not ${JSON.stringify(wanted)}: a ` +
      `run continues only under the flow that started it`
  })

/**
 * Saves `snapshot` (version 1) unless its run exists: the run as it was found, or `undefined` when this call created
 * it. Two callers racing for one id: one saves, the other finds the winner's run (compare-and-set on version 1).
 */
export const startRun = (
  cp: Checkpointer.Service,
  snapshot: Checkpointer.Snapshot
): Effect.Effect<Checkpointer.Snapshot | undefined, CheckpointError> =>
  Effect.flatMap(cp.load(snapshot.id), (existing) => {
    if (existing !== undefined) return Effect.succeed(existing)
    return Effect.catchTag(
      // Queued: this process's workers of the store take it now rather than at their next poll.
      Effect.as(Effect.andThen(cp.save(snapshot), wake(cp)), undefined),
      "CheckpointError",
      (error): Effect.Effect<Checkpointer.Snapshot | undefined, CheckpointError> =>
        error.reason !== "version conflict"
          ? Effect.fail(error)
          : Effect.flatMap(cp.load(snapshot.id), (found) =>
            found === undefined ? Effect.fail(error) : Effect.succeed(found))
    )
  })

/** How an ended child's parent sees it: its outcome, or `ChildFailed`. */
const ended = (child: Checkpointer.Snapshot): Effect.Effect<ChildOutcome, ChildFailed> =>
  child.status === "done"
    ? Effect.succeed({ _tag: "Done", action: child.action ?? "default", steps: child.steps })
    : child.status === "interrupted"
    ? Effect.succeed({ _tag: "Interrupted", steps: child.steps })
    : Effect.fail(new ChildFailed({ id: child.id, failure: child.failure ?? "unknown failure" }))

/**
 * `Durable.child` in `Durable.run`: starts the child run (queued for a worker, `parent` set to this run) or joins it
 * when it exists (a parent resumed after a crash finds the child it started), then returns its outcome once it ended
 * or suspends the step until then.
 */
export const child = (run: RunState): Step["child"] => (step, key, request: ChildRequest) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const found = yield* startRun(run.cp, queued(request.id, request.flow, request.stores, now, run.id))
    if (found === undefined || found.parent === run.id) {
      if (!run.children.includes(request.id)) run.children.push(request.id)
    }
    if (found !== undefined) {
      if (found.flow !== request.flow) return yield* flowMismatch(request.id, found.flow, request.flow)
      if (Checkpointer.isEnded(found.status)) {
        run.over.add(key)
        return yield* ended(found)
      }
      // Only its own children wake a parent when they end (their saves name it).
      if (found.parent !== run.id) {
        return yield* new ChildFailed({
          id: request.id,
          failure: `run ${JSON.stringify(request.id)} is not a child of ${JSON.stringify(run.id)} (` +
            (found.parent === undefined
              ? "it was started on its own"
              : `its parent is ${JSON.stringify(found.parent)}`) +
            `) and has not ended: give each child run an id of its own`
        })
      }
    }
    run.waiting.set(key, record(run, step, key, "child", { child: request.id }))
    return yield* suspend(step)
  })
