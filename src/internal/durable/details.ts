/**
 * What an operator reads about a run besides its snapshot (`Durable.get`, the viewer): the waiting keys that have an
 * answer for their prompt (the run moves on at its next call), the lease as recorded, and the item counts of the
 * durable batches in progress.
 */
import * as Effect from "effect/Effect"
import type { CheckpointError } from "../../Errors.ts"
import type * as Checkpointer from "../checkpointer/service.ts"
import type { Json } from "../json.ts"

/** A durable batch's progress: items saved (`done`) of the items its prep produced (`total`). */
export interface ItemCount {
  readonly done: number
  readonly total: number
}

/** A snapshot with what an operator needs besides it. */
export interface Details extends Checkpointer.Snapshot {
  /**
   * The keys of `waiting` with an answer in the inbox for the prompt now waiting: answered, waiting for a program to
   * continue the run (not for a human).
   */
  readonly answered: ReadonlyArray<string>
  /**
   * The lease as recorded (epoch millis) until its owner releases it: a live one (`expiresAt` ahead) while an owner
   * runs the run; one whose `expiresAt` has passed was left by an owner that stopped without releasing it (a crash).
   * Absent when nobody holds the run.
   */
  readonly lease?: Checkpointer.Lease | undefined
  /** Item counts of the durable batches (`Node.batch` with `resultSchema`) in progress, by batch scope (step id). */
  readonly items: { readonly [scope: string]: ItemCount }
}

/** The batches in progress on a position: their scopes (step ids) and item totals (a fingerprint is `total:hash`). */
export const batchesOf = (position: unknown): Array<{ readonly scope: string; readonly total: number }> => {
  const out: Array<{ scope: string; total: number }> = []
  const visit = (pos: unknown): void => {
    if (typeof pos !== "object" || pos === null) return
    const p = pos as { readonly scope?: unknown; readonly fp?: unknown; readonly inner?: unknown; running?: unknown }
    if (typeof p.scope === "string" && typeof p.fp === "string") {
      const total = Number(/^(\d+):/.exec(p.fp)?.[1])
      if (Number.isInteger(total)) out.push({ scope: p.scope, total })
    }
    visit(p.inner)
    if (typeof p.running === "object" && p.running !== null) {
      for (const child of Object.values(p.running as Record<string, unknown>)) visit(child)
    }
  }
  visit(position)
  return out
}

const sameJson = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b)

/** The details of `snapshot`, read from the checkpointer it came from. */
export const details = (
  cp: Checkpointer.Service,
  snapshot: Checkpointer.Snapshot
): Effect.Effect<Details, CheckpointError> =>
  Effect.map(
    Effect.all([
      snapshot.waiting.length === 0 ? Effect.succeed([]) : cp.answers(snapshot.id),
      cp.lease(snapshot.id),
      Effect.forEach(
        batchesOf(snapshot.position),
        ({ scope, total }) => Effect.map(cp.countItems(snapshot.id, scope), (done) => [scope, { done, total }] as const)
      )
    ], { concurrency: "unbounded" }),
    ([answers, lease, counts]) => {
      const byKey = new Map(answers.map((a) => [a.key, a] as const))
      const answered = snapshot.waiting.flatMap((w) => {
        const a = byKey.get(w.key)
        return a !== undefined && sameJson(a.prompt, w.prompt) ? [w.key] : []
      })
      const items: Record<string, ItemCount> = {}
      for (const [scope, count] of counts) items[scope] = count
      const out: { -readonly [K in keyof Details]: Details[K] } = { ...snapshot, answered, items }
      if (lease.lease !== undefined) out.lease = lease.lease
      return out
    }
  )
