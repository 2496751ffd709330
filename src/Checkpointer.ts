/**
 * Where durable runs keep their checkpoints: a service with a small documented contract (load, compare-and-set
 * save, item records, an inbox written once per key, leases, listing, deletion). `Durable` runs on any
 * implementation; `layerMemory`, `layerFileSystem`, `layerSqlite` and `layerSql` ship with the library, and the
 * conformance suite
 * in `effect-pocketflow/testing` checks a home-made one against the same rules.
 *
 * ## The contract
 * - `save` is compare-and-set: a snapshot of `version` n is stored only when the latest stored version is n − 1
 *   (none for n = 1); otherwise it fails with `CheckpointError` (reason `"version conflict"`) and stores nothing.
 *   A save is all-or-nothing: a crash never leaves a torn snapshot. Only the `keep` newest versions are kept. A save
 *   into a run deleted meanwhile is a version conflict and brings nothing of the run back. A snapshot whose JSON is
 *   larger than `maxStateBytes` fails with reason `"state too large"` and stores nothing. A save reports the run's
 *   interrupt mark (`{ interrupt }`), so an owner stops at its next save.
 * - `load` returns the latest version, `loadVersion` one version; `history` pages through versions, newest first
 *   within a page, pages going back in time. `list` pages with a cursor it returned; any other cursor fails with
 *   reason `"invalid cursor"`.
 * - `putItem` stores one finished batch item under a scope; a later put of the same (scope, index) replaces it.
 *   `countItems` counts a scope's items.
 * - `putAnswer` writes an answer once per key: it returns `false` and changes nothing when the key has one.
 * - `putItem` and `putAnswer` write into an existing run only: for a run never saved, or deleted, they fail with a
 *   `"version conflict"`; items and answers obey `maxStateBytes` too.
 * - `claim` takes the run's lease when it is free, expired, already ours, or `force` is set; otherwise it returns
 *   the live lease of the other owner. `renew` extends a lease we hold, and reports a lease someone else took. Both
 *   record the caller's `now` as the lease's `heartbeatAt`. `lease` reads the lease as recorded (until its owner
 *   releases it, also once expired) and the interrupt mark.
 * - `requestInterrupt` marks an existing run so its owner stops at its next `save` or `renew`.
 * - `delete` removes a run with its versions, items, answers, lease and marks; with `{ version }` only while that is
 *   still the run's latest version (compare-and-delete), and it says whether it removed the run.
 * - Run ids are non-empty, well-formed strings (no lone surrogates) of at most `maxRunIdLength` characters; a
 *   checkpointer given another dies with a `TypeError` naming the method and the id (`Durable` refuses them at the
 *   call already).
 * All times are epoch milliseconds from the caller's `Clock`, so tests drive leases with `TestClock`.
 *
 * @since 0.2.0
 */
import * as Layer from "effect/Layer"
import * as fileSystem from "./internal/checkpointer/fileSystem.ts"
import * as service from "./internal/checkpointer/service.ts"
import * as sql from "./internal/checkpointer/sql.ts"
import * as sqlite from "./internal/checkpointer/sqlite.ts"

/**
 * A run's status as saved: `"running"` while an owner walks it (or after a crash), `"suspended"` while it waits
 * for input, and the three ends.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const finished = (s: Checkpointer.Status) => s === "done" || s === "failed" || s === "interrupted"
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Status = service.Status

/**
 * An input a suspended run waits for. `prompt` is the prompt's JSON encoding, `answerSchema` the answer's JSON
 * Schema (so a viewer can build a form and check an answer without the app's code), `deadline` the epoch millis
 * after which `ask` fails with `InputTimeout`.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const show = (w: Checkpointer.Waiting) => `${w.key}: ${JSON.stringify(w.prompt)}`
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Waiting = service.Waiting

/**
 * One saved version of a run. Everything in it is JSON: `position` is the engine's (opaque to checkpointers),
 * `stores` each store's Schema encoding by store key.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const line = (s: Checkpointer.Snapshot) => `${s.id} v${s.version} ${s.status} after ${s.steps} steps`
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Snapshot = service.Snapshot

/**
 * An answer in a run's inbox: the answer's JSON encoding and the prompt (JSON) it answers.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const answer: Checkpointer.Answer = {
 *   key: "flow/review#1/approval#1",
 *   value: { ok: true },
 *   prompt: "Publish?",
 *   answeredAt: 0
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Answer = service.Answer

/**
 * Who holds a run, until when, and when its owner last claimed or renewed it (`heartbeatAt`, since 0.4.0).
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const live = (lease: Checkpointer.Lease, now: number) => lease.expiresAt > now
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Lease = service.Lease

/**
 * What `lease` reads: the lease as recorded (until its owner releases it, even once expired) and whether
 * `requestInterrupt` marked the run.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const abandoned = (s: Checkpointer.LeaseStatus, now: number) => s.lease !== undefined && s.lease.expiresAt <= now
 * ```
 * @category models
 * @stability stable
 * @since 0.4.0
 */
export type LeaseStatus = service.LeaseStatus

/**
 * What a successful `save` reports: whether the run is marked for interruption (its owner stops now).
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const stop = (r: Checkpointer.SaveResult) => r.interrupt
 * ```
 * @category models
 * @stability stable
 * @since 0.4.0
 */
export type SaveResult = service.SaveResult

/**
 * What `renew` found: our lease, extended (and whether someone asked the run to stop), or another owner's.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const stop = (r: Checkpointer.Renewal) => r._tag === "Lost" || r.interrupt
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Renewal = service.Renewal

/**
 * Filters for `list`. `deadlineBefore` finds suspended runs with an input whose deadline is before it.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const query: Checkpointer.ListQuery = { status: "suspended", limit: 20 }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type ListQuery = service.ListQuery

/**
 * The checkpointer service. See the module documentation for the contract every implementation keeps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const latest = (id: string) => Effect.flatMap(Effect.service(Checkpointer.Checkpointer), (c) => c.load(id))
 * ```
 * @category services
 * @stability stable
 * @since 0.2.0
 */
export type Service = service.Service

/**
 * The checkpointer service key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const program = Effect.gen(function*() {
 *   const checkpointer = yield* Checkpointer.Checkpointer
 *   return yield* checkpointer.load("run-1")
 * }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category services
 * @stability stable
 * @since 0.2.0
 */
export const Checkpointer = service.Checkpointer
/**
 * The checkpointer service key's type (see `Checkpointer`): the requirement of every program that saves or reads runs.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * declare const program: Effect.Effect<void, never, Checkpointer.Checkpointer>
 * ```
 * @category services
 * @stability stable
 * @since 0.2.0
 */
export type Checkpointer = service.Checkpointer

/**
 * Options every checkpointer takes: `keep` (versions kept per run, default 100) and `maxStateBytes` (the largest
 * snapshot, item or answer a save accepts, in bytes of JSON; default 8 MiB, below the 16 MiB @effect/sql-pg can read
 * back; since 0.4.0).
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const options: Checkpointer.Options = { keep: 10, maxStateBytes: 1024 * 1024 }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Options = service.Options

/**
 * The default `maxStateBytes` of every checkpointer: 8 MiB of JSON, half of what @effect/sql-pg can read back.
 *
 * @example
 * ```ts
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const mib = Checkpointer.defaultMaxStateBytes / (1024 * 1024) // 8
 * ```
 * @category constants
 * @stability stable
 * @since 0.4.0
 */
export const defaultMaxStateBytes: number = service.defaultMaxStateBytes

/**
 * The longest run id, in UTF-16 code units (a JavaScript string's `length`): 512.
 *
 * @example
 * ```ts
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const fits = (id: string) => id.length <= Checkpointer.maxRunIdLength
 * ```
 * @category constants
 * @stability stable
 * @since 0.4.0
 */
export const maxRunIdLength: number = service.maxRunIdLength

/**
 * Throws a `TypeError` naming `where` and the id unless `id` is a valid run id: a non-empty string of at most
 * `maxRunIdLength` characters, well-formed UTF-16 (no lone surrogates: UTF-8 storage turns each into U+FFFD, so two
 * ids cut in the middle of different characters would name one run). Every `Durable` function and every shipped
 * checkpointer checks ids with it; a home-made checkpointer should too.
 *
 * @example
 * ```ts
 * import { Checkpointer } from "effect-pocketflow"
 *
 * Checkpointer.checkRunId("myCheckpointer.load", "report-🎉") // fine
 * // Checkpointer.checkRunId("myCheckpointer.load", "report-\uD83D") throws a TypeError
 * ```
 * @category validation
 * @stability stable
 * @since 0.4.0
 */
export const checkRunId: (where: string, id: unknown) => void = service.checkRunId

/**
 * @internal Checks a checkpointer's `keep` option (default 100, a positive integer), naming `where` when it is not.
 *
 * @category internal
 * @stability experimental
 * @since 0.2.0
 */
export const checkKeep = service.checkKeep

/**
 * @internal The `CheckpointError` (reason `"version conflict"`) of a save whose version does not follow the latest.
 *
 * @category internal
 * @stability experimental
 * @since 0.2.0
 */
export const conflict = service.conflict

/**
 * Makes an in-memory checkpointer (the state lives as long as the returned service). Useful to share one store
 * between layers in a test.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const layer = Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory({ keep: 5 }))
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export const makeMemory = service.makeMemory

/**
 * @internal Whether a snapshot matches a list query's filters (status, flow, deadline).
 *
 * @category internal
 * @stability experimental
 * @since 0.2.0
 */
export const matches = service.matches

/**
 * @internal Orders runs newest first (`updatedAt`, then id) and cuts one page. The cursor is the last run's
 * `updatedAt` and id, so pages stay stable while runs are added.
 *
 * @category internal
 * @stability experimental
 * @since 0.2.0
 */
export const page = service.page

/**
 * An in-memory checkpointer: for tests and single-process programs that need no survival across restarts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer, Durable } from "effect-pocketflow"
 *
 * declare const program: Effect.Effect<void, never, Checkpointer.Checkpointer>
 * Effect.runPromise(program.pipe(Effect.provide(Checkpointer.layerMemory)))
 * ```
 * @category layers
 * @stability stable
 * @since 0.2.0
 */
export const layerMemory: Layer.Layer<Checkpointer> = Layer.effect(Checkpointer, makeMemory())

/**
 * The embedded default: a folder per run under `directory`. See `layerFileSystem`'s documentation in
 * docs/durable.md for the layout; every write is a temp file hard-linked into place, so a crash never tears a
 * checkpoint and two processes never both win a version.
 *
 * @example
 * ```ts
 * import { NodeServices } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const checkpoints = Checkpointer.layerFileSystem({ directory: ".runs" }).pipe(Layer.provide(NodeServices.layer))
 * ```
 * @category layers
 * @stability stable
 * @since 0.2.0
 */
export const layerFileSystem = fileSystem.layer

/**
 * Checkpoints in SQL tables over any `effect/sql` `SqlClient` (Postgres via `@effect/sql-pg`). The tables are
 * created when missing; leases are conditional updates.
 *
 * @example
 * ```ts
 * import { PgClient } from "@effect/sql-pg"
 * import { Layer, Redacted } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const checkpoints = Checkpointer.layerSql().pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make("postgres://127.0.0.1:5432/app") }))
 * )
 * ```
 * @category layers
 * @stability stable
 * @since 0.2.0
 */
export const layerSql = sql.layer

/**
 * Options of `Checkpointer.layerSqlite`: the database file, `keep`, `maxStateBytes` and SQLite's `synchronous` setting.
 *
 * @example
 * ```ts
 * import type { Checkpointer } from "effect-pocketflow"
 *
 * const options: Checkpointer.SqliteOptions = { filename: "runs.db", keep: 20, synchronous: "full" }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type SqliteOptions = sqlite.SqliteOptions

/**
 * Checkpoints in one SQLite file, on Node's built-in `node:sqlite` (Node.js 22.16 or later; no native add-on): the
 * SQL checkpointer's tables and rules (`layerSql`) over a connection in WAL mode. A save is one transaction that
 * takes the write lock at its start; leases are conditional statements. Several processes on one machine may open
 * the same file, and two layers on one file in one process behave as two processes: a statement that meets
 * another connection's lock waits on a timer (up to 5 seconds), not by blocking the event loop. The file and its
 * `-wal` and `-shm` companions must be on a local disk (not a network file system).
 *
 * `synchronous` (default `"normal"`): every committed save survives the process being killed; `"full"` also
 * survives a power cut, with a sync to disk per save.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 *
 * declare const program: Effect.Effect<void, never, Checkpointer.Checkpointer>
 * const checkpoints = Checkpointer.layerSqlite({ filename: "runs.db" })
 * Effect.runPromise(program.pipe(Effect.provide(checkpoints)))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layerSqlite = sqlite.layer
