/**
 * The server's event log: the recent events of each run walked in this process, numbered, for the event stream and
 * its re-attach. It is the `RunObserver` of the runs the server's worker (or a program under the server) walks.
 *
 * Numbers: one increasing counter for the process, starting at the start-up time in milliseconds times 1000, so a
 * number a client got from an earlier process (before a restart) is below every number of this one and is recognised
 * as foreign. Each run keeps its last `capacity` events; a subscriber that asks for events the log no longer holds
 * gets an `EventsGap` first (see `read`). Logs of runs nobody walks or watches are dropped, the least recently used
 * first, beyond `maxRuns`.
 *
 * Events are kept as they come and turned into JSON once, when a subscriber first reads them: a run nobody watches
 * pays one array push per event.
 */
import * as Effect from "effect/Effect"
import type * as FlowEvent from "../../FlowEvent.ts"
import type { RunObserver } from "../../internal/durable/observer.ts"
import * as wire from "./wire.ts"

/** One numbered event; `data` is its JSON text, made on first read. */
export interface Entry {
  readonly seq: number
  readonly event: FlowEvent.FlowEvent
  data: string | undefined
}

/** The JSON text of an entry (made once). */
export const dataOf = (entry: Entry): string => entry.data ??= JSON.stringify(wire.encode(entry.event))

class Log {
  entries: Array<Entry> = []
  /** Index of the oldest entry held in `entries` (older ones are dropped lazily). */
  start = 0
  /** The largest sequence number dropped from this log (0: none). */
  droppedUpTo = 0
  /** Durable calls walking the run in this process now. */
  active = 0
  /** Subscribers reading this log now. */
  readers = 0
  readonly wakers = new Set<() => void>()
  used: number

  constructor(used: number) {
    this.used = used
  }

  get size(): number {
    return this.entries.length - this.start
  }

  firstSeq(): number | undefined {
    return this.start < this.entries.length ? this.entries[this.start]!.seq : undefined
  }

  wake(): void {
    // Taken out first: a subscriber may resume at once and wait again, adding a waker that this wake must not call
    // (a Set's iteration visits what is added during it: that subscriber would be woken forever).
    const wakers = Array.from(this.wakers)
    this.wakers.clear()
    for (const wake of wakers) wake()
  }
}

/** What a subscriber reads after `after`: a gap first when events after it were dropped, then the events held. */
export interface Read {
  readonly gap: { readonly after: number; readonly next: number } | undefined
  readonly entries: ReadonlyArray<Entry>
}

export class Hub {
  /** The first sequence number of this process. */
  readonly base: number
  /** The next sequence number to assign. */
  next: number
  private readonly logs = new Map<string, Log>()
  /** The largest sequence number of a whole log dropped (its run's numbers up to it may be lost). */
  private lostUpTo = 0
  private clock = 0
  closed = false

  readonly capacity: number
  readonly maxRuns: number

  constructor(startMillis: number, capacity: number, maxRuns: number) {
    this.capacity = capacity
    this.maxRuns = maxRuns
    this.base = Math.max(1, Math.floor(startMillis) * 1000)
    this.next = this.base
  }

  private log(id: string): Log {
    let log = this.logs.get(id)
    if (log === undefined) {
      log = new Log(++this.clock)
      this.logs.set(id, log)
      if (this.logs.size > this.maxRuns) this.evict()
    } else {
      log.used = ++this.clock
    }
    return log
  }

  /** Drops the least recently used logs that nobody walks or reads, down to `maxRuns`. */
  private evict(): void {
    const idle = Array.from(this.logs).filter(([, l]) => l.active === 0 && l.readers === 0)
    idle.sort((a, b) => a[1].used - b[1].used)
    for (const [id, log] of idle) {
      if (this.logs.size <= this.maxRuns) return
      const last = log.entries[log.entries.length - 1]
      if (last !== undefined) this.lostUpTo = Math.max(this.lostUpTo, last.seq)
      this.logs.delete(id)
    }
  }

  /** Records an event of run `id` and wakes its subscribers. */
  publish(id: string, event: FlowEvent.FlowEvent): void {
    const log = this.log(id)
    log.entries.push({ seq: this.next++, event, data: undefined })
    if (log.size > this.capacity) {
      log.droppedUpTo = log.entries[log.start]!.seq
      log.entries[log.start] = undefined as unknown as Entry
      log.start++
      // Compact now and then, so the array does not grow with every event ever seen.
      if (log.start >= 1024 && log.start * 2 >= log.entries.length) {
        log.entries = log.entries.slice(log.start)
        log.start = 0
      }
    }
    log.wake()
  }

  /** Wakes the subscribers of run `id` to look at the run again (it was interrupted or deleted here). */
  touch(id: string): void {
    this.logs.get(id)?.wake()
  }

  /** Whether a durable call walks run `id` in this process now. */
  walking(id: string): boolean {
    return (this.logs.get(id)?.active ?? 0) > 0
  }

  /**
   * The paths of the nodes of run `id` started and not yet finished by the walk in this process now (from the events
   * held): the live node, which the run's checkpoint may not show yet. None when nobody walks the run here.
   */
  running(id: string): ReadonlyArray<string> {
    const log = this.logs.get(id)
    if (log === undefined || log.active === 0) return []
    const open = new Set<string>()
    for (let i = log.start; i < log.entries.length; i++) {
      const event = log.entries[i]!.event
      if (event._tag === "NodeStarted") open.add(event.path)
      else if (event._tag === "NodeFinished" || event._tag === "NodeFailed") open.delete(event.path)
      // A suspension leaves its node open, and a new walk of the run (its root flow starting again) begins afresh.
      else if (event._tag === "Suspended" || (event._tag === "FlowStarted" && !event.path.includes("/"))) open.clear()
    }
    return Array.from(open)
  }

  /**
   * The events of run `id` after sequence number `after` (all held when `undefined`). `after` is foreign when it is
   * not a number this process gave out (a previous process's, or made up): then, as when events after it were
   * dropped, a gap comes first, and reading goes on from the oldest event held.
   */
  read(id: string, after: number | undefined): Read {
    const log = this.logs.get(id)
    const foreign = after !== undefined && (after < this.base - 1 || after >= this.next)
    if (log === undefined) {
      const lost = foreign || (after !== undefined && after < this.lostUpTo)
      return { gap: lost ? { after: after!, next: this.next } : undefined, entries: [] }
    }
    log.used = ++this.clock
    const first = log.firstSeq()
    let gap: Read["gap"]
    if (after === undefined) {
      if (log.droppedUpTo > 0) gap = { after: 0, next: first ?? this.next }
    } else if (foreign || log.droppedUpTo > after) {
      gap = { after, next: first ?? this.next }
    }
    const from = gap === undefined ? after ?? 0 : gap.next - 1
    // Entries are in sequence order: find the first after `from`.
    let lo = log.start
    let hi = log.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (log.entries[mid]!.seq <= from) lo = mid + 1
      else hi = mid
    }
    return { gap, entries: log.entries.slice(lo) }
  }

  /** Waits until run `id` has news (an event, its walk ended, a touch) or `timeout` passes. */
  wait(id: string, timeout: Effect.Effect<void>): Effect.Effect<void> {
    return Effect.raceFirst(
      Effect.callback<void>((resume) => {
        if (this.closed) return resume(Effect.void)
        const log = this.log(id)
        const wake = () => resume(Effect.void)
        log.wakers.add(wake)
        return Effect.sync(() => log.wakers.delete(wake))
      }),
      timeout
    )
  }

  /** A subscriber of run `id` came: its log is kept until it leaves. */
  addReader(id: string): void {
    this.log(id).readers++
  }

  removeReader(id: string): void {
    const log = this.logs.get(id)
    if (log !== undefined) log.readers = Math.max(0, log.readers - 1)
  }

  /** Ends every subscriber (the server is stopping): their streams end, and clients re-attach elsewhere. */
  close(): void {
    this.closed = true
    for (const log of this.logs.values()) log.wake()
  }

  /** The observer that feeds this log from the durable runs walked under it. */
  readonly observer: RunObserver = {
    started: (id) => {
      this.log(id).active++
    },
    emit: (id, event) => this.publish(id, event),
    ended: (id) => {
      const log = this.logs.get(id)
      if (log === undefined) return
      log.active = Math.max(0, log.active - 1)
      log.wake()
    }
  }
}
