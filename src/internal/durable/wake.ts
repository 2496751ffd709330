/**
 * The workers of this process, by the checkpointer they poll. A write made in this process that lets a run move — a
 * run queued (`Durable.start`, `Durable.child`), an answer given, a run that returned (it may have ended a parent's
 * child, or released its lease) — wakes them at once. Without it they would find the run at their next poll, as they
 * find the writes of other processes: this saves that wait, so a run started or answered through the server, or a
 * child started by a run on this worker, moves without waiting for a poll.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

// Keyed by the checkpointer service value: two layers (two stores) never wake each other's workers, and a store
// nobody polls holds no entry.
const listeners = new WeakMap<object, Set<() => void>>()

/** Registers `wake` for writes to `checkpointer` while the scope lasts. */
export const listen = (checkpointer: object, wake: () => void): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let set = listeners.get(checkpointer)
      if (set === undefined) listeners.set(checkpointer, set = new Set())
      set.add(wake)
    }),
    () => Effect.sync(() => void listeners.get(checkpointer)?.delete(wake))
  )

/** Wakes this process's workers of `checkpointer` (none: nothing happens). */
export const wake = (checkpointer: object): Effect.Effect<void> =>
  Effect.sync(() => {
    const set = listeners.get(checkpointer)
    if (set !== undefined) { for (const f of set) f() }
  })
