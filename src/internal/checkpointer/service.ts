/**
 * The checkpointer service: its contract's types, its key, the helpers every implementation shares, and the
 * in-memory implementation. The public `Checkpointer` module re-exports it with its documentation.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"

export type Status = "running" | "suspended" | "done" | "failed" | "interrupted"

export interface Waiting {
  readonly key: string
  readonly input: string
  readonly path: string
  readonly prompt: Json
  readonly token: string
  readonly answerSchema: Json
  readonly deadline?: number | undefined
  /** Answered already, waiting only for its step to complete (e.g. a second question in the same step). */
  readonly answered?: boolean | undefined
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
}

export type Renewal =
  | { readonly _tag: "Renewed"; readonly interrupt: boolean }
  | { readonly _tag: "Lost"; readonly lease: Lease | undefined }

export interface ListQuery {
  readonly status?: Status | undefined
  readonly flow?: string | undefined
  readonly deadlineBefore?: number | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

export interface Service {
  readonly load: (id: string) => Effect.Effect<Snapshot | undefined, CheckpointError>
  readonly loadVersion: (id: string, version: number) => Effect.Effect<Snapshot | undefined, CheckpointError>
  readonly save: (snapshot: Snapshot) => Effect.Effect<void, CheckpointError>
  /** Up to `limit` versions older than `before` (all when undefined), newest first. */
  readonly history: (
    id: string,
    options: { readonly limit: number; readonly before?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<Snapshot>, CheckpointError>
  /** The latest snapshot of each matching run, newest `updatedAt` first; `cursor` continues a previous page. */
  readonly list: (
    query: ListQuery
  ) => Effect.Effect<{ readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined }, CheckpointError>
  readonly putItem: (id: string, scope: string, index: number, value: Json) => Effect.Effect<void, CheckpointError>
  readonly items: (id: string, scope: string) => Effect.Effect<ReadonlyMap<number, Json>, CheckpointError>
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
  readonly requestInterrupt: (id: string) => Effect.Effect<void, CheckpointError>
  readonly delete: (id: string) => Effect.Effect<void, CheckpointError>
}

export class Checkpointer extends Context.Service<Checkpointer, Service>()("effect-pocketflow/Checkpointer") {}

export interface Options {
  /** Versions kept per run (default 100); older ones are removed as new ones are saved. */
  readonly keep?: number | undefined
}

/** @internal */
export const checkKeep = (where: string, keep: number | undefined): number => {
  const value = keep ?? 100
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${where}: keep must be a positive integer (got ${String(keep)})`)
  }
  return value
}

/** @internal */
export const conflict = (id: string, version: number, latest: number | undefined) =>
  new CheckpointError({
    reason: "version conflict",
    detail: `run ${JSON.stringify(id)}: cannot save version ${version}, the latest saved version is ${latest ?? "none"}`
  })

export const makeMemory = (options?: Options): Effect.Effect<Service> =>
  Effect.sync(() => {
    const keep = checkKeep("Checkpointer.makeMemory", options?.keep)
    interface Run {
      versions: Array<Snapshot>
      items: Map<string, Map<number, Json>>
      answers: Map<string, Answer>
      lease: Lease | undefined
      interrupt: boolean
    }
    const runs = new Map<string, Run>()
    const runOf = (id: string): Run => {
      let run = runs.get(id)
      if (run === undefined) {
        run = { versions: [], items: new Map(), answers: new Map(), lease: undefined, interrupt: false }
        runs.set(id, run)
      }
      return run
    }
    const latest = (id: string) => {
      const versions = runs.get(id)?.versions
      return versions === undefined || versions.length === 0 ? undefined : versions[versions.length - 1]
    }
    const service: Service = {
      load: (id) => Effect.sync(() => latest(id)),
      loadVersion: (id, version) => Effect.sync(() => runs.get(id)?.versions.find((s) => s.version === version)),
      save: (snapshot) =>
        Effect.suspend(() => {
          const run = runOf(snapshot.id)
          const last = run.versions.length === 0 ? undefined : run.versions[run.versions.length - 1]!.version
          if (snapshot.version !== (last ?? 0) + 1) return Effect.fail(conflict(snapshot.id, snapshot.version, last))
          run.versions.push(snapshot)
          if (run.versions.length > keep) run.versions.splice(0, run.versions.length - keep)
          return Effect.void
        }),
      history: (id, { before, limit }) =>
        Effect.sync(() => {
          const versions = runs.get(id)?.versions ?? []
          const older = before === undefined ? versions : versions.filter((s) => s.version < before)
          return older.slice(Math.max(0, older.length - limit)).reverse()
        }),
      list: (query) =>
        Effect.sync(() => {
          const all: Array<Snapshot> = []
          for (const id of runs.keys()) {
            const s = latest(id)
            if (s !== undefined && matches(s, query)) all.push(s)
          }
          return page(all, query)
        }),
      putItem: (id, scope, index, value) =>
        Effect.sync(() => {
          const items = runOf(id).items
          let byIndex = items.get(scope)
          if (byIndex === undefined) items.set(scope, byIndex = new Map())
          byIndex.set(index, value)
        }),
      items: (id, scope) => Effect.sync(() => new Map(runs.get(id)?.items.get(scope) ?? [])),
      putAnswer: (id, answer) =>
        Effect.sync(() => {
          const answers = runOf(id).answers
          if (answers.has(answer.key)) return false
          answers.set(answer.key, answer)
          return true
        }),
      answers: (id) => Effect.sync(() => Array.from(runs.get(id)?.answers.values() ?? [])),
      removeAnswer: (id, key) => Effect.sync(() => void runs.get(id)?.answers.delete(key)),
      claim: (id, { expiresAt, force, now, owner }) =>
        Effect.sync(() => {
          const run = runOf(id)
          const held = run.lease
          if (!force && held !== undefined && held.owner !== owner && held.expiresAt > now) return held
          run.lease = { owner, expiresAt }
          return undefined
        }),
      renew: (id, { expiresAt, owner }) =>
        Effect.sync((): Renewal => {
          const run = runOf(id)
          if (run.lease === undefined || run.lease.owner !== owner) return { _tag: "Lost", lease: run.lease }
          run.lease = { owner, expiresAt }
          return { _tag: "Renewed", interrupt: run.interrupt }
        }),
      release: (id, owner) =>
        Effect.sync(() => {
          const run = runs.get(id)
          if (run?.lease?.owner === owner) run.lease = undefined
        }),
      requestInterrupt: (id) => Effect.sync(() => void (runOf(id).interrupt = true)),
      delete: (id) => Effect.sync(() => void runs.delete(id))
    }
    return service
  })

/** @internal Whether a snapshot matches a list query's filters. */
export const matches = (s: Snapshot, query: ListQuery): boolean =>
  (query.status === undefined || s.status === query.status) &&
  (query.flow === undefined || s.flow === query.flow) &&
  (query.deadlineBefore === undefined || (s.status === "suspended" && s.deadline !== undefined &&
    s.deadline < query.deadlineBefore))

export const page = (
  all: Array<Snapshot>,
  query: ListQuery
): { readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined } => {
  all.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  let start = 0
  if (query.cursor !== undefined) {
    const [at, id] = JSON.parse(decodeURIComponent(query.cursor)) as [number, string]
    start = all.findIndex((s) => s.updatedAt < at || (s.updatedAt === at && s.id > id))
    if (start === -1) start = all.length
  }
  const limit = query.limit ?? 100
  const runs = all.slice(start, start + limit)
  const last = runs[runs.length - 1]
  return start + limit < all.length && last !== undefined
    ? { runs, cursor: encodeURIComponent(JSON.stringify([last.updatedAt, last.id])) }
    : { runs }
}
