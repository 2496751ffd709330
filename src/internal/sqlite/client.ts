/**
 * An `effect/sql` `SqlClient` over Node's built-in `node:sqlite` (`DatabaseSync`): no native add-on to build.
 *
 * One connection per client, shared by its fibers through a semaphore (effect's `makeSqliteAcquirers`); the
 * statements run synchronously on it. Prepared statements are cached by their SQL text.
 *
 * Waiting for a lock. SQLite answers `SQLITE_BUSY` when another connection holds the write lock. Its own busy
 * handler would sleep inside the call, blocking the event loop, and a connection of this process holding the lock
 * (a second client on the same file, in the middle of a transaction that waits for an effect) could then never
 * finish it: two clients on one file in one process would stall each other. So the SQLite busy timeout stays 0
 * and the client waits itself, on a timer, then runs the statement again. That is safe where SQLite says it is: a
 * statement outside an explicit transaction (it made no change), `BEGIN` (no transaction started) and `COMMIT`
 * (the transaction stays open). A busy statement inside a transaction fails, and the transaction rolls back.
 * Transactions begin with `BEGIN IMMEDIATE`, which takes the write lock at once (waiting there), so the statements
 * inside one do not meet a lock held elsewhere.
 *
 * The module is loaded with `process.getBuiltinModule` when a client is made, so importing the package does not
 * load it, and Node's one-time ExperimentalWarning for `node:sqlite` is held back at that moment (only that
 * warning: every other warning goes through).
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Reactivity from "effect/reactivity/Reactivity"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlConnection from "effect/sql/SqlConnection"
import { classifySqliteError, ConnectionError, SqlError } from "effect/sql/SqlError"
import * as Statement from "effect/sql/Statement"
import * as Stream from "effect/Stream"

/** SQLite's `synchronous` setting: how often a commit waits for the disk (see `Options.synchronous`). */
export type Synchronous = "off" | "normal" | "full" | "extra"

/** Options of `SqliteClient.layer`. */
export interface Options {
  /** The database file (created when missing; its folder must exist), or `":memory:"`. */
  readonly filename: string
  /**
   * When a commit waits for the disk (default `"normal"`). In WAL mode, `"normal"` survives a killed process but
   * may lose the last commits (never the database) when the machine loses power; `"full"` also survives that, at
   * the cost of a sync per commit; `"off"` leaves it to the operating system.
   */
  readonly synchronous?: Synchronous | undefined
  /** How long a statement waits for another connection's lock before failing (default 5 seconds). */
  readonly busyTimeout?: Duration.Input | undefined
}

const synchronousValues: ReadonlyArray<Synchronous> = ["off", "normal", "full", "extra"]

/** Checks the options when the layer is made, so a typo fails at once. */
export const checkOptions = (where: string, options: Options) => {
  if (typeof options?.filename !== "string" || options.filename.length === 0) {
    throw new TypeError(`${where}: filename must be a non-empty string`)
  }
  const synchronous = options.synchronous ?? "normal"
  if (!synchronousValues.includes(synchronous)) {
    throw new RangeError(
      `${where}: synchronous must be one of ${synchronousValues.join(", ")} (got ${JSON.stringify(synchronous)})`
    )
  }
  const busy = Duration.fromInput(options.busyTimeout ?? "5 seconds")
  if (Option.isNone(busy) || !Duration.isFinite(busy.value)) {
    throw new RangeError(`${where}: busyTimeout must be a finite duration`)
  }
  return { filename: options.filename, synchronous, busyMillis: Duration.toMillis(busy.value) }
}

/** The SQLite (extended) error code of a `node:sqlite` error, if it is one; its low byte is the primary code. */
const sqliteCode = (error: unknown): number | undefined => {
  const code = (error as { errcode?: unknown } | null)?.errcode
  return typeof code === "number" ? code : undefined
}

const SQLITE_BUSY = 5

const sqlError = (error: unknown, operation: string) => {
  // effect's classifier reads SQLite's code from `errno`; `node:sqlite` calls it `errcode`.
  const code = sqliteCode(error)
  if (code !== undefined && (error as { errno?: unknown }).errno === undefined) {
    ;(error as { errno?: number }).errno = code
  }
  const message = error instanceof Error ? error.message : String(error)
  return new SqlError({ reason: classifySqliteError(error, { message, operation }) })
}

/** SQLite's own busy handler sleeps these steps (ms), then 100 ms at a time. */
const delays = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50]

/** A real-time wait: another process's lock is released in real time, also under a test clock. */
const wait = (millis: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

const controlStatement = /^\s*(BEGIN|COMMIT|END)\b/i

/**
 * The part of `node:sqlite` this client uses (Node.js 22.16: `isTransaction`, `columns`, `setReturnArrays`), typed
 * here so that nothing imports the module, not even its types, until a client is opened.
 */
type SQLInputValue = null | number | bigint | string | Uint8Array
interface StatementSync {
  all(...params: Array<SQLInputValue>): Array<unknown>
  run(...params: Array<SQLInputValue>): { readonly changes: number | bigint; readonly lastInsertRowid: number | bigint }
  iterate(...params: Array<SQLInputValue>): Iterator<unknown>
  columns(): ReadonlyArray<unknown>
  setReturnArrays(enabled: boolean): void
}
interface DatabaseSync {
  readonly isTransaction: boolean
  prepare(sql: string): StatementSync
  exec(sql: string): void
  close(): void
}
interface Sqlite {
  readonly DatabaseSync: new(path: string) => DatabaseSync
}
let loaded: Sqlite | undefined

const isSqliteWarning = (warning: unknown, type: unknown) => {
  const name = typeof warning === "object" && warning !== null ? (warning as Error).name : type
  const text = typeof warning === "string" ? warning : (warning as Error | null)?.message
  return name === "ExperimentalWarning" && typeof text === "string" && text.startsWith("SQLite is an experimental")
}

/** Loads `node:sqlite`, holding back the ExperimentalWarning it emits once per process when it loads. */
const loadSqlite = (): Sqlite => {
  if (loaded !== undefined) return loaded
  const emitWarning = process.emitWarning
  process.emitWarning = function(this: unknown, warning: string | Error, ...rest: Array<unknown>) {
    if (isSqliteWarning(warning, typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: unknown })?.type)) {
      return
    }
    return (emitWarning as (...args: Array<unknown>) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
  try {
    const module = process.getBuiltinModule("node:sqlite") as Sqlite | undefined
    if (module === undefined) throw new Error("node:sqlite is not available (Node.js 22.16 or later is needed)")
    loaded = module
    return module
  } finally {
    process.emitWarning = emitWarning
  }
}

const toInput = (value: unknown): SQLInputValue => {
  switch (typeof value) {
    case "boolean":
      return value ? 1 : 0
    case "undefined":
      return null
    default:
      return value instanceof Date ? value.toISOString() : value as SQLInputValue
  }
}
const inputs = (params: ReadonlyArray<unknown>): Array<SQLInputValue> => params.map(toInput)

type Rows = ReadonlyArray<Record<string, unknown>>
type Transform = (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

/** The connection: `db` with a statement cache and the lock waiting described in the module documentation. */
class Connection implements SqlConnection.Connection {
  readonly db: DatabaseSync
  readonly busyMillis: number
  private readonly cache = new Map<string, StatementSync>()
  private readonly arrays = new Map<string, StatementSync>()

  constructor(db: DatabaseSync, busyMillis: number) {
    this.db = db
    this.busyMillis = busyMillis
  }

  private prepared(cache: Map<string, StatementSync>, sql: string, returnArrays: boolean): StatementSync {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      if (returnArrays) statement.setReturnArrays(true)
      // A bounded cache: the oldest entry goes (its statement is finalized when collected).
      if (cache.size >= 256) cache.delete(cache.keys().next().value!)
      cache.set(sql, statement)
    }
    return statement
  }

  /** Runs `f` on the connection, waiting and running it again while the database is busy where that is safe. */
  run<A>(sql: string, operation: string, f: () => A): Effect.Effect<A, SqlError> {
    const attempt = (slept: number, step: number): Effect.Effect<A, SqlError> => {
      try {
        return Effect.succeed(f())
      } catch (error) {
        const retry = sqliteCode(error) !== undefined && (sqliteCode(error)! & 0xff) === SQLITE_BUSY &&
          slept < this.busyMillis && (!this.db.isTransaction || controlStatement.test(sql))
        if (!retry) return Effect.fail(sqlError(error, operation))
        const delay = Math.min(delays[step] ?? 100, this.busyMillis - slept)
        return Effect.flatMap(wait(delay), () => attempt(slept + delay, step + 1))
      }
    }
    return Effect.suspend(() => attempt(0, 0))
  }

  private rows(sql: string, params: ReadonlyArray<unknown>, cached: boolean, operation: string) {
    return this.run(
      sql,
      operation,
      () => (cached ? this.prepared(this.cache, sql, false) : this.db.prepare(sql)).all(...inputs(params)) as Rows
    )
  }

  execute(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform) {
    const rows = this.rows(sql, params, true, "execute")
    return transformRows === undefined ? rows : Effect.map(rows, transformRows)
  }
  executeRaw(sql: string, params: ReadonlyArray<unknown>) {
    return this.run(sql, "executeRaw", () => {
      const statement = this.prepared(this.cache, sql, false)
      // Rows for a query, `{ changes, lastInsertRowid }` for anything else.
      return statement.columns().length > 0 ? statement.all(...inputs(params)) : statement.run(...inputs(params))
    })
  }
  executeValues(sql: string, params: ReadonlyArray<unknown>) {
    return this.run(
      sql,
      "executeValues",
      () =>
        this.prepared(this.arrays, sql, true).all(...inputs(params)) as unknown as ReadonlyArray<
          ReadonlyArray<unknown>
        >
    )
  }
  executeValuesUnprepared(sql: string, params: ReadonlyArray<unknown>) {
    return this.run(sql, "executeValues", () => {
      const statement = this.db.prepare(sql)
      statement.setReturnArrays(true)
      return statement.all(...inputs(params)) as unknown as ReadonlyArray<ReadonlyArray<unknown>>
    })
  }
  executeUnprepared(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform) {
    const rows = this.rows(sql, params, false, "executeUnprepared")
    return transformRows === undefined ? rows : Effect.map(rows, transformRows)
  }
  executeStream(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform) {
    // A statement of its own: a cached one could be reset by another query while this one is being read.
    const start = this.run(sql, "executeStream", () => this.db.prepare(sql).iterate(...inputs(params)))
    const stream = Stream.unwrap(Effect.map(start, (rows) =>
      Stream.paginate(
        undefined,
        () =>
          this.run(sql, "executeStream", () => {
            const chunk: Array<Record<string, unknown>> = []
            let next = rows.next()
            while (!next.done) {
              chunk.push(next.value as Record<string, unknown>)
              if (chunk.length === 128) break
              next = rows.next()
            }
            return [chunk, next.done ? Option.none() : Option.some(undefined)] as const
          })
      )))
    return transformRows === undefined
      ? stream
      : Stream.mapArray(stream, (rows) => transformRows(rows) as typeof rows)
  }
}

/** Opens the database and sets the connection up (WAL, `synchronous`); waits while another process holds a lock. */
const open = (options: ReturnType<typeof checkOptions>) =>
  Effect.gen(function*() {
    const connection = yield* Effect.try({
      try: () => new Connection(new (loadSqlite().DatabaseSync)(options.filename), options.busyMillis),
      catch: (cause) =>
        new SqlError({
          reason: new ConnectionError({
            cause,
            message: `cannot open ${options.filename}: ${cause instanceof Error ? cause.message : String(cause)}`,
            operation: "open"
          })
        })
    })
    const pragma = (sql: string) => connection.run(sql, "open", () => connection.db.exec(sql))
    // Our own waiting (see the module documentation), so SQLite's must not sleep in the call.
    yield* pragma("PRAGMA busy_timeout = 0")
    // Switching to WAL needs a moment without other connections' locks: it is one of the waits.
    yield* pragma("PRAGMA journal_mode = WAL")
    yield* pragma(`PRAGMA synchronous = ${options.synchronous.toUpperCase()}`)
    return connection
  })

/** @internal */
export const make = (
  options: Options
): Effect.Effect<SqlClient.SqlClient, SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const checked = checkOptions("SqliteClient.make", options)
    const connection = yield* Effect.acquireRelease(
      open(checked),
      (connection) =>
        Effect.sync(() => {
          try {
            connection.db.close()
          } catch {
            // Already closed: nothing left to release.
          }
        })
    )
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore: Semaphore.makeUnsafe(1),
      isTransaction: (conn) => conn.db.isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "node-sqlite",
      spanAttributes: [["db.system.name", "sqlite"], ["db.namespace", checked.filename]],
      // Take the write lock at BEGIN (see the module documentation); `SqlClient.BeginTransaction` overrides it.
      beginTransaction: "BEGIN IMMEDIATE",
      // SQLite prepares these like any statement: each is parsed once per connection.
      prepareTransactionControls: true,
      releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`
    })
  })

/** @internal */
export const layer = (options: Options): Layer.Layer<SqlClient.SqlClient, SqlError> => {
  checkOptions("SqliteClient.layer", options)
  return Layer.effect(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))
}
