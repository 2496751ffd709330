/**
 * An `effect/sql` `SqlClient` over Node's built-in `node:sqlite` (Node.js 22.16 or later): SQLite with no native
 * add-on to build. It is what `Checkpointer.layerSqlite` runs on, and it serves anything written against
 * `SqlClient`, e.g. effect's `Persistence.layerSql` or `KeyValueStore.layerSql` (a node's `cache` in a SQLite file).
 * (effect's own `@effect/sql-sqlite-node` does not load with effect 4.1.)
 *
 * The connection runs in WAL mode, so readers never wait for the writer, and several processes on one machine may
 * open the same file. When another connection holds the write lock, a statement waits on a timer and runs again
 * (up to `busyTimeout`), leaving the event loop free, so two clients on one file in one process do not stall each
 * other. Transactions begin with `BEGIN IMMEDIATE`. Importing this module does not load `node:sqlite`; opening a
 * client does, without Node's one-time "SQLite is an experimental feature" warning (only that warning is held back).
 *
 * @since 0.4.0
 */
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Reactivity from "effect/reactivity/Reactivity"
import type * as Scope from "effect/Scope"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import * as client from "./internal/sqlite/client.ts"

/**
 * SQLite's `synchronous` setting, which decides when a commit waits for the disk. In WAL mode: `"normal"` (the
 * default) keeps every commit when the process is killed, and may lose the last ones (never the database) when the
 * machine loses power; `"full"` syncs the log at each commit and keeps them then too; `"extra"` is `"full"` (its
 * extra folder sync is for rollback-journal modes); `"off"` leaves writing to the operating system.
 *
 * @example
 * ```ts
 * import type { SqliteClient } from "effect-pocketflow"
 *
 * const durable: SqliteClient.Synchronous = "full"
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type Synchronous = client.Synchronous

/**
 * Options of `SqliteClient.layer`: the database file (created when missing, its folder must exist; `":memory:"`
 * for a private in-memory database), `synchronous` (default `"normal"`) and `busyTimeout` (default 5 seconds: how
 * long a statement waits for another connection's lock before it fails with a `LockTimeoutError` reason).
 *
 * @example
 * ```ts
 * import type { SqliteClient } from "effect-pocketflow"
 *
 * const options: SqliteClient.Options = { filename: "app.db", synchronous: "full", busyTimeout: "10 seconds" }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type Options = client.Options

/**
 * Opens a client on `options.filename` for the life of the scope (the connection closes with it). Most programs
 * use `layer`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Reactivity } from "effect/reactivity"
 * import { SqliteClient } from "effect-pocketflow"
 *
 * const count = Effect.gen(function*() {
 *   const sql = yield* SqliteClient.make({ filename: ":memory:" })
 *   return yield* sql<{ n: number }>`SELECT 1 AS n`
 * }).pipe(Effect.scoped, Effect.provide(Reactivity.layer))
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const make: (
  options: Options
) => Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> = client.make

/**
 * The `SqlClient` service on a SQLite file. The options are checked when the layer is made (a bad `synchronous`
 * throws at once); opening the file can fail with a `SqlError`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Persistence } from "effect/persistence"
 * import { SqliteClient } from "effect-pocketflow"
 *
 * // effect's Persistence (what a node's `cache` needs) in a SQLite file
 * const persistence = Persistence.layerSql.pipe(Layer.provide(SqliteClient.layer({ filename: "cache.db" })))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layer: (options: Options) => Layer.Layer<SqlClient.SqlClient, SqlError.SqlError> = client.layer
