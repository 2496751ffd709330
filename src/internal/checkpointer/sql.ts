/**
 * The SQL checkpointer, over any `effect/sql` `SqlClient`. Four tables, created when missing:
 * ```
 * <table>_runs      id PK, flow, status, version, updated_at, deadline, lease_owner, lease_expires, lease_heartbeat,
 *                   interrupt, due_at, parent
 * <table>_versions  (id, version) PK, snapshot          one row per kept version
 * <table>_items     (id, scope, idx) PK, value         one row per finished batch item
 * <table>_inbox     (id, key) PK, answer, answered_at  one row per answer
 * ```
 * JSON is stored as text: portable, and the library never queries inside it. `<table>_runs` holds the latest
 * version's listing columns (so `list` filters and pages with an index, not by reading snapshots) and the lease;
 * a row may exist with version 0, before the first save, when a run is claimed or marked first.
 *
 * A save is a conditional update of the runs row (`WHERE version = n - 1`, or an insert for n = 1), the version
 * row insert, and the pruning of versions beyond `keep`: on PostgreSQL one statement (data-modifying CTEs, the
 * insert and delete running only when the update matched), elsewhere (SQLite) one transaction. The conditional
 * update row-locks the run (SQLite: the write lock, taken at `BEGIN IMMEDIATE`), so a concurrent save of the same
 * version waits and then matches no row: a version conflict.
 * Leases are single conditional statements (`INSERT … ON CONFLICT DO UPDATE … WHERE`,
 * `UPDATE … WHERE lease_owner = ?`), checked by the rows they return. Besides the PostgreSQL save, the SQL is the
 * subset PostgreSQL and SQLite share (`ON CONFLICT`, `RETURNING`); the tests run PostgreSQL (its
 * one-statement save and the transaction save) and SQLite (the transaction save, in `BEGIN IMMEDIATE`).
 *
 * Items and answers are inserted only while the run's row has a saved version (`INSERT … SELECT … WHERE EXISTS`), and
 * a delete removes the runs row first (a conditional delete: only at the listed version), so a write racing a delete
 * never leaves records behind for a later run of the same id. PostgreSQL cuts identifiers at 63 bytes: a prefix whose
 * longest name (`<table>_runs_updated`, the index) would be cut is refused when the layer is made.
 *
 * `due` reads the partial index on `due_at` (only rows with a time: running runs, and waiting runs with a timer, a
 * deadline, an answer or an ended child): every save sets it from the snapshot (`dueAtOf`), an answer lowers it in
 * the transaction that inserts the answer, and the save that ends a child lowers its parent's, in the save's
 * statement (PostgreSQL) or transaction. Idle runs have none, so a poll reads what it returns plus the runs held now.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"
import {
  type Answer,
  byteLength,
  checkingIds,
  checkOptions as checkCommon,
  Checkpointer,
  conflict,
  cursorAfter,
  dueAtOf,
  isEnded,
  type Lease,
  noRun,
  type Options,
  parseCursor,
  type Renewal,
  type SaveResult,
  type Service,
  type Snapshot,
  tooLarge
} from "./service.ts"

/** Options of `Checkpointer.layerSql`. */
export interface SqlOptions extends Options {
  /**
   * The prefix of the tables (default "pocketflow"): `<table>_runs`, `<table>_versions`, `<table>_items` and
   * `<table>_inbox`.
   */
  readonly table?: string | undefined
}

type Row = Record<string, unknown>

const num = (value: unknown): number => typeof value === "number" ? value : Number(value)

/** The longest name made from the prefix: the runs table's index. */
const longestSuffix = "_runs_updated"
/** PostgreSQL's identifier limit (NAMEDATALEN − 1): longer names are cut silently. */
const maxIdentifierBytes = 63

/** Options are checked when the layer is made, so a typo fails at once, not at startup. */
const checkOptions = (options: SqlOptions | undefined) => {
  const { keep, maxStateBytes } = checkCommon("Checkpointer.layerSql", options)
  const prefix = options?.table ?? "pocketflow"
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new RangeError(`Checkpointer.layerSql: table must be a plain SQL name (got ${JSON.stringify(prefix)})`)
  }
  // Cut names would collide (PostgreSQL cuts silently: a long prefix makes the four tables one).
  if (prefix.length + longestSuffix.length > maxIdentifierBytes) {
    throw new RangeError(
      `Checkpointer.layerSql: table ${JSON.stringify(prefix)} is ${prefix.length} characters; PostgreSQL cuts ` +
        `names at ${maxIdentifierBytes} bytes, and "${prefix}${longestSuffix}" would be cut: use at most ` +
        `${maxIdentifierBytes - longestSuffix.length} characters`
    )
  }
  return { keep, maxStateBytes, prefix }
}

/** @internal */
export const make = Effect.fnUntraced(function*(
  options?: SqlOptions,
  /** Tests: save in a transaction on PostgreSQL too, to run the path other databases take. */
  internal?: { readonly transactionSave?: boolean }
) {
  const { keep, maxStateBytes, prefix } = checkOptions(options)
  const sql = yield* SqlClient.SqlClient
  const runs = sql(`${prefix}_runs`)
  const versions = sql(`${prefix}_versions`)
  const items = sql(`${prefix}_items`)
  const inbox = sql(`${prefix}_inbox`)

  const create = Effect.gen(function*() {
    yield* sql`CREATE TABLE IF NOT EXISTS ${runs} (
      id TEXT PRIMARY KEY,
      flow TEXT,
      status TEXT,
      version INTEGER NOT NULL DEFAULT 0,
      updated_at BIGINT,
      deadline BIGINT,
      lease_owner TEXT,
      lease_expires BIGINT,
      lease_heartbeat BIGINT,
      interrupt INTEGER NOT NULL DEFAULT 0,
      due_at BIGINT,
      parent TEXT
    )`
    // Tables made before heartbeats were recorded get the column (SQLite has no ADD COLUMN IF NOT EXISTS).
    // …and the due index's columns (0.4.0).
    for (const [column, type] of [["lease_heartbeat", "BIGINT"], ["due_at", "BIGINT"], ["parent", "TEXT"]]) {
      yield* sql.onDialectOrElse({
        pg: () => sql`ALTER TABLE ${runs} ADD COLUMN IF NOT EXISTS ${sql(column!)} ${sql.literal(type!)}`,
        orElse: () => Effect.ignore(sql`ALTER TABLE ${runs} ADD COLUMN ${sql(column!)} ${sql.literal(type!)}`)
      })
    }
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_runs_updated`)} ON ${runs} (updated_at DESC, id)`
    // Partial: idle and ended runs (no time) are not in the index at all.
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_runs_due`)} ON ${runs} (due_at) WHERE due_at IS NOT NULL`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_runs_parent`)} ON ${runs} (parent)
      WHERE parent IS NOT NULL`
    // Running runs saved before the column existed are due (a crashed owner's): no other row can lack it.
    yield* sql`UPDATE ${runs} SET due_at = updated_at WHERE due_at IS NULL AND status = 'running'`
    yield* sql`CREATE TABLE IF NOT EXISTS ${versions} (
      id TEXT NOT NULL,
      version INTEGER NOT NULL,
      snapshot TEXT NOT NULL,
      PRIMARY KEY (id, version)
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS ${items} (
      id TEXT NOT NULL,
      scope TEXT NOT NULL,
      idx INTEGER NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (id, scope, idx)
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS ${inbox} (
      id TEXT NOT NULL,
      key TEXT NOT NULL,
      answer TEXT NOT NULL,
      answered_at BIGINT NOT NULL,
      PRIMARY KEY (id, key)
    )`
  })
  // Two processes creating the tables at once can collide in PostgreSQL's catalog; the second try sees them.
  yield* Effect.retry(create, { times: 2 })

  const storage = (what: string, id: string) => (error: SqlError.SqlError) =>
    new CheckpointError({ reason: "storage failed", detail: `${what} of run ${JSON.stringify(id)}: ${error.message}` })
  const wrap = <A, E>(what: string, id: string, effect: Effect.Effect<A, E | SqlError.SqlError>) =>
    Effect.catchTag(
      effect as Effect.Effect<A, SqlError.SqlError>,
      "SqlError",
      (e) => Effect.fail(storage(what, id)(e))
    ) as Effect.Effect<A, Exclude<E, SqlError.SqlError> | CheckpointError>

  const parse = (rows: ReadonlyArray<Row>) =>
    rows.length === 0 ? undefined : JSON.parse(String(rows[0]!.snapshot)) as Snapshot
  const latestVersion = (id: string) =>
    Effect.map(sql<Row>`SELECT version FROM ${runs} WHERE id = ${id}`, (rows) => {
      const v = rows.length === 0 ? 0 : num(rows[0]!.version)
      return v === 0 ? undefined : v
    })
  // Rows written before heartbeats were recorded have none: 0 says "unknown".
  const leaseOf = (row: Row | undefined): Lease | undefined =>
    row === undefined || row.lease_owner === null || row.lease_owner === undefined
      ? undefined
      : {
        owner: String(row.lease_owner),
        expiresAt: num(row.lease_expires),
        heartbeatAt: row.lease_heartbeat === null ? 0 : num(row.lease_heartbeat)
      }
  const leaseRow = (id: string) =>
    Effect.map(
      sql<Row>`SELECT lease_owner, lease_expires, lease_heartbeat, interrupt FROM ${runs} WHERE id = ${id}`,
      (rows) => rows[0]
    )

  /** The runs-row statement of a save: it returns a row only when the save may go ahead (the compare-and-set). */
  const advance = (s: Snapshot) => {
    const deadline = s.deadline ?? null
    const due = dueAtOf(s) ?? null
    const parent = s.parent ?? null
    return s.version === 1
      ? sql`INSERT INTO ${runs} (id, flow, status, version, updated_at, deadline, due_at, parent)
          VALUES (${s.id}, ${s.flow}, ${s.status}, 1, ${s.updatedAt}, ${deadline}, ${due}, ${parent})
          ON CONFLICT (id) DO UPDATE SET flow = excluded.flow, status = excluded.status, version = 1,
            updated_at = excluded.updated_at, deadline = excluded.deadline, due_at = excluded.due_at,
            parent = excluded.parent
          WHERE ${runs}.version = 0
          RETURNING id, interrupt`
      : sql`UPDATE ${runs} SET flow = ${s.flow}, status = ${s.status}, version = ${s.version},
            updated_at = ${s.updatedAt}, deadline = ${deadline}, due_at = ${due}, parent = ${parent}
          WHERE id = ${s.id} AND version = ${s.version - 1}
          RETURNING id, interrupt`
  }

  /** Makes a waiting run due from `at` on (an answer came, a child ended), unless it is due earlier already. */
  const wake = (id: string, at: number) =>
    sql`UPDATE ${runs} SET due_at = CASE WHEN due_at IS NULL OR due_at > ${at} THEN CAST(${at} AS BIGINT)
        ELSE due_at END
      WHERE id = ${id} AND status IN ('suspended', 'sleeping', 'waiting')`

  /** The parent a save wakes: a child's, when the snapshot ends it. */
  const parentToWake = (s: Snapshot) => s.parent !== undefined && isEnded(s.status) ? s.parent : undefined

  /** Whether the save went ahead, and the run's interrupt mark (read by the same statement). */
  type Saved = { readonly saved: boolean; readonly interrupt: boolean }

  // PostgreSQL: one statement (data-modifying CTEs), so one round trip and one commit per save.
  const savePg = (s: Snapshot, json: string) =>
    Effect.map(
      sql<Row>`WITH advanced AS (${advance(s)}),
        inserted AS (
          INSERT INTO ${versions} (id, version, snapshot) SELECT id, ${s.version}, ${json} FROM advanced
          RETURNING id
        )${
        s.version > keep
          ? sql`, pruned AS (
          DELETE FROM ${versions} WHERE id = ${s.id} AND version <= ${s.version - keep}
            AND EXISTS (SELECT 1 FROM advanced)
        )`
          : sql.literal("")
      }${
        parentToWake(s) === undefined ? sql.literal("") : sql`, woken AS (
          UPDATE ${runs} SET due_at = CASE WHEN due_at IS NULL OR due_at > ${s.updatedAt}
              THEN CAST(${s.updatedAt} AS BIGINT) ELSE due_at END
            WHERE id = ${parentToWake(s)!} AND status IN ('suspended', 'sleeping', 'waiting')
              AND EXISTS (SELECT 1 FROM advanced)
        )`
      }
        SELECT (SELECT count(*) FROM inserted) AS saved, (SELECT max(interrupt) FROM advanced) AS interrupt`,
      (rows): Saved => ({ saved: num(rows[0]?.saved) > 0, interrupt: num(rows[0]?.interrupt ?? 0) !== 0 })
    )

  // Elsewhere: a transaction of the same three statements.
  const saveOther = (s: Snapshot, json: string) =>
    Effect.gen(function*() {
      const advanced = yield* advance(s)
      if (advanced.length === 0) return { saved: false, interrupt: false }
      yield* sql`INSERT INTO ${versions} (id, version, snapshot) VALUES (${s.id}, ${s.version}, ${json})`
      if (s.version > keep) yield* sql`DELETE FROM ${versions} WHERE id = ${s.id} AND version <= ${s.version - keep}`
      const parent = parentToWake(s)
      if (parent !== undefined) yield* wake(parent, s.updatedAt)
      return { saved: true, interrupt: num((advanced[0] as Row).interrupt ?? 0) !== 0 }
    }).pipe(sql.withTransaction)

  const save = (s: Snapshot) =>
    Effect.gen(function*() {
      const n = s.version
      if (!Number.isInteger(n) || n < 1) return yield* Effect.fail(conflict(s.id, n, yield* latestVersion(s.id)))
      const json = JSON.stringify(s)
      const large = tooLarge("snapshot", s.id, byteLength(json), maxStateBytes)
      if (large !== undefined) return yield* Effect.fail(large)
      const result = yield* (internal?.transactionSave
        ? saveOther(s, json)
        : sql.onDialectOrElse({ pg: () => savePg(s, json), orElse: () => saveOther(s, json) }))
      if (!result.saved) return yield* Effect.fail(conflict(s.id, n, yield* latestVersion(s.id)))
      return { interrupt: result.interrupt } satisfies SaveResult
    })

  /** `undefined` when the JSON of `value` fits, else the failure. */
  const sized = (what: string, id: string, value: unknown) => {
    const json = JSON.stringify(value)
    const large = tooLarge(what, id, byteLength(json), maxStateBytes)
    return large === undefined ? Effect.succeed(json) : Effect.fail(large)
  }
  /** A run with a saved version: items and answers are written only into one. */
  const exists = (id: string) => sql`SELECT 1 FROM ${runs} WHERE id = ${id} AND version > 0`

  // On PostgreSQL an item or answer insert share-locks the runs row it checks, so it and a delete (which removes that
  // row first) run one after the other; SQLite runs one writer at a time anyway.
  const lockRun = sql.onDialectOrElse({ pg: () => sql.literal("FOR SHARE"), orElse: () => sql.literal("") })
  // An answer's insert then updates that row (its `due_at`): it takes the row lock it needs at once, so two answers
  // to one run queue up instead of deadlocking on two share locks.
  const lockRunForUpdate = sql.onDialectOrElse({
    pg: () => sql.literal("FOR UPDATE"),
    orElse: () => sql.literal("")
  })

  const service: Service = {
    load: (id) =>
      wrap(
        "load",
        id,
        Effect.map(sql<Row>`SELECT snapshot FROM ${versions} WHERE id = ${id} ORDER BY version DESC LIMIT 1`, parse)
      ),
    loadVersion: (id, version) =>
      wrap(
        "load",
        id,
        Effect.map(sql<Row>`SELECT snapshot FROM ${versions} WHERE id = ${id} AND version = ${version}`, parse)
      ),
    save: (snapshot) => wrap("save", snapshot.id, save(snapshot)),
    history: (id, { before, limit }) =>
      wrap(
        "history",
        id,
        Effect.map(
          sql<Row>`SELECT snapshot FROM ${versions} WHERE id = ${id}
            ${before === undefined ? sql.literal("") : sql`AND version < ${before}`}
            ORDER BY version DESC LIMIT ${limit}`,
          (rows) => rows.map((row) => JSON.parse(String(row.snapshot)) as Snapshot)
        )
      ),
    list: (query) =>
      Effect.gen(function*() {
        const limit = query.limit ?? 100
        const where = [sql`r.version > 0`]
        if (query.status !== undefined) where.push(sql`r.status = ${query.status}`)
        if (query.flow !== undefined) where.push(sql`r.flow = ${query.flow}`)
        if (query.parent !== undefined) where.push(sql`r.parent = ${query.parent}`)
        if (query.deadlineBefore !== undefined) {
          where.push(
            sql`r.status IN ('suspended', 'sleeping', 'waiting') AND r.deadline IS NOT NULL
              AND r.deadline < ${query.deadlineBefore}`
          )
        }
        if (query.cursor !== undefined) {
          const [at, id] = yield* parseCursor(query.cursor)
          where.push(sql`(r.updated_at < ${at} OR (r.updated_at = ${at} AND r.id > ${id}))`)
        }
        return yield* wrap(
          "list",
          "*",
          Effect.map(
            sql<Row>`SELECT v.snapshot FROM ${runs} r JOIN ${versions} v ON v.id = r.id AND v.version = r.version
              WHERE ${sql.and(where)}
              ORDER BY r.updated_at DESC, r.id ASC LIMIT ${limit + 1}`,
            (rows) => {
              const all = rows.map((row) => JSON.parse(String(row.snapshot)) as Snapshot)
              const page = all.slice(0, limit)
              const last = page[page.length - 1]
              return all.length > limit && last !== undefined
                ? { runs: page, cursor: cursorAfter(last) }
                : { runs: page }
            }
          )
        )
      }),
    putItem: (id, scope, index, value) =>
      wrap(
        "put item",
        id,
        Effect.gen(function*() {
          const json = yield* sized("item", id, value)
          const rows = yield* sql<Row>`INSERT INTO ${items} (id, scope, idx, value)
            SELECT id, ${scope}, CAST(${index} AS INTEGER), ${json} FROM ${runs} WHERE id = ${id} AND version > 0
            ${lockRun}
            ON CONFLICT (id, scope, idx) DO UPDATE SET value = excluded.value
            RETURNING id`
          if (rows.length === 0) return yield* Effect.fail(noRun(id, "item"))
        })
      ),
    items: (id, scope) =>
      wrap(
        "read items",
        id,
        Effect.map(
          sql<Row>`SELECT idx, value FROM ${items} WHERE id = ${id} AND scope = ${scope} ORDER BY idx`,
          (rows) => new Map(rows.map((row) => [num(row.idx), JSON.parse(String(row.value)) as Json]))
        )
      ),
    countItems: (id, scope) =>
      wrap(
        "count items",
        id,
        Effect.map(
          sql<Row>`SELECT count(*) AS n FROM ${items} WHERE id = ${id} AND scope = ${scope}`,
          (rows) => num(rows[0]?.n ?? 0)
        )
      ),
    putAnswer: (id, answer) =>
      wrap(
        "put answer",
        id,
        Effect.gen(function*() {
          const json = yield* sized("answer", id, answer)
          // The answer and the run's due time in one transaction: an answer never lands without waking the run.
          const inserted = yield* Effect.gen(function*() {
            const rows = yield* sql<Row>`INSERT INTO ${inbox} (id, key, answer, answered_at)
              SELECT id, ${answer.key}, ${json}, CAST(${answer.answeredAt} AS BIGINT) FROM ${runs}
              WHERE id = ${id} AND version > 0
              ${lockRunForUpdate}
              ON CONFLICT (id, key) DO NOTHING
              RETURNING key`
            if (rows.length > 0) yield* wake(id, answer.answeredAt)
            return rows.length > 0
          }).pipe(sql.withTransaction)
          if (inserted) return true
          // Nothing inserted: the key has an answer, or there is no run to answer.
          if ((yield* exists(id)).length === 0) return yield* Effect.fail(noRun(id, "answer"))
          return false
        })
      ),
    answers: (id) =>
      wrap(
        "read answers",
        id,
        Effect.map(
          sql<Row>`SELECT answer FROM ${inbox} WHERE id = ${id} ORDER BY answered_at, key`,
          (rows) => rows.map((row) => JSON.parse(String(row.answer)) as Answer)
        )
      ),
    removeAnswer: (id, key) =>
      wrap("remove answer", id, sql`DELETE FROM ${inbox} WHERE id = ${id} AND key = ${key}`).pipe(Effect.asVoid),
    claim: (id, { expiresAt, force, now, owner }) =>
      wrap(
        "claim",
        id,
        Effect.gen(function*() {
          // A release between our failed claim and the read makes the lease free: try again then.
          while (true) {
            const taken = yield* sql<Row>`INSERT INTO ${runs} (id, lease_owner, lease_expires, lease_heartbeat)
              VALUES (${id}, ${owner}, ${expiresAt}, ${now})
              ON CONFLICT (id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_expires = excluded.lease_expires,
                lease_heartbeat = excluded.lease_heartbeat
              WHERE ${
              force ? sql.literal("1 = 1") : sql`${runs}.lease_owner IS NULL OR ${runs}.lease_owner = ${owner}
                OR ${runs}.lease_expires <= ${now}`
            }
              RETURNING id`
            if (taken.length > 0) return undefined
            const held = leaseOf(yield* leaseRow(id))
            if (held !== undefined && held.owner !== owner && held.expiresAt > now) return held
          }
        })
      ),
    renew: (id, { expiresAt, now, owner }) =>
      wrap(
        "renew",
        id,
        Effect.gen(function*() {
          const rows = yield* sql<Row>`UPDATE ${runs} SET lease_expires = ${expiresAt}, lease_heartbeat = ${now}
            WHERE id = ${id} AND lease_owner = ${owner}
            RETURNING interrupt`
          if (rows.length > 0) return { _tag: "Renewed", interrupt: num(rows[0]!.interrupt) !== 0 } satisfies Renewal
          return { _tag: "Lost", lease: leaseOf(yield* leaseRow(id)) } satisfies Renewal
        })
      ),
    release: (id, owner) =>
      wrap(
        "release",
        id,
        sql`UPDATE ${runs} SET lease_owner = NULL, lease_expires = NULL, lease_heartbeat = NULL
          WHERE id = ${id} AND lease_owner = ${owner}`
      ).pipe(Effect.asVoid),
    lease: (id) =>
      wrap(
        "read lease",
        id,
        Effect.map(leaseRow(id), (row) => ({ lease: leaseOf(row), interrupt: num(row?.interrupt ?? 0) !== 0 }))
      ),
    requestInterrupt: (id) =>
      wrap("request interrupt", id, sql`UPDATE ${runs} SET interrupt = 1 WHERE id = ${id}`).pipe(Effect.asVoid),
    delete: (id, options) =>
      wrap(
        "delete",
        id,
        Effect.gen(function*() {
          // The runs row first: its row lock orders this delete with saves and with item and answer inserts.
          const version = options?.version
          const removed = yield* sql<Row>`DELETE FROM ${runs} WHERE id = ${id}
            ${version === undefined ? sql.literal("") : sql`AND version = ${version}`}
            RETURNING id`
          if (version !== undefined && removed.length === 0) return false
          yield* sql`DELETE FROM ${versions} WHERE id = ${id}`
          yield* sql`DELETE FROM ${items} WHERE id = ${id}`
          yield* sql`DELETE FROM ${inbox} WHERE id = ${id}`
          return true
        }).pipe(sql.withTransaction)
      ),
    due: ({ flows, limit, now }) =>
      wrap(
        "due",
        "*",
        Effect.gen(function*() {
          if (flows !== undefined && flows.length === 0) return { ids: [] }
          const flowIs = flows === undefined ? sql.literal("") : sql`AND flow IN ${sql.in(flows)}`
          const [rows, nextRows] = yield* Effect.all([
            sql<Row>`SELECT id FROM ${runs}
              WHERE due_at IS NOT NULL AND due_at <= ${now}
                AND (lease_owner IS NULL OR lease_expires <= ${now}) ${flowIs}
              ORDER BY due_at, id LIMIT ${limit}`,
            sql<Row>`SELECT min(due_at) AS next FROM ${runs} WHERE due_at IS NOT NULL AND due_at > ${now} ${flowIs}`
          ], { concurrency: 2 })
          const next = nextRows[0]?.next
          const ids = rows.map((row) => String(row.id))
          return next === null || next === undefined ? { ids } : { ids, next: num(next) }
        })
      )
  }
  return checkingIds("Checkpointer.layerSql", service)
})

/** @internal */
export const layer = (options?: SqlOptions): Layer.Layer<Checkpointer, SqlError.SqlError, SqlClient.SqlClient> => {
  checkOptions(options)
  return Layer.effect(Checkpointer, make(options))
}
