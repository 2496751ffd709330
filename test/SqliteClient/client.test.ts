/**
 * The `node:sqlite` SqlClient: its connection settings, values, transactions, and waiting for another connection's
 * lock on a timer (two clients on one file in one process must not stall each other), and its silence about Node's
 * ExperimentalWarning.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { KeyValueStore } from "effect/persistence"
import { Reactivity } from "effect/reactivity"
import { SqlClient, SqlError } from "effect/sql"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteClient } from "../../src/index.ts"
import { root } from "../support/process.ts"

const dir = mkdtempSync(join(tmpdir(), "pocketflow-sqlite-client-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const fresh = () => join(dir, `db-${++files}.db`)

/** A client of its own on `filename` (its own connection), closed with the test's scope. */
const open = (filename: string, options: Partial<SqliteClient.Options> = {}) =>
  SqliteClient.make({ filename, ...options }).pipe(Effect.provide(Reactivity.layer))

const reason = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) return "success"
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  return error !== undefined && SqlError.isSqlError(error.error) ? error.error.reason._tag : "other"
}

/**
 * Client `a` inserts `first` into `t` in a transaction and keeps it open (holding the write lock) for `millis`, then
 * inserts `then` if given and commits; returns once the lock is held, with the transaction's fiber.
 */
const holdLock = (a: SqlClient.SqlClient, millis: number, first: string, then?: string) =>
  Effect.gen(function*() {
    const inside = yield* Deferred.make<void>()
    const holder = yield* Effect.forkChild(a.withTransaction(Effect.gen(function*() {
      yield* a.unsafe(`INSERT INTO t VALUES (${first})`)
      yield* Deferred.succeed(inside, undefined)
      yield* Effect.sleep(millis)
      if (then !== undefined) yield* a.unsafe(`INSERT INTO t VALUES (${then})`)
    })))
    yield* Deferred.await(inside)
    return holder
  })

describe("SqliteClient", () => {
  it.effect("the connection: WAL journal, synchronous as asked (default normal)", () =>
    Effect.gen(function*() {
      const file = fresh()
      const normal = yield* open(file)
      assert.deepStrictEqual(yield* normal<{ journal_mode: string }>`PRAGMA journal_mode`, [{ journal_mode: "wal" }])
      assert.deepStrictEqual(yield* normal<{ synchronous: number }>`PRAGMA synchronous`, [{ synchronous: 1 }])
      const full = yield* open(file, { synchronous: "full" })
      assert.deepStrictEqual(yield* full<{ synchronous: number }>`PRAGMA synchronous`, [{ synchronous: 2 }])
    }).pipe(Effect.scoped))

  it.effect("values: booleans as 1 and 0, undefined as null, numbers, text, bigint and bytes as they went in", () =>
    Effect.gen(function*() {
      const sql = yield* open(fresh())
      yield* sql`CREATE TABLE t (a, b, c, d, e, f)`
      const bytes = new Uint8Array([1, 2, 255])
      yield* sql`INSERT INTO t VALUES (${true}, ${false}, ${undefined}, ${1.5}, ${"text"}, ${bytes})`
      yield* sql`INSERT INTO t VALUES (${2n ** 40n}, 0, NULL, 0, '', NULL)`
      const rows = yield* sql<Record<string, unknown>>`SELECT * FROM t ORDER BY rowid`
      assert.deepStrictEqual({ ...rows[0] }, { a: 1, b: 0, c: null, d: 1.5, e: "text", f: bytes })
      assert.strictEqual(rows[1]!.a, 2 ** 40)
      assert.deepStrictEqual(yield* sql`SELECT a, e FROM t ORDER BY rowid`.values, [[1, "text"], [2 ** 40, ""]])
      const streamed = yield* Stream.runCollect(
        sql<{ a: number }>`SELECT value AS a FROM json_each(${
          JSON.stringify(Array.from({ length: 300 }, (_, i) => i))
        })`.stream
      )
      assert.deepStrictEqual(streamed.map((r) => r.a), Array.from({ length: 300 }, (_, i) => i))
    }).pipe(Effect.scoped))

  it.effect("transactions: a failure rolls back; a nested one is a savepoint", () =>
    Effect.gen(function*() {
      const sql = yield* open(fresh())
      yield* sql`CREATE TABLE t (a)`
      const failed = yield* Effect.exit(sql.withTransaction(
        Effect.andThen(sql`INSERT INTO t VALUES (1)`, Effect.fail("no"))
      ))
      assert.isTrue(Exit.isFailure(failed))
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO t VALUES (2)`
        yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (3)`, Effect.fail("inner"))))
        yield* sql`INSERT INTO t VALUES (4)`
      }))
      assert.deepStrictEqual((yield* sql<{ a: number }>`SELECT a FROM t ORDER BY a`).map((r) => r.a), [2, 4])
    }).pipe(Effect.scoped))

  it.live(
    "two clients on one file in one process: a write waits on a timer for the other's transaction",
    () =>
      Effect.gen(function*() {
        const file = fresh()
        const a = yield* open(file)
        const b = yield* open(file)
        yield* a`CREATE TABLE t (who TEXT, at INTEGER)`
        let ticks = 0
        const timer = setInterval(() => ticks++, 5)
        yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(timer)))
        // A holds the write lock across a 300 ms wait: with SQLite's own busy handler B would block the thread, and A
        // could not finish until B gave up.
        const holder = yield* holdLock(a, 300, "'a', 1", "'a', 2")
        const before = ticks
        yield* b`INSERT INTO t VALUES ('b', 3)`
        // B ran after A committed; meanwhile the event loop went on (the interval fired many times).
        assert.isTrue(Exit.isSuccess(yield* Fiber.await(holder)))
        assert.isAbove(ticks - before, 20)
        assert.deepStrictEqual(
          (yield* b<{ who: string; at: number }>`SELECT who, at FROM t ORDER BY rowid`).map((r) => `${r.who}${r.at}`),
          ["a1", "a2", "b3"]
        )
      }).pipe(Effect.scoped),
    30_000
  )

  it.live(
    "busyTimeout: a statement that would wait longer fails with a LockTimeoutError",
    () =>
      Effect.gen(function*() {
        const file = fresh()
        const a = yield* open(file)
        const b = yield* open(file, { busyTimeout: "50 millis" })
        yield* a`CREATE TABLE t (x)`
        const holder = yield* holdLock(a, 1000, "1")
        assert.strictEqual(reason(yield* Effect.exit(b`INSERT INTO t VALUES (2)`)), "LockTimeoutError")
        yield* Fiber.join(holder)
      }).pipe(Effect.scoped),
    30_000
  )

  it.live(
    "a busy statement inside a transaction is not run again: the transaction fails at once and rolls back",
    () =>
      Effect.gen(function*() {
        const file = fresh()
        const a = yield* open(file)
        const b = yield* open(file)
        yield* a`CREATE TABLE t (x)`
        const holder = yield* holdLock(a, 1000, "1")
        // A deferred transaction reads, then meets A's lock when it writes: retrying that write could never succeed.
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(
          b.withTransaction(Effect.andThen(b`SELECT count(*) FROM t`, b`INSERT INTO t VALUES (2)`)).pipe(
            Effect.provideService(SqlClient.BeginTransaction, "BEGIN DEFERRED")
          )
        )
        assert.strictEqual(reason(exit), "LockTimeoutError")
        assert.isBelow((yield* Clock.currentTimeMillis) - started, 500)
        yield* Fiber.join(holder)
        assert.deepStrictEqual((yield* b<{ x: number }>`SELECT x FROM t`).map((r) => r.x), [1])
      }).pipe(Effect.scoped),
    30_000
  )

  it.effect("effect's KeyValueStore.layerSql keeps its values in the file", () =>
    Effect.gen(function*() {
      const file = fresh()
      const store = KeyValueStore.layerSql({ table: "kv" }).pipe(Layer.provide(SqliteClient.layer({ filename: file })))
      yield* Effect.provide(Effect.flatMap(KeyValueStore.KeyValueStore, (kv) => kv.set("k", "v")), store)
      const read = yield* Effect.provide(Effect.flatMap(KeyValueStore.KeyValueStore, (kv) => kv.get("k")), store)
      assert.strictEqual(read, "v")
    }))

  it.effect("a file in a missing folder: the layer fails with a ConnectionError naming it", () =>
    Effect.gen(function*() {
      const file = join(dir, "missing", "x.db")
      const exit = yield* Effect.exit(Layer.build(SqliteClient.layer({ filename: file })).pipe(Effect.scoped))
      assert.strictEqual(reason(exit), "ConnectionError")
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), file)
    }))

  it("options are checked when the layer is made", () => {
    assert.throws(() => SqliteClient.layer({ filename: "" }), /filename must be a non-empty string/)
    // @ts-expect-error: not a synchronous setting
    assert.throws(() => SqliteClient.layer({ filename: "x.db", synchronous: "fast" }), /synchronous must be one of/)
  })

  it("opening a client prints no ExperimentalWarning; other warnings still print", async () => {
    const script = [
      `import { Effect } from "effect"`,
      `import { Reactivity } from "effect/reactivity"`,
      `import { SqliteClient } from "effect-pocketflow"`,
      `const program = Effect.flatMap(SqliteClient.make({ filename: ":memory:" }), (sql) => sql\`SELECT 1\`)`,
      `await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Reactivity.layer)))`,
      `process.emitWarning("something else is experimental", "ExperimentalWarning")`,
      `console.log("done")`
    ].join("\n")
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--conditions=effect-pocketflow-source", "--import", "tsx", "--input-type=module", "--eval", script],
        { cwd: root },
        (error, stdout, stderr) => (error === null ? resolve({ stdout, stderr }) : reject(error))
      )
    )
    assert.strictEqual(stdout.trim(), "done")
    assert.notInclude(stderr, "SQLite")
    assert.include(stderr, "something else is experimental")
  }, 60_000)
})
