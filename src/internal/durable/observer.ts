/**
 * Who else watches the durable runs walked in a context: a server streams the events of every run its worker (or a
 * program under it) walks, without each caller passing an `emit`. The executor reads this reference once per call;
 * with none set (the default) nothing changes and nothing is paid.
 */
import * as Context from "effect/Context"
import type { FlowEvent } from "../events.ts"

/** Receives what every durable call walking a run in this context reports. */
export interface RunObserver {
  /** A call is about to walk run `id` (claimed or not: it may still find the run locked or ended). */
  readonly started: (id: string) => void
  /** An event of run `id`, in the order the walk reports them. Must not block: it runs inside the walk's hooks. */
  readonly emit: (id: string, event: FlowEvent) => void
  /** That call ended, whatever its outcome. */
  readonly ended: (id: string) => void
}

/** The observer of the durable runs walked in this context; `undefined` (the default) when nobody watches. */
export const CurrentRunObserver = Context.Reference<RunObserver | undefined>("effect-pocketflow/RunObserver", {
  defaultValue: () => undefined
})
