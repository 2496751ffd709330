/**
 * What a durable run holds while it walks, and how it becomes a snapshot: the stores' encodings (one encoder for
 * both engines), `save` (compare-and-set, lease loss detected on conflict) and `commit` (a post and the record of its
 * completion saved as one critical section).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Semaphore from "effect/Semaphore"
import { CheckpointError, RunLocked } from "../../Errors.ts"
import type * as Checkpointer from "../checkpointer/service.ts"
import { ctors, type FlowEvent } from "../events.ts"
import type { Json } from "../json.ts"
import type * as Cursor from "../walk/cursor.ts"

/** A store's cell, as `Shared` stores hold their state. */
export interface Cell {
  readonly ref: Ref.Ref<unknown>
}

/** A store saved with the run: its cell and its last encoding (states are immutable: re-encoded only on change). */
export interface Slot {
  readonly key: string
  readonly encode: (state: unknown) => unknown
  readonly decode: (encoded: unknown) => unknown
  readonly cell: Cell
  lastState: unknown
  lastEncoded: Json
}

/** A slot for the store `key` with `schema`, holding `state` (whose encoding, when known, is `encoded`). */
export const slot = (
  key: string,
  schema: Schema.Codec<any, any, never, never>,
  state: unknown,
  encoded?: Json
): Slot => ({
  key,
  encode: Schema.encodeSync(schema),
  decode: Schema.decodeUnknownSync(schema),
  cell: { ref: Ref.makeUnsafe(state) },
  lastState: encoded === undefined ? undefined : state,
  lastEncoded: encoded ?? null
})

/** The stores' encodings by key. */
export const encodeAll = (slots: ReadonlyArray<Slot>): { [key: string]: Json } => {
  const out: { [key: string]: Json } = {}
  for (const s of slots) {
    const state = s.cell.ref.ref.current
    if (state !== s.lastState) {
      s.lastEncoded = s.encode(state) as Json
      s.lastState = state
    }
    out[s.key] = s.lastEncoded
  }
  return out
}

/** What one `Durable.run` knows while it walks. */
export interface RunState {
  readonly id: string
  readonly owner: string
  readonly flow: string
  readonly cp: Checkpointer.Service
  readonly slots: ReadonlyArray<Slot>
  readonly lock: Semaphore.Semaphore
  readonly emit: ((event: FlowEvent) => void) | undefined
  readonly spans: boolean
  readonly clock: Clock.Clock
  version: number
  steps: number
  /** The position tree the walk records into. */
  root: Cursor.Position
  /** Inputs asked in this walk and not answered; plus the previous suspension's, until the run moves past them. */
  waiting: Map<string, Checkpointer.Waiting>
  /** The previous suspension's inputs (their deadlines survive a resume). */
  carried: Map<string, Checkpointer.Waiting>
  /** Keys of waits over in this walk (a timer that fired, a child that ended): saved `answered` until their step ends. */
  readonly over: Set<string>
  /** The run that started this one as a child. */
  readonly parent: string | undefined
  /** The child runs this one started, in order. */
  readonly children: Array<string>
  answers: Map<string, Checkpointer.Answer>
  /**
   * Set when the lease was lost (`RunLocked`, naming the new owner) or the run was deleted under us (a "version
   * conflict"): the run stops, writes nothing more, and fails with it.
   */
  lost: RunLocked | CheckpointError | undefined
  /** Set when `Durable.interrupt` marked the run (seen at a save or a heartbeat): the walk stops after its step. */
  interrupt: boolean
  /** The root's action once the walk ended. */
  final: string | undefined
}

export const storageFailed = (detail: string) => (cause: unknown) =>
  new CheckpointError({ reason: "storage failed", detail: `${detail}: ${String(cause)}` })

/** The `RunLocked` of a lease held by another owner; `seenAt` (when it was read) makes the message say what is left. */
export const lockedBy = (id: string, lease: Checkpointer.Lease | undefined, seenAt?: number) =>
  new RunLocked({
    id,
    owner: lease?.owner ?? "nobody",
    expiresAt: lease?.expiresAt ?? 0,
    ...(lease === undefined ? {} : { heartbeatAt: lease.heartbeatAt }),
    ...(seenAt === undefined ? {} : { seenAt })
  })

/**
 * Why an owner lost its run, given the lease `renew` found: another owner's (`RunLocked`), or none at all — then a
 * run with no snapshot left was deleted under it (a "version conflict" saying so).
 */
export const lostTo = (
  cp: Checkpointer.Service,
  id: string,
  lease: Checkpointer.Lease | undefined
): Effect.Effect<RunLocked | CheckpointError> =>
  lease !== undefined ? Effect.succeed(lockedBy(id, lease)) : Effect.map(
    Effect.orElseSucceed(cp.load(id), () => null),
    (latest) =>
      latest === undefined
        ? new CheckpointError({
          reason: "version conflict",
          detail: `run ${JSON.stringify(id)} was deleted while its owner ran it: nothing more is saved`
        })
        : lockedBy(id, undefined)
  )

/** A copy of the live position tree, safe to keep while the walk goes on mutating it. */
const copy = (pos: unknown): Json => {
  if (pos === null || typeof pos !== "object") return pos as Json
  const out: Record<string, Json> = {}
  for (const key in pos) {
    const value = (pos as Record<string, unknown>)[key]
    if (value !== undefined) out[key] = copy(value)
  }
  return out
}

interface Extra {
  readonly failure?: string | undefined
  readonly action?: string | undefined
}

export const snapshotOf = (run: RunState, status: Checkpointer.Status, now: number, extra?: Extra) => {
  let waiting = Array.from(run.waiting.values())
  if (run.over.size > 0) {
    waiting = waiting.map((w) => run.over.has(w.key) && w.answered !== true ? { ...w, answered: true } : w)
  }
  let deadline: number | undefined
  for (const w of waiting) {
    if (w.deadline !== undefined && (deadline === undefined || w.deadline < deadline)) deadline = w.deadline
  }
  const snapshot: { -readonly [K in keyof Checkpointer.Snapshot]: Checkpointer.Snapshot[K] } = {
    format: 1,
    id: run.id,
    flow: run.flow,
    version: run.version + 1,
    status,
    steps: run.steps,
    position: copy(run.root),
    stores: encodeAll(run.slots),
    waiting,
    updatedAt: now
  }
  if (deadline !== undefined) snapshot.deadline = deadline
  if (run.parent !== undefined) snapshot.parent = run.parent
  if (run.children.length > 0) snapshot.children = [...run.children]
  if (extra?.failure !== undefined) snapshot.failure = extra.failure
  if (extra?.action !== undefined) snapshot.action = extra.action
  return snapshot as Checkpointer.Snapshot
}

/**
 * Saves the run's current state as the next version. Call with the lock held (or when nothing else runs). A save
 * that reports the interrupt mark sets `run.interrupt`; the caller stops the run.
 */
export const save = (
  run: RunState,
  status: Checkpointer.Status,
  extra?: Extra
): Effect.Effect<void, CheckpointError | RunLocked> =>
  Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<void, CheckpointError | RunLocked> => {
    if (run.lost !== undefined) return Effect.fail(run.lost)
    const snapshot = snapshotOf(run, status, now, extra)
    let saved: Effect.Effect<void, CheckpointError | RunLocked> = Effect.map(run.cp.save(snapshot), (result) => {
      run.version = snapshot.version
      if (result.interrupt) run.interrupt = true
      run.emit?.(ctors.CheckpointSaved({ path: run.flow, runs: [], version: snapshot.version, status }))
    })
    // A conflict means someone else saved this version: if our lease is gone too, we lost the run to that owner (or
    // the run was deleted).
    saved = Effect.catchTag(
      saved,
      "CheckpointError",
      (error): Effect.Effect<void, CheckpointError | RunLocked> =>
        error.reason !== "version conflict" ? Effect.fail(error) : Effect.flatMap(
          Effect.orElseSucceed(run.cp.renew(run.id, { owner: run.owner, now, expiresAt: now }), () => undefined),
          (renewal): Effect.Effect<never, CheckpointError | RunLocked> => {
            if (renewal?._tag !== "Lost") return Effect.fail(error)
            return Effect.flatMap(lostTo(run.cp, run.id, renewal.lease), (lost) => {
              run.lost = lost
              return Effect.fail(lost)
            })
          }
        )
    )
    if (run.spans) {
      saved = Effect.withSpan(saved, "durable.save", {
        attributes: { "pocketflow.run": run.id, "pocketflow.version": snapshot.version, "pocketflow.status": status }
      })
    }
    // Never cut short: a save the storage made but the run did not record would make the next one conflict.
    return Effect.uninterruptible(saved)
  })

/**
 * Runs `body` (a post and the record of its completion) and saves, as one critical section. When the save found the
 * run marked for interruption (and the run is not done), the step's fiber is interrupted after it: the walk stops
 * there, and the executor saves the run "interrupted".
 */
export const commit = <A, E, R>(
  run: RunState,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | CheckpointError | RunLocked, R> =>
  Effect.tap(
    run.lock.withPermit(Effect.tap(
      body,
      Effect.suspend(() => save(run, run.final === undefined ? "running" : "done", { action: run.final }))
    )),
    () => run.interrupt && run.final === undefined ? Effect.interrupt : Effect.void
  )
