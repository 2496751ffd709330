/**
 * Sub-steps under `Durable.run` (`step.memo`): each finished sub-step of a step is one record, saved with the
 * checkpointer's item records (the scope `<step id>/memo`, one index per record, like a batch's items), so n sub-steps
 * cost O(n) and never rewrite the snapshot. When the step runs again (after a crash, or after a suspension) its records
 * are read once, on its first sub-step, and a kept sub-step returns its value without running.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"
import type { RunState } from "./snapshot.ts"
import type { Memo, Step } from "./step.ts"

/** A step's kept sub-steps, by name, and the index its next record gets. */
interface Kept {
  readonly byName: Map<string, Json>
  next: number
}

const scopeOf = (step: Step) => `${step.id}/memo`

const read = (run: RunState, step: Step): Effect.Effect<Kept, CheckpointError> =>
  Effect.map(run.cp.items(run.id, scopeOf(step)), (records) => {
    const byName = new Map<string, Json>()
    let next = 0
    for (const [index, record] of records) {
      const { name, value } = record as { readonly name: string; readonly value: Json }
      byName.set(name, value)
      next = Math.max(next, index + 1)
    }
    return { byName, next }
  })

/** The `memo` of the steps of `run`. */
export const kept = (run: RunState): Memo => {
  // One read per run of a step, shared by its concurrent sub-steps.
  const loaded = new WeakMap<Step, Deferred.Deferred<Kept, CheckpointError>>()
  return (step, name, codec, body) =>
    Effect.suspend(() => {
      let ready = loaded.get(step)
      let load: Effect.Effect<unknown> = Effect.void
      if (ready === undefined) {
        loaded.set(step, ready = Deferred.makeUnsafe())
        load = Deferred.into(read(run, step), ready)
      }
      return Effect.andThen(
        load,
        Effect.flatMap(Deferred.await(ready), (kept) => {
          const saved = kept.byName.get(name)
          if (saved !== undefined) {
            return Effect.mapError(
              Schema.decodeUnknownEffect(codec)(saved),
              (e) =>
                new CheckpointError({ reason: "store decode failed", detail: `${step.path} (${name}): ${e.message}` })
            )
          }
          return Effect.flatMap(body, (value) =>
            Effect.flatMap(Effect.orDie(Schema.encodeEffect(codec)(value)), (encoded) => {
              const index = kept.next++
              kept.byName.set(name, encoded as Json)
              return Effect.as(run.cp.putItem(run.id, scopeOf(step), index, { name, value: encoded as Json }), value)
            }))
        })
      )
    })
}
