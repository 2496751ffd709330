/**
 * How a run's events reach the stream of `Flow.events` or `Durable.events`. The walk reports through a synchronous
 * `emit` (its hooks run between two primitives of the run's fiber and cannot wait), so the buffer has two parts:
 * the stream's queue, of `bufferSize` events, and — with the `"suspend"` strategy — a backlog of the events that did
 * not fit. The run waits for the subscriber where it can wait: before a flow's next step, before a fan-out's next
 * child, and in `Flow.emit`, each of which looks at one flag (`Backlog.behind`). So a backlog holds at most what one
 * step reports past a full queue, every event arrives in order, and a run nobody observes pays nothing.
 *
 * With `"sliding"` or `"dropping"` the run never waits: a full queue loses the oldest or the newest event, and the
 * count lost comes as `EventsDropped` just before the run's last event, which always ends the stream.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { received } from "./checks.ts"
import { ctors, type FlowEvent } from "./events.ts"
import type { Backlog, Emit } from "./observation.ts"

/** What a full buffer does: makes the run wait (`"suspend"`), or loses the oldest or the newest event. */
export type Strategy = "suspend" | "sliding" | "dropping"

export interface Options {
  readonly bufferSize?: number | undefined
  readonly strategy?: Strategy | undefined
}

/** The options, checked when the stream is made (`where` names the call in the error). */
export const check = (where: string, options: Options | undefined): { bufferSize: number; strategy: Strategy } => {
  const bufferSize = options?.bufferSize ?? 1024
  if (typeof bufferSize !== "number") {
    throw new TypeError(`${where}: option "bufferSize" must be a positive integer; got ${received(bufferSize)}`)
  }
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new RangeError(`${where}: option "bufferSize" must be a positive integer; got ${received(bufferSize)}`)
  }
  const strategy = options?.strategy ?? "suspend"
  if (strategy !== "suspend" && strategy !== "sliding" && strategy !== "dropping") {
    throw new TypeError(
      `${where}: option "strategy" must be "suspend", "sliding" or "dropping"; got ${received(strategy)}`
    )
  }
  return { bufferSize, strategy }
}

/**
 * The stream of the events `run` reports through the `emit` it is given. `path` names the run in `EventsDropped`.
 * The stream ends when `run` succeeds and fails with its failure, after every event it kept.
 */
export const stream = (
  options: { readonly bufferSize: number; readonly strategy: Strategy; readonly path: string },
  run: (emit: Emit) => Effect.Effect<unknown, unknown, unknown>
): Stream.Stream<FlowEvent, unknown, unknown> =>
  options.strategy === "suspend"
    ? Stream.callback<FlowEvent, unknown, unknown>(
      (queue) => suspending(queue, run),
      { bufferSize: options.bufferSize, strategy: "suspend" }
    )
    // Two spare slots above `bufferSize`: the drop count and the last event always fit.
    : Stream.callback<FlowEvent, unknown, unknown>(
      (queue) => lossy(queue, options.bufferSize, options.strategy === "dropping", options.path, run),
      { bufferSize: options.bufferSize + 2, strategy: "dropping" }
    )

/** Ends the stream after a run that succeeded; a failure reaches it through `Stream.callback`, after the events. */
const end = (queue: Queue.Queue<FlowEvent, unknown>, exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) Queue.endUnsafe(queue)
}

const suspending = (
  queue: Queue.Queue<FlowEvent, unknown>,
  run: (emit: Emit) => Effect.Effect<unknown, unknown, unknown>
) =>
  Effect.suspend(() => {
    // The events that found the queue full, in order, from `head` on.
    let backlog: Array<FlowEvent | undefined> = []
    let head = 0
    const lock = Semaphore.makeUnsafe(1)
    // Moves the backlog into the queue, waiting for room as the subscriber takes events. While an event waits here
    // the backlog is not empty, so events reported meanwhile (by concurrent branches) queue up behind it.
    const flush: Effect.Effect<void> = Effect.suspend(() => {
      while (head < backlog.length && Queue.offerUnsafe(queue, backlog[head]!)) backlog[head++] = undefined
      if (head === backlog.length) {
        backlog = []
        head = 0
        state.behind = false
        return Effect.void
      }
      return Effect.flatMap(Queue.offer(queue, backlog[head]!), (taken) => {
        // A queue that takes nothing more has no subscriber left: nothing will read the rest.
        if (!taken) head = backlog.length
        else backlog[head++] = undefined
        return flush
      })
    })
    const state: Backlog = { behind: false, wait: lock.withPermit(flush) }
    const emit: Emit = Object.assign((event: FlowEvent) => {
      if (head === backlog.length && Queue.offerUnsafe(queue, event)) return
      backlog.push(event)
      state.behind = true
    }, { backlog: state })
    return Effect.onExit(run(emit), (exit) =>
      // Interruptible: when the subscriber stopped reading, the stream's scope interrupts the run before it shuts
      // the queue down, and a flush waiting for room must give way.
      Effect.andThen(
        Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? Effect.void : Effect.interruptible(state.wait),
        Effect.sync(() => end(queue, exit))
      ))
  })

const lossy = (
  queue: Queue.Queue<FlowEvent, unknown>,
  bufferSize: number,
  dropping: boolean,
  path: string,
  run: (emit: Emit) => Effect.Effect<unknown, unknown, unknown>
) =>
  Effect.suspend(() => {
    let dropped = 0
    // The latest event, held back until the next one comes: the run's last event is always delivered, last.
    let last: FlowEvent | undefined
    const emit: Emit = (event) => {
      const previous = last
      last = event
      if (previous === undefined) return
      if (Queue.sizeUnsafe(queue) >= bufferSize) {
        dropped++
        // Full: sliding evicts the oldest event, dropping loses this one.
        if (dropping) return
        Queue.takeUnsafe(queue)
      }
      Queue.offerUnsafe(queue, previous)
    }
    return Effect.onExitPrimitive(run(emit), (exit) => {
      if (dropped > 0) Queue.offerUnsafe(queue, ctors.EventsDropped({ path, runs: [], count: dropped }))
      if (last !== undefined) Queue.offerUnsafe(queue, last)
      end(queue, exit)
      return undefined
    })
  })
