/**
 * The worker (`Durable.worker`): a loop that asks the checkpointer which runs can move (`due`), claims each with a
 * lease and continues it — `Durable.run`'s executor in mode "continue", under the run's registered flow and stores —
 * at most `concurrency` at once; and starts a run at every tick of its schedules (`Durable.schedule`), with an id
 * made of the schedule's name and the tick, so that of several workers exactly one creates it (the checkpointer's
 * compare-and-set on version 1). Interrupting the loop interrupts the runs it hosts: each releases its lease on the
 * way out, and the run is due at once for the next worker.
 *
 * The loop wakes when a run it hosts returns (a slot is free), when this process queues, answers or releases a run in
 * its store (wake.ts), at the earliest time `due` says a timer comes due, at the next cron tick, and at least every
 * `poll` (for what other processes write).
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Cron from "effect/Cron"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as CheckpointerNs from "../checkpointer/service.ts"
import type { FlowEvent } from "../events.ts"
import type { Json } from "../json.ts"
import type { AnyNode } from "../node.ts"
import { execute, type InitialStore, type Outcome, type SchemaStore } from "./executor.ts"
import { queued, startRun } from "./waits.ts"
import { listen } from "./wake.ts"

/**
 * What a worker reports (to `onEvent`): a run claimed, continued (how the call ended), released; a run started for a
 * cron tick; and, with `observe`, every `FlowEvent` of the runs it hosts.
 */
export type WorkerEvent = Data.TaggedEnum<{
  /** The worker holds the run's lease now. */
  Claimed: { readonly worker: string; readonly id: string; readonly flow: string }
  /**
   * The worker's call on the run returned: its `outcome`, or its `failure` rendered (a failed run is saved "failed";
   * `RunLocked` when another worker claimed it first).
   */
  Continued: {
    readonly worker: string
    readonly id: string
    readonly flow: string
    readonly outcome: Outcome<string> | undefined
    readonly failure: string | undefined
  }
  /** The worker gave the run's lease back (the call returned, or the worker shut down). */
  Released: { readonly worker: string; readonly id: string; readonly flow: string }
  /** The worker created the run of a cron tick (of several workers, one does). */
  Scheduled: {
    readonly worker: string
    readonly id: string
    readonly flow: string
    readonly schedule: string
    readonly tick: Date
  }
  /** An event of a run the worker hosts (with `observe: true`). */
  RunEvent: { readonly worker: string; readonly id: string; readonly event: FlowEvent }
}>

export const WorkerEvent = Data.taggedEnum<WorkerEvent>()

/** A flow a worker hosts: the flow and the store classes its runs are restored with. */
export interface Hosted {
  readonly flow: AnyNode
  readonly stores: ReadonlyArray<SchemaStore>
}

/** A cron schedule: a run of `flow` at every tick, id `${name}@${tick ISO}`, stores `stores(tick)`. */
export interface ScheduleDef {
  readonly name: string
  readonly cron: Cron.Cron
  readonly flow: AnyNode
  readonly stores: (tick: Date) => ReadonlyArray<InitialStore>
}

export interface Config {
  readonly hosted: ReadonlyMap<string, Hosted>
  readonly schedules: ReadonlyArray<ScheduleDef>
  readonly concurrency: number
  readonly pollMillis: number
  readonly lease: Duration.Input
  readonly name: string | undefined
  readonly onEvent: ((event: WorkerEvent) => void) | undefined
  readonly observe: boolean
}

/** The run id of a schedule's tick. */
export const tickId = (name: string, tick: Date): string => `${name}@${tick.toISOString()}`

/** The latest tick at or before `now` (cron ticks fall on whole seconds). */
const latestTick = (cron: Cron.Cron, now: number): Date => Cron.prev(cron, new Date(now + 1))

/** A worker never stops for a failure of its own (a storage error on a poll): it says so and polls again. */
const logged = <A>(what: string, fallback: A) => <E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
  Effect.catchCause(effect, (cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.as(Effect.logWarning(`Durable.worker: ${what} failed`, cause), fallback))

export const run = (config: Config): Effect.Effect<never, never, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const cp = yield* CheckpointerNs.Checkpointer
    const worker = config.name ?? `worker-${(yield* Random.nextInt).toString(36)}`
    const report = config.onEvent ?? (() => {})
    const fibers = yield* FiberSet.make<void>()
    const inFlight = new Set<string>()
    // A run that returns frees a slot: the loop looks again at once.
    const freed = yield* Queue.dropping<void>(1)
    // A write in this process that lets a run move (a start, an answer, a run released) wakes the loop the same way.
    yield* listen(cp, () => Queue.offerUnsafe(freed, undefined))
    const flows = Array.from(config.hosted.keys())
    const lastTick = new Map<ScheduleDef, number>()
    // Runs whose call failed without ending them (a storage error, a deploy that no longer fits their position): they
    // are still due, and are looked at again after a wait that doubles, up to a minute, not in a tight loop.
    const backoff = new Map<string, { readonly until: number; readonly failures: number }>()
    let claims = 0

    const host = (id: string) =>
      Effect.gen(function*() {
        const snapshot = yield* cp.load(id)
        if (snapshot === undefined) return
        const hosted = config.hosted.get(snapshot.flow)
        if (hosted === undefined) return
        const flow = snapshot.flow
        let claimed = false
        const exit = yield* Effect.exit(Effect.ensuring(
          execute(hosted.flow, {
            id,
            mode: "continue",
            initial: [],
            stores: hosted.stores,
            lease: config.lease,
            takeover: undefined,
            emit: config.observe ? (event) => report(WorkerEvent.RunEvent({ worker, id, event })) : undefined,
            owner: `${worker}#${++claims}`,
            loaded: snapshot,
            claimed: () => {
              claimed = true
              report(WorkerEvent.Claimed({ worker, id, flow }))
            }
          }),
          Effect.sync(() => claimed && report(WorkerEvent.Released({ worker, id, flow })))
        ))
        if (Exit.isSuccess(exit)) {
          backoff.delete(id)
          report(WorkerEvent.Continued({ worker, id, flow, outcome: exit.value, failure: undefined }))
          return
        }
        const error = Cause.findErrorOption(exit.cause)
        const tag = error._tag === "Some" ? (error.value as { readonly _tag?: unknown })?._tag : undefined
        report(WorkerEvent.Continued({ worker, id, flow, outcome: undefined, failure: Cause.pretty(exit.cause) }))
        // Another worker claimed it between our look and our claim: its business now.
        if (tag === "RunLocked") return yield* Effect.logDebug(`Durable.worker: run ${id} is held by another owner`)
        const failures = (backoff.get(id)?.failures ?? 0) + 1
        const wait = Math.min(60_000, config.pollMillis * 2 ** Math.min(failures - 1, 16))
        backoff.set(id, { until: (yield* Clock.currentTimeMillis) + wait, failures })
        yield* Effect.logWarning(`Durable.worker: run ${id} (flow ${flow}) failed`, exit.cause)
      }).pipe(
        logged<void>(`continuing run ${id}`, undefined),
        Effect.withSpan("durable.worker.run", {
          attributes: { "pocketflow.run": id, "pocketflow.worker": worker }
        }, { captureStackTrace: false }),
        Effect.annotateLogs({ "pocketflow.run": id, "pocketflow.worker": worker })
      )

    /** Starts the runs of `schedule`'s ticks since the last look; returns the time of its next tick. */
    const ticks = (schedule: ScheduleDef, now: number) =>
      Effect.gen(function*() {
        const latest = latestTick(schedule.cron, now)
        const last = lastTick.get(schedule)
        const due: Array<Date> = []
        if (last === undefined) {
          // The first look starts the latest tick (one missed while no worker ran is caught up, once).
          due.push(latest)
        } else {
          // Ticks missed while the loop was busy, in order (at most 100).
          for (let t = Cron.next(schedule.cron, new Date(last)); t.getTime() <= now && due.length < 100;) {
            due.push(t)
            t = Cron.next(schedule.cron, t)
          }
        }
        for (const tick of due) {
          const id = tickId(schedule.name, tick)
          const stores: Record<string, Json> = {}
          for (const initial of schedule.stores(tick)) {
            stores[initial.store.key] = Schema.encodeSync(initial.store.schema)(initial.state) as Json
          }
          const found = yield* startRun(cp, queued(id, schedule.flow.name, stores, now, undefined))
          if (found === undefined) {
            report(WorkerEvent.Scheduled({ worker, id, flow: schedule.flow.name, schedule: schedule.name, tick }))
          }
        }
        lastTick.set(schedule, latest.getTime())
        return Cron.next(schedule.cron, new Date(now)).getTime()
      }).pipe(
        logged(`starting the ticks of schedule ${schedule.name}`, now + config.pollMillis),
        Effect.withSpan("durable.worker.schedule", {
          attributes: { "pocketflow.schedule": schedule.name, "pocketflow.worker": worker }
        }, { captureStackTrace: false })
      )

    const poll = (now: number, limit: number) =>
      cp.due({ now, limit, flows }).pipe(
        logged("asking for due runs", { ids: [] } as CheckpointerNs.Due),
        // A span per poll and per run: no stack trace captured for them (an `Error` each), as the walk's spans.
        Effect.withSpan("durable.worker.poll", {
          attributes: { "pocketflow.worker": worker }
        }, { captureStackTrace: false })
      )

    yield* Effect.annotateLogs(Effect.logDebug(`Durable.worker ${worker} started`), "pocketflow.worker", worker)
    while (true) {
      const now = yield* Clock.currentTimeMillis
      let wakeAt = now + config.pollMillis
      for (const schedule of config.schedules) wakeAt = Math.min(wakeAt, yield* ticks(schedule, now))
      const free = config.concurrency - inFlight.size
      if (free > 0) {
        let waiting = 0
        for (const [id, wait] of backoff) {
          if (wait.until > now) waiting++
          // Forgotten once it has not failed for ten minutes (it moved on, or another worker took it).
          else if (wait.until < now - 600_000) backoff.delete(id)
        }
        const due = yield* poll(now, free + waiting)
        let started = 0
        for (const id of due.ids) {
          if (started === free) break
          // Returned already but not yet out of the set: the next look finds it again if it still can move.
          if (inFlight.has(id) || (backoff.get(id)?.until ?? 0) > now) continue
          started++
          inFlight.add(id)
          yield* FiberSet.run(
            fibers,
            Effect.ensuring(
              host(id),
              Effect.sync(() => {
                inFlight.delete(id)
                Queue.offerUnsafe(freed, undefined)
              })
            )
          )
        }
        if (due.next !== undefined) wakeAt = Math.min(wakeAt, due.next)
        for (const wait of backoff.values()) if (wait.until > now) wakeAt = Math.min(wakeAt, wait.until)
      }
      // Full: wait for a slot. Not full: nothing more is due now; wait for a slot, a timer, a tick or the poll.
      yield* Effect.raceFirst(Queue.take(freed), Effect.sleep(Math.max(0, wakeAt - now)))
    }
  })) as Effect.Effect<never, never, unknown>
