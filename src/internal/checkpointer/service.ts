/**
 * The checkpointer service: its contract's types, its key, the helpers every implementation shares, and the
 * in-memory implementation. The public `Checkpointer` module re-exports it with its documentation.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"

export type Status = "running" | "suspended" | "sleeping" | "waiting" | "done" | "failed" | "interrupted"

/** Every status, in a run's life order: what stored snapshots and `list` filters are checked against. */
export const statuses: ReadonlyArray<Status> = [
  "running",
  "suspended",
  "sleeping",
  "waiting",
  "done",
  "failed",
  "interrupted"
]

/** What a waiting record waits for: a human's answer, a time, or another run (a child). */
export type WaitKind = "input" | "timer" | "child"

export interface Waiting {
  readonly key: string
  /** What it waits for; absent in snapshots saved before 0.4.0, which wait for inputs only. */
  readonly kind?: WaitKind | undefined
  readonly input: string
  readonly path: string
  readonly prompt: Json
  readonly token: string
  readonly answerSchema: Json
  readonly deadline?: number | undefined
  /**
   * Answered already (a timer that fired, a child that ended and was read), waiting only for its step to complete
   * (e.g. a second question in the same step).
   */
  readonly answered?: boolean | undefined
  /** A timer's wake-up time (epoch millis). */
  readonly until?: number | undefined
  /** A child's run id. */
  readonly child?: string | undefined
}

export interface Snapshot {
  readonly format: 1
  readonly id: string
  readonly flow: string
  readonly version: number
  readonly status: Status
  readonly steps: number
  readonly position: Json
  readonly stores: { readonly [key: string]: Json }
  readonly waiting: ReadonlyArray<Waiting>
  /** The failure, rendered, when `status` is `"failed"`. */
  readonly failure?: string | undefined
  /** The run's last action, when `status` is `"done"`. */
  readonly action?: string | undefined
  /** The earliest deadline of the waiting inputs. */
  readonly deadline?: number | undefined
  readonly updatedAt: number
  /** The run that started this one with `Durable.child`. */
  readonly parent?: string | undefined
  /** The runs this one started with `Durable.child`, in the order it started them. */
  readonly children?: ReadonlyArray<string> | undefined
}

export interface Answer {
  readonly key: string
  readonly value: Json
  readonly prompt: Json
  readonly answeredAt: number
}

export interface Lease {
  readonly owner: string
  readonly expiresAt: number
  /** When the owner last claimed or renewed it (the `now` it passed). */
  readonly heartbeatAt: number
}

/** What `lease` reads: the lease as recorded (until its owner releases it, even once expired), and the interrupt mark. */
export interface LeaseStatus {
  readonly lease: Lease | undefined
  readonly interrupt: boolean
}

/** What a save reports besides success: whether `requestInterrupt` marked the run, so its owner stops now. */
export interface SaveResult {
  readonly interrupt: boolean
}

export type Renewal =
  | { readonly _tag: "Renewed"; readonly interrupt: boolean }
  | { readonly _tag: "Lost"; readonly lease: Lease | undefined }

export interface ListQuery {
  readonly status?: Status | undefined
  readonly flow?: string | undefined
  /** Only the children of this run (`Durable.child`). */
  readonly parent?: string | undefined
  readonly deadlineBefore?: number | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

/** What `due` is asked: the time, how many runs at most, and optionally which flows' runs. */
export interface DueQuery {
  readonly now: number
  readonly limit: number
  /** Only runs of these flows (a worker asks for the flows it hosts). */
  readonly flows?: ReadonlyArray<string> | undefined
}

/** What `due` answers: the runs that can move, earliest first, and when the next one becomes due by time alone. */
export interface Due {
  readonly ids: ReadonlyArray<string>
  /** The earliest time after `now` at which a run becomes due by a timer or a deadline, when known. */
  readonly next?: number | undefined
}

export interface Service {
  readonly load: (id: string) => Effect.Effect<Snapshot | undefined, CheckpointError>
  readonly loadVersion: (id: string, version: number) => Effect.Effect<Snapshot | undefined, CheckpointError>
  /** Compare-and-set on `version`; refuses a snapshot larger than `maxStateBytes`; reports the interrupt mark. */
  readonly save: (snapshot: Snapshot) => Effect.Effect<SaveResult, CheckpointError>
  /** Up to `limit` versions older than `before` (all when undefined), newest first. */
  readonly history: (
    id: string,
    options: { readonly limit: number; readonly before?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<Snapshot>, CheckpointError>
  /** The latest snapshot of each matching run, newest `updatedAt` first; `cursor` continues a previous page. */
  readonly list: (
    query: ListQuery
  ) => Effect.Effect<{ readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined }, CheckpointError>
  /** Fails with a "version conflict" when the run does not exist (never saved, or deleted). */
  readonly putItem: (id: string, scope: string, index: number, value: Json) => Effect.Effect<void, CheckpointError>
  readonly items: (id: string, scope: string) => Effect.Effect<ReadonlyMap<number, Json>, CheckpointError>
  /** How many item records `scope` holds (what `items` would return, without reading them). */
  readonly countItems: (id: string, scope: string) => Effect.Effect<number, CheckpointError>
  /** `false` when the key has an answer; a "version conflict" when the run does not exist (never saved, or deleted). */
  readonly putAnswer: (id: string, answer: Answer) => Effect.Effect<boolean, CheckpointError>
  readonly answers: (id: string) => Effect.Effect<ReadonlyArray<Answer>, CheckpointError>
  readonly removeAnswer: (id: string, key: string) => Effect.Effect<void, CheckpointError>
  /** `undefined` when the lease is ours now; the other owner's live lease otherwise. */
  readonly claim: (
    id: string,
    options: { readonly owner: string; readonly now: number; readonly expiresAt: number; readonly force: boolean }
  ) => Effect.Effect<Lease | undefined, CheckpointError>
  readonly renew: (
    id: string,
    options: { readonly owner: string; readonly now: number; readonly expiresAt: number }
  ) => Effect.Effect<Renewal, CheckpointError>
  readonly release: (id: string, owner: string) => Effect.Effect<void, CheckpointError>
  /** The lease as recorded and the interrupt mark, for readers (`Durable.get`) and for an owner that released it. */
  readonly lease: (id: string) => Effect.Effect<LeaseStatus, CheckpointError>
  /** Marks an existing run (nothing for a run that does not exist). */
  readonly requestInterrupt: (id: string) => Effect.Effect<void, CheckpointError>
  /**
   * Removes the run; with `version`, only when that is still its latest saved version (compare-and-delete). Whether
   * it removed it (`true` for an unconditional delete).
   */
  readonly delete: (
    id: string,
    options?: { readonly version?: number | undefined }
  ) => Effect.Effect<boolean, CheckpointError>
  /**
   * Up to `limit` runs that can move at `now`, earliest first, from an index (its cost grows with the runs it
   * returns and the runs held at that moment, not with all runs): saved runs nobody holds (no lease, or an expired
   * one) that are "running" (queued, or left by an owner that stopped), or waiting ("suspended", "sleeping",
   * "waiting") with an answer written for them since, a timer or input deadline at or before `now`, or a child that
   * ended.
   */
  readonly due: (query: DueQuery) => Effect.Effect<Due, CheckpointError>
}

export class Checkpointer extends Context.Service<Checkpointer, Service>()("effect-pocketflow/Checkpointer") {}

export interface Options {
  /** Versions kept per run (default 100); older ones are removed as new ones are saved. */
  readonly keep?: number | undefined
  /**
   * The largest snapshot, item or answer a save accepts, in bytes of its JSON (UTF-8), default 8 MiB: a larger one
   * fails with `CheckpointError` (reason "state too large") and nothing is written. @effect/sql-pg cannot read back a
   * row above 16 MiB, so keep it below that on Postgres.
   */
  readonly maxStateBytes?: number | undefined
}

/** The default `maxStateBytes`: 8 MiB, half of the 16 MiB message @effect/sql-pg can read back. */
export const defaultMaxStateBytes = 8 * 1024 * 1024

/** @internal */
export const checkKeep = (where: string, keep: number | undefined): number => {
  const value = keep ?? 100
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${where}: keep must be a positive integer (got ${String(keep)})`)
  }
  return value
}

/** @internal The options every checkpointer takes, checked (a bad one throws a RangeError naming `where`). */
export const checkOptions = (
  where: string,
  options: Options | undefined
): { readonly keep: number; readonly maxStateBytes: number } => {
  const keep = checkKeep(where, options?.keep)
  const maxStateBytes = options?.maxStateBytes ?? defaultMaxStateBytes
  if (!Number.isSafeInteger(maxStateBytes) || maxStateBytes < 1) {
    throw new RangeError(
      `${where}: maxStateBytes must be a positive integer (got ${String(options?.maxStateBytes)})`
    )
  }
  return { keep, maxStateBytes }
}

/** @internal The bytes of a JSON text in UTF-8. */
export const byteLength = (json: string): number => Buffer.byteLength(json, "utf8")

/** @internal The "state too large" failure of a write of `bytes` bytes, or `undefined` when it fits. */
export const tooLarge = (what: string, id: string, bytes: number, limit: number): CheckpointError | undefined =>
  bytes <= limit ? undefined : new CheckpointError({
    reason: "state too large",
    detail: `run ${JSON.stringify(id)}: the ${what} is ${bytes} bytes of JSON, more than maxStateBytes (${limit}): ` +
      `nothing was written (keep large data outside the stores, or raise maxStateBytes where the storage can read ` +
      `it back)`
  })

/** @internal The "version conflict" of a write into a run that does not exist (never saved, or deleted). */
export const noRun = (id: string, what: string) =>
  new CheckpointError({
    reason: "version conflict",
    detail: `run ${JSON.stringify(id)} does not exist (never saved, or deleted): its ${what} was not written`
  })

// ---------------------------------------------------------------------------------------------------
// Run ids
// ---------------------------------------------------------------------------------------------------

/** The longest run id, in UTF-16 code units (JavaScript string length). */
export const maxRunIdLength = 512

/** Why `id` is not a valid run id, or `undefined` when it is one. */
export const runIdProblem = (id: unknown): string | undefined => {
  if (typeof id !== "string") return "it is not a string"
  if (id.length === 0) return "it is empty"
  if (id.length > maxRunIdLength) return `it is ${id.length} characters long, more than ${maxRunIdLength}`
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    const next = i + 1 < id.length ? id.charCodeAt(i + 1) : 0
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++
      continue
    }
    // UTF-8 (files, Postgres) turns every lone surrogate into U+FFFD: two such ids would name one run.
    return `it has a lone surrogate at index ${i} (a string cut in the middle of a character?)`
  }
  return undefined
}

const showId = (id: unknown): string => {
  if (typeof id !== "string") return String(id)
  // JSON.stringify escapes lone surrogates, so the message shows them.
  return id.length > 80 ? `${JSON.stringify(id.slice(0, 60))}… (${id.length} characters)` : JSON.stringify(id)
}

/**
 * The `TypeError` naming `where` and the id when `id` is not a valid run id (a non-empty, well-formed string, no
 * lone surrogates, of at most `maxRunIdLength` characters), or `undefined`.
 */
export const invalidRunId = (where: string, id: unknown): TypeError | undefined => {
  const problem = runIdProblem(id)
  return problem === undefined ? undefined : new TypeError(
    `${where}: invalid run id ${showId(id)}: ${problem}; a run id is a non-empty, well-formed string of at most ` +
      `${maxRunIdLength} characters`
  )
}

/** Throws `invalidRunId`'s TypeError when `id` is not a valid run id. */
export const checkRunId = (where: string, id: unknown): void => {
  const error = invalidRunId(where, id)
  if (error !== undefined) throw error
}

/**
 * The service with every run id checked first: an invalid one dies with `invalidRunId`'s TypeError (a programming
 * error: `Durable` refuses such ids at the call, so only a caller that skipped it gets here).
 */
export const checkingIds = (where: string, service: Service): Service => {
  const check = <A>(method: string, id: unknown, f: () => Effect.Effect<A, CheckpointError>) => {
    const error = invalidRunId(`${where}.${method}`, id)
    return error === undefined ? f() : Effect.die(error)
  }
  const guard = <Rest extends ReadonlyArray<unknown>, A>(
    method: string,
    f: (id: string, ...rest: Rest) => Effect.Effect<A, CheckpointError>
  ) =>
  (id: string, ...rest: Rest) => check(method, id, () => f(id, ...rest))
  return {
    load: guard("load", service.load),
    loadVersion: guard("loadVersion", service.loadVersion),
    save: (snapshot) => check("save", snapshot?.id, () => service.save(snapshot)),
    history: guard("history", service.history),
    list: service.list,
    putItem: guard("putItem", service.putItem),
    items: guard("items", service.items),
    countItems: guard("countItems", service.countItems),
    putAnswer: guard("putAnswer", service.putAnswer),
    answers: guard("answers", service.answers),
    removeAnswer: guard("removeAnswer", service.removeAnswer),
    claim: guard("claim", service.claim),
    renew: guard("renew", service.renew),
    release: guard("release", service.release),
    lease: guard("lease", service.lease),
    requestInterrupt: guard("requestInterrupt", service.requestInterrupt),
    delete: guard("delete", service.delete),
    due: service.due
  }
}

/** @internal */
export const conflict = (id: string, version: number, latest: number | undefined) =>
  new CheckpointError({
    reason: "version conflict",
    detail: `run ${JSON.stringify(id)}: cannot save version ${version}, the latest saved version is ${latest ?? "none"}`
  })

// ---------------------------------------------------------------------------------------------------
// When a run can move: one rule for the executor's poll and every checkpointer's `due` index
// ---------------------------------------------------------------------------------------------------

/** Whether a status is one of the three waits: an input ("suspended"), a timer ("sleeping"), a child ("waiting"). */
export const isWaiting = (status: Status): boolean =>
  status === "suspended" || status === "sleeping" || status === "waiting"

/** Whether a status is an end: nothing moves a done, failed or interrupted run. */
export const isEnded = (status: string): boolean => status === "done" || status === "failed" || status === "interrupted"

/** What a waiting record waits for (records saved before 0.4.0 have no kind: they are inputs). */
export const kindOf = (w: Waiting): WaitKind => w.kind ?? "input"

/**
 * The time from which a snapshot makes its run due by itself: a "running" run at once (when nobody holds it), a
 * waiting one at its earliest open timer or input deadline (none: it waits for an answer or a child, which make it
 * due when they come), an ended one never. Records marked `answered` are over and count for nothing.
 */
export const dueAtOf = (s: Snapshot): number | undefined => {
  if (s.status === "running") return s.updatedAt
  if (!isWaiting(s.status)) return undefined
  let at: number | undefined
  let open = 0
  for (const w of s.waiting) {
    if (w.answered === true) continue
    open++
    const t = kindOf(w) === "timer" ? w.until : w.deadline
    if (t !== undefined && (at === undefined || t < at)) at = t
  }
  // A wait with nothing open (a snapshot no engine writes) moves at once, as `movable` says.
  return open === 0 ? s.updatedAt : at
}

/**
 * Whether the run of snapshot `s` can move at `now`: it is "running", or it waits and one of its open records is
 * over — an input answered (an answer in `answers` for its key) or past its deadline, a timer due, a child ended.
 * `load` reads a child's latest snapshot. The executor asks this before it claims a waiting run; a checkpointer's
 * `due` index answers the same question in bulk.
 */
export const movable = <E>(
  s: Pick<Snapshot, "status" | "waiting">,
  now: number,
  answers: ReadonlyArray<Answer>,
  load: (id: string) => Effect.Effect<Snapshot | undefined, E>
): Effect.Effect<boolean, E> => {
  if (s.status === "running") return Effect.succeed(true)
  if (!isWaiting(s.status)) return Effect.succeed(false)
  const keys = new Set(answers.map((a) => a.key))
  const children: Array<string> = []
  let open = 0
  for (const w of s.waiting) {
    if (w.answered === true) continue
    open++
    switch (kindOf(w)) {
      case "input":
        if (keys.has(w.key) || (w.deadline !== undefined && w.deadline <= now)) return Effect.succeed(true)
        break
      case "timer":
        if (w.until !== undefined && w.until <= now) return Effect.succeed(true)
        break
      case "child":
        if (w.child !== undefined) children.push(w.child)
        break
    }
  }
  if (open === 0) return Effect.succeed(true)
  if (children.length === 0) return Effect.succeed(false)
  return Effect.map(
    // A child deleted meanwhile counts as ended: the parent's step starts it again.
    Effect.forEach(children, (id) => Effect.map(load(id), (c) => c === undefined || isEnded(c.status))),
    (ended) => ended.some((e) => e)
  )
}

export const makeMemory = (options?: Options): Effect.Effect<Service> =>
  Effect.sync(() => {
    const { keep, maxStateBytes } = checkOptions("Checkpointer.makeMemory", options)
    interface Run {
      versions: Array<Snapshot>
      items: Map<string, Map<number, Json>>
      answers: Map<string, Answer>
      lease: Lease | undefined
      interrupt: boolean
      /** Its key in `index`, when it has one. */
      due: number | undefined
    }
    const runs = new Map<string, Run>()
    // The `due` index: the runs that are due from some time on, sorted by (time, id). Idle runs (waiting for an
    // answer or a child, or ended) are not in it, so a poll reads only what it returns and the runs held right now.
    const index = new Index()
    const runOf = (id: string): Run => {
      let run = runs.get(id)
      if (run === undefined) {
        run = { versions: [], items: new Map(), answers: new Map(), lease: undefined, interrupt: false, due: undefined }
        runs.set(id, run)
      }
      return run
    }
    /** A run with a saved version: items and answers are written only into one. */
    const saved = (id: string): Run | undefined => {
      const run = runs.get(id)
      return run === undefined || run.versions.length === 0 ? undefined : run
    }
    const latest = (id: string) => {
      const versions = runs.get(id)?.versions
      return versions === undefined || versions.length === 0 ? undefined : versions[versions.length - 1]
    }
    const setDue = (id: string, run: Run, at: number | undefined) => {
      if (run.due === at) return
      if (run.due !== undefined) index.remove(run.due, id)
      run.due = at
      if (at !== undefined) index.insert(at, id)
    }
    /** Makes a waiting run due from `at` on (an answer came, a child ended), unless it is due earlier already. */
    const wake = (id: string, at: number) => {
      const run = saved(id)
      const s = run === undefined ? undefined : latest(id)
      if (run === undefined || s === undefined || !isWaiting(s.status)) return
      if (run.due === undefined || run.due > at) setDue(id, run, at)
    }
    // Stored as given (not copied), so a snapshot is measured by encoding it once.
    const size = (what: string, id: string, value: unknown) =>
      tooLarge(what, id, byteLength(JSON.stringify(value) ?? "null"), maxStateBytes)
    const service: Service = {
      load: (id) => Effect.sync(() => latest(id)),
      loadVersion: (id, version) => Effect.sync(() => runs.get(id)?.versions.find((s) => s.version === version)),
      save: (snapshot) =>
        Effect.suspend(() => {
          const previous = latest(snapshot.id)
          const last = previous?.version
          if (snapshot.version !== (last ?? 0) + 1) return Effect.fail(conflict(snapshot.id, snapshot.version, last))
          const large = size("snapshot", snapshot.id, snapshot)
          if (large !== undefined) return Effect.fail(large)
          const run = runOf(snapshot.id)
          run.versions.push(snapshot)
          if (run.versions.length > keep) run.versions.splice(0, run.versions.length - keep)
          // A run that stays "running" keeps its place (a step's save touches no index).
          if (!(previous?.status === "running" && snapshot.status === "running" && run.due !== undefined)) {
            setDue(snapshot.id, run, dueAtOf(snapshot))
          }
          if (snapshot.parent !== undefined && isEnded(snapshot.status)) wake(snapshot.parent, snapshot.updatedAt)
          return Effect.succeed({ interrupt: run.interrupt })
        }),
      history: (id, { before, limit }) =>
        Effect.sync(() => {
          const versions = runs.get(id)?.versions ?? []
          const older = before === undefined ? versions : versions.filter((s) => s.version < before)
          return older.slice(Math.max(0, older.length - limit)).reverse()
        }),
      list: (query) =>
        Effect.suspend(() => {
          const all: Array<Snapshot> = []
          for (const id of runs.keys()) {
            const s = latest(id)
            if (s !== undefined && matches(s, query)) all.push(s)
          }
          return page(all, query)
        }),
      putItem: (id, scope, index, value) =>
        Effect.suspend(() => {
          const run = saved(id)
          if (run === undefined) return Effect.fail(noRun(id, "item"))
          const large = size("item", id, value)
          if (large !== undefined) return Effect.fail(large)
          let byIndex = run.items.get(scope)
          if (byIndex === undefined) run.items.set(scope, byIndex = new Map())
          byIndex.set(index, value)
          return Effect.void
        }),
      items: (id, scope) => Effect.sync(() => new Map(runs.get(id)?.items.get(scope) ?? [])),
      countItems: (id, scope) => Effect.sync(() => runs.get(id)?.items.get(scope)?.size ?? 0),
      putAnswer: (id, answer) =>
        Effect.suspend(() => {
          const run = saved(id)
          if (run === undefined) return Effect.fail(noRun(id, "answer"))
          if (run.answers.has(answer.key)) return Effect.succeed(false)
          const large = size("answer", id, answer)
          if (large !== undefined) return Effect.fail(large)
          run.answers.set(answer.key, answer)
          wake(id, answer.answeredAt)
          return Effect.succeed(true)
        }),
      answers: (id) => Effect.sync(() => Array.from(runs.get(id)?.answers.values() ?? [])),
      removeAnswer: (id, key) => Effect.sync(() => void runs.get(id)?.answers.delete(key)),
      claim: (id, { expiresAt, force, now, owner }) =>
        Effect.sync(() => {
          const run = runOf(id)
          const held = run.lease
          if (!force && held !== undefined && held.owner !== owner && held.expiresAt > now) return held
          run.lease = { owner, expiresAt, heartbeatAt: now }
          return undefined
        }),
      renew: (id, { expiresAt, now, owner }) =>
        Effect.sync((): Renewal => {
          const run = runs.get(id)
          if (run?.lease === undefined || run.lease.owner !== owner) return { _tag: "Lost", lease: run?.lease }
          run.lease = { owner, expiresAt, heartbeatAt: now }
          return { _tag: "Renewed", interrupt: run.interrupt }
        }),
      release: (id, owner) =>
        Effect.sync(() => {
          const run = runs.get(id)
          if (run?.lease?.owner === owner) run.lease = undefined
        }),
      lease: (id) =>
        Effect.sync(() => {
          const run = runs.get(id)
          return { lease: run?.lease, interrupt: run?.interrupt ?? false }
        }),
      requestInterrupt: (id) =>
        Effect.sync(() => {
          const run = runs.get(id)
          if (run !== undefined) run.interrupt = true
        }),
      delete: (id, options) =>
        Effect.sync(() => {
          if (options?.version !== undefined && latest(id)?.version !== options.version) return false
          const run = runs.get(id)
          if (run !== undefined) setDue(id, run, undefined)
          runs.delete(id)
          return true
        }),
      due: ({ flows, limit, now }) =>
        Effect.sync((): Due => {
          const ids: Array<string> = []
          const wanted = flows === undefined ? undefined : new Set(flows)
          const end = index.upperBound(now)
          for (let i = 0; i < end && ids.length < limit; i++) {
            const id = index.ids[i]!
            const run = runs.get(id)!
            // Held by a live owner: running now (its owner saves or releases it), not ours to move.
            if (run.lease !== undefined && run.lease.expiresAt > now) continue
            if (wanted !== undefined && !wanted.has(latest(id)!.flow)) continue
            ids.push(id)
          }
          const next = end < index.ats.length ? index.ats[end] : undefined
          return next === undefined ? { ids } : { ids, next }
        })
    }
    return checkingIds("Checkpointer.makeMemory", service)
  })

/** The memory checkpointer's `due` index: (time, id) pairs in order, in two parallel arrays. */
class Index {
  readonly ats: Array<number> = []
  readonly ids: Array<string> = []
  /** The first position whose pair is not before (at, id). */
  private lowerBound(at: number, id: string): number {
    let lo = 0
    let hi = this.ats.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const a = this.ats[mid]!
      if (a < at || (a === at && this.ids[mid]! < id)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  /** The number of pairs at or before `at`. */
  upperBound(at: number): number {
    let lo = 0
    let hi = this.ats.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.ats[mid]! <= at) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  insert(at: number, id: string): void {
    const i = this.lowerBound(at, id)
    this.ats.splice(i, 0, at)
    this.ids.splice(i, 0, id)
  }
  remove(at: number, id: string): void {
    const i = this.lowerBound(at, id)
    if (this.ats[i] === at && this.ids[i] === id) {
      this.ats.splice(i, 1)
      this.ids.splice(i, 1)
    }
  }
}

/** @internal Whether a snapshot matches a list query's filters. */
export const matches = (s: Snapshot, query: ListQuery): boolean =>
  (query.status === undefined || s.status === query.status) &&
  (query.flow === undefined || s.flow === query.flow) &&
  (query.parent === undefined || s.parent === query.parent) &&
  (query.deadlineBefore === undefined || (isWaiting(s.status) && s.deadline !== undefined &&
    s.deadline < query.deadlineBefore))

/**
 * Reads a `list` cursor (`page` makes them: the last run's `updatedAt` and id); a cursor no `list` returned fails with
 * `CheckpointError` (reason "invalid cursor").
 */
export const parseCursor = (cursor: string): Effect.Effect<readonly [number, string], CheckpointError> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(decodeURIComponent(cursor))
  } catch {
    parsed = undefined
  }
  if (
    Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "number" && Number.isFinite(parsed[0]) &&
    typeof parsed[1] === "string"
  ) {
    return Effect.succeed([parsed[0], parsed[1]])
  }
  const shown = cursor.length > 80 ? `${JSON.stringify(cursor.slice(0, 60))}…` : JSON.stringify(cursor)
  return Effect.fail(
    new CheckpointError({
      reason: "invalid cursor",
      detail: `the list cursor ${shown} is not one a list returned (pass back the \`cursor\` of the previous page)`
    })
  )
}

/** The cursor after `last`. */
export const cursorAfter = (last: Snapshot): string => encodeURIComponent(JSON.stringify([last.updatedAt, last.id]))

export const page = (
  all: Array<Snapshot>,
  query: ListQuery
): Effect.Effect<{ readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined }, CheckpointError> =>
  Effect.map(
    query.cursor === undefined ? Effect.succeed(undefined) : parseCursor(query.cursor),
    (after) => {
      all.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      let start = 0
      if (after !== undefined) {
        const [at, id] = after
        start = all.findIndex((s) => s.updatedAt < at || (s.updatedAt === at && s.id > id))
        if (start === -1) start = all.length
      }
      const limit = query.limit ?? 100
      const runs = all.slice(start, start + limit)
      const last = runs[runs.length - 1]
      return start + limit < all.length && last !== undefined ? { runs, cursor: cursorAfter(last) } : { runs }
    }
  )
