/**
 * The SQL checkpointer, over any `effect/sql` `SqlClient`. Four tables, created when missing:
 * ```
 * <table>_runs      id PK, flow, status, version, updated_at, deadline, lease_owner, lease_expires, interrupt
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
 * insert and delete running only when the update matched), on SQLite one statement too (an insert into the view
 * `<table>_save_v1`, whose trigger runs the three and aborts on a mismatch), elsewhere one transaction. The
 * conditional update row-locks the run (SQLite: the write lock), so a concurrent save of the same version waits and
 * then matches no row: a version conflict.
 * Leases are single conditional statements (`INSERT … ON CONFLICT DO UPDATE … WHERE`,
 * `UPDATE … WHERE lease_owner = ?`), checked by the rows they return. Besides the two one-statement saves, the SQL is
 * the subset PostgreSQL and SQLite share (`ON CONFLICT`, `RETURNING`); the tests run PostgreSQL and SQLite, each
 * on its own save and on the transaction save.
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
  checkKeep,
  Checkpointer,
  conflict,
  type Lease,
  type Options,
  type Renewal,
  type Service,
  type Snapshot
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

/** The message of the SQLite save trigger's abort (a version conflict). */
const sqliteConflict = "pocketflow: version conflict"

/** Options are checked when the layer is made, so a typo fails at once, not at startup. */
const checkOptions = (options: SqlOptions | undefined) => {
  const keep = checkKeep("Checkpointer.layerSql", options?.keep)
  const prefix = options?.table ?? "pocketflow"
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new RangeError(`Checkpointer.layerSql: table must be a plain SQL name (got ${JSON.stringify(prefix)})`)
  }
  return { keep, prefix }
}

/** @internal */
export const make = Effect.fnUntraced(function*(
  options?: SqlOptions,
  /** Tests: save in a transaction on PostgreSQL too, to run the path other databases take. */
  internal?: { readonly transactionSave?: boolean }
) {
  const { keep, prefix } = checkOptions(options)
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
      interrupt INTEGER NOT NULL DEFAULT 0
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_runs_updated`)} ON ${runs} (updated_at DESC, id)`
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

  // SQLite saves with one statement (as PostgreSQL does with CTEs): an insert into this view runs its trigger, the
  // compare-and-set of the runs row (as `advance`), then the version insert and the pruning, or aborts (undoing the
  // statement) when the runs row did not match. One statement instead of a transaction of five costs a fifth of the
  // client's work per save. The name carries a version: a changed trigger gets a new name, never an old body.
  const saves = sql(`${prefix}_save_v1`)
  yield* sql.onDialectOrElse({
    sqlite: () =>
      Effect.gen(function*() {
        yield* sql`CREATE VIEW IF NOT EXISTS ${saves} (id, flow, status, version, updated_at, deadline, snapshot, keep)
          AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0`
        yield* sql`CREATE TRIGGER IF NOT EXISTS ${sql(`${prefix}_save_v1_insert`)} INSTEAD OF INSERT ON ${saves}
        BEGIN
          INSERT INTO ${runs} (id, flow, status, version, updated_at, deadline)
            SELECT NEW.id, NEW.flow, NEW.status, NEW.version, NEW.updated_at, NEW.deadline
            WHERE NEW.version = 1 OR EXISTS (SELECT 1 FROM ${runs} WHERE id = NEW.id)
            ON CONFLICT (id) DO UPDATE SET flow = excluded.flow, status = excluded.status, version = excluded.version,
              updated_at = excluded.updated_at, deadline = excluded.deadline
            WHERE ${runs}.version = excluded.version - 1;
          SELECT RAISE(ABORT, ${sql.literal(`'${sqliteConflict}'`)}) WHERE changes() = 0;
          INSERT INTO ${versions} (id, version, snapshot) VALUES (NEW.id, NEW.version, NEW.snapshot);
          DELETE FROM ${versions} WHERE id = NEW.id AND version <= NEW.version - NEW.keep;
        END`
      }),
    orElse: () => Effect.void
  })

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
  const leaseRow = (id: string) =>
    Effect.map(
      sql<Row>`SELECT lease_owner, lease_expires FROM ${runs} WHERE id = ${id}`,
      (rows): Lease | undefined =>
        rows.length === 0 || rows[0]!.lease_owner === null
          ? undefined
          : { owner: String(rows[0]!.lease_owner), expiresAt: num(rows[0]!.lease_expires) }
    )

  /** The runs-row statement of a save: it returns a row only when the save may go ahead (the compare-and-set). */
  const advance = (s: Snapshot) => {
    const deadline = s.deadline ?? null
    return s.version === 1
      ? sql`INSERT INTO ${runs} (id, flow, status, version, updated_at, deadline)
          VALUES (${s.id}, ${s.flow}, ${s.status}, 1, ${s.updatedAt}, ${deadline})
          ON CONFLICT (id) DO UPDATE SET flow = excluded.flow, status = excluded.status, version = 1,
            updated_at = excluded.updated_at, deadline = excluded.deadline
          WHERE ${runs}.version = 0
          RETURNING id`
      : sql`UPDATE ${runs} SET flow = ${s.flow}, status = ${s.status}, version = ${s.version},
            updated_at = ${s.updatedAt}, deadline = ${deadline}
          WHERE id = ${s.id} AND version = ${s.version - 1}
          RETURNING id`
  }

  // PostgreSQL: one statement (data-modifying CTEs), so one round trip and one commit per save.
  const savePg = (s: Snapshot) =>
    Effect.map(
      sql<Row>`WITH advanced AS (${advance(s)}),
        inserted AS (
          INSERT INTO ${versions} (id, version, snapshot) SELECT id, ${s.version}, ${JSON.stringify(s)} FROM advanced
          RETURNING id
        )${
        s.version > keep
          ? sql`, pruned AS (
          DELETE FROM ${versions} WHERE id = ${s.id} AND version <= ${s.version - keep}
            AND EXISTS (SELECT 1 FROM advanced)
        )`
          : sql.literal("")
      }
        SELECT count(*) AS saved FROM inserted`,
      (rows) => num(rows[0]?.saved) > 0
    )

  // SQLite: one statement through the view's trigger (see `saves`); its abort is the version conflict.
  const saveSqlite = (s: Snapshot) =>
    sql`INSERT INTO ${saves} (id, flow, status, version, updated_at, deadline, snapshot, keep)
      VALUES (${s.id}, ${s.flow}, ${s.status}, ${s.version}, ${s.updatedAt}, ${s.deadline ?? null}, ${
      JSON.stringify(s)
    }, ${keep})`.pipe(
      Effect.as(true),
      Effect.catchIf((error) => error.message.includes(sqliteConflict), () => Effect.succeed(false))
    )

  // Elsewhere: a transaction of the same three statements.
  const saveOther = (s: Snapshot) =>
    Effect.gen(function*() {
      if ((yield* advance(s)).length === 0) return false
      yield* sql`INSERT INTO ${versions} (id, version, snapshot) VALUES (${s.id}, ${s.version}, ${JSON.stringify(s)})`
      if (s.version > keep) yield* sql`DELETE FROM ${versions} WHERE id = ${s.id} AND version <= ${s.version - keep}`
      return true
    }).pipe(sql.withTransaction)

  const save = (s: Snapshot) =>
    Effect.gen(function*() {
      const n = s.version
      const write = internal?.transactionSave
        ? saveOther(s)
        : sql.onDialectOrElse({ pg: () => savePg(s), sqlite: () => saveSqlite(s), orElse: () => saveOther(s) })
      const saved = Number.isInteger(n) && n >= 1 && (yield* write)
      if (!saved) return yield* Effect.fail(conflict(s.id, n, yield* latestVersion(s.id)))
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
    list: (query) => {
      const limit = query.limit ?? 100
      const where = [sql`r.version > 0`]
      if (query.status !== undefined) where.push(sql`r.status = ${query.status}`)
      if (query.flow !== undefined) where.push(sql`r.flow = ${query.flow}`)
      if (query.deadlineBefore !== undefined) {
        where.push(sql`r.status = 'suspended' AND r.deadline IS NOT NULL AND r.deadline < ${query.deadlineBefore}`)
      }
      if (query.cursor !== undefined) {
        const [at, id] = JSON.parse(decodeURIComponent(query.cursor)) as [number, string]
        where.push(sql`(r.updated_at < ${at} OR (r.updated_at = ${at} AND r.id > ${id}))`)
      }
      return wrap(
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
              ? { runs: page, cursor: encodeURIComponent(JSON.stringify([last.updatedAt, last.id])) }
              : { runs: page }
          }
        )
      )
    },
    putItem: (id, scope, index, value) =>
      wrap(
        "put item",
        id,
        sql`INSERT INTO ${items} (id, scope, idx, value) VALUES (${id}, ${scope}, ${index}, ${JSON.stringify(value)})
          ON CONFLICT (id, scope, idx) DO UPDATE SET value = excluded.value`
      ).pipe(Effect.asVoid),
    items: (id, scope) =>
      wrap(
        "read items",
        id,
        Effect.map(
          sql<Row>`SELECT idx, value FROM ${items} WHERE id = ${id} AND scope = ${scope} ORDER BY idx`,
          (rows) => new Map(rows.map((row) => [num(row.idx), JSON.parse(String(row.value)) as Json]))
        )
      ),
    putAnswer: (id, answer) =>
      wrap(
        "put answer",
        id,
        Effect.map(
          sql<Row>`INSERT INTO ${inbox} (id, key, answer, answered_at)
            VALUES (${id}, ${answer.key}, ${JSON.stringify(answer)}, ${answer.answeredAt})
            ON CONFLICT (id, key) DO NOTHING
            RETURNING key`,
          (rows) => rows.length > 0
        )
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
            const taken = yield* sql<Row>`INSERT INTO ${runs} (id, lease_owner, lease_expires)
              VALUES (${id}, ${owner}, ${expiresAt})
              ON CONFLICT (id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_expires = excluded.lease_expires
              WHERE ${
              force ? sql.literal("1 = 1") : sql`${runs}.lease_owner IS NULL OR ${runs}.lease_owner = ${owner}
                OR ${runs}.lease_expires <= ${now}`
            }
              RETURNING id`
            if (taken.length > 0) return undefined
            const held = yield* leaseRow(id)
            if (held !== undefined && held.owner !== owner && held.expiresAt > now) return held
          }
        })
      ),
    renew: (id, { expiresAt, owner }) =>
      wrap(
        "renew",
        id,
        Effect.gen(function*() {
          const rows = yield* sql<Row>`UPDATE ${runs} SET lease_expires = ${expiresAt}
            WHERE id = ${id} AND lease_owner = ${owner}
            RETURNING interrupt`
          if (rows.length > 0) return { _tag: "Renewed", interrupt: num(rows[0]!.interrupt) !== 0 } satisfies Renewal
          return { _tag: "Lost", lease: yield* leaseRow(id) } satisfies Renewal
        })
      ),
    release: (id, owner) =>
      wrap(
        "release",
        id,
        sql`UPDATE ${runs} SET lease_owner = NULL, lease_expires = NULL WHERE id = ${id} AND lease_owner = ${owner}`
      ).pipe(Effect.asVoid),
    requestInterrupt: (id) =>
      wrap(
        "request interrupt",
        id,
        sql`INSERT INTO ${runs} (id, interrupt) VALUES (${id}, 1) ON CONFLICT (id) DO UPDATE SET interrupt = 1`
      ).pipe(Effect.asVoid),
    delete: (id) =>
      wrap(
        "delete",
        id,
        Effect.gen(function*() {
          yield* sql`DELETE FROM ${versions} WHERE id = ${id}`
          yield* sql`DELETE FROM ${items} WHERE id = ${id}`
          yield* sql`DELETE FROM ${inbox} WHERE id = ${id}`
          yield* sql`DELETE FROM ${runs} WHERE id = ${id}`
        }).pipe(sql.withTransaction)
      )
  }
  return service
})

/** @internal */
export const layer = (options?: SqlOptions): Layer.Layer<Checkpointer, SqlError.SqlError, SqlClient.SqlClient> => {
  checkOptions(options)
  return Layer.effect(Checkpointer, make(options))
}
