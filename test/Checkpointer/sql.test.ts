/**
 * The SQL checkpointer's own rules on Postgres (its contract is checked in conformance.test.ts): its tables, and how a
 * failing statement is reported.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { assertCheckpointError, failure } from "../support/durable.ts"
import * as Pg from "../support/pg.ts"
import { snapshot } from "../support/snapshot.ts"

describe.skipIf(Pg.missing())("SQL checkpointer tables on Postgres", () => {
  const both = (table: string) => Layer.provideMerge(Checkpointer.layerSql({ table }), Pg.client())

  it.effect("four tables named after the prefix; the runs row carries the latest version's listing columns", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const c = yield* Checkpointer.Checkpointer
      const tables = yield* sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
        WHERE table_name LIKE 'layout_%' ORDER BY table_name`
      assert.deepStrictEqual(tables.map((t) => t.table_name), [
        "layout_inbox",
        "layout_items",
        "layout_runs",
        "layout_versions"
      ])
      yield* c.save({ ...snapshot("r", 1), status: "suspended", deadline: 77, updatedAt: 5 })
      yield* c.claim("r", { owner: "me", now: 0, expiresAt: 99, force: false })
      const rows = yield* sql<Record<string, unknown>>`SELECT flow, status, version, updated_at, deadline,
        lease_owner, lease_expires, interrupt FROM layout_runs WHERE id = 'r'`
      assert.deepStrictEqual(rows.map((r) => Object.values(r).map(String)), [[
        "f",
        "suspended",
        "1",
        "5",
        "77",
        "me",
        "99",
        "0"
      ]])
    }).pipe(Effect.provide(both("layout"))))

  it.effect("a failing statement is CheckpointError \"storage failed\" naming the run", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const c = yield* Checkpointer.Checkpointer
      yield* sql`DROP TABLE broken_versions`
      const error = yield* Effect.flip(c.load("run-7"))
      assert.strictEqual(error.reason, "storage failed")
      assert.include(error.detail, "run-7")
    }).pipe(Effect.provide(both("broken"))))

  it("a table prefix that is not a plain SQL name is refused", () => {
    assert.throws(() => Checkpointer.layerSql({ table: "x; DROP TABLE y" }), /plain SQL name/)
    assert.throws(() => Checkpointer.layerSql({ keep: 0 }), /keep must be a positive integer/)
  })

  // Issue 17, defect 13: PostgreSQL cuts identifiers at 63 bytes; the longest name is "<prefix>_runs_updated".
  it("a table prefix whose names PostgreSQL would cut is refused, naming the limit", () => {
    assert.throws(() => Checkpointer.layerSql({ table: "a".repeat(51) }), /cuts names at 63 bytes.*at most 50/)
    assert.throws(() => Checkpointer.layerSql({ table: "p".repeat(62) }), /RangeError|cuts names/)
    Checkpointer.layerSql({ table: "a".repeat(50) })
  })

  it.effect("the longest prefix accepted makes four tables and their indexes with their full names", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const c = yield* Checkpointer.Checkpointer
      yield* c.save(snapshot("r", 1))
      const names = yield* sql<{ relname: string }>`SELECT relname FROM pg_class
        WHERE relname LIKE ${`${"l".repeat(50)}_%`} AND relkind IN ('r', 'i') AND relname NOT LIKE '%_pkey'
        ORDER BY relname`
      assert.deepStrictEqual(
        names.map((n) => n.relname.slice(50)),
        ["_inbox", "_items", "_runs", "_runs_due", "_runs_parent", "_runs_updated", "_versions"]
      )
    }).pipe(Effect.provide(both("l".repeat(50)))))

  // Issue 17, defect 6: @effect/sql-pg cannot read back a message over 16 MiB; the default maxStateBytes is 8 MiB.
  it.effect(
    "a 20 MB state is refused by default (\"state too large\"); the run still loads and lists",
    () =>
      Effect.gen(function*() {
        class Big extends Shared.Service<Big>()("test/sql/Big", { schema: Schema.Struct({ data: Schema.String }) }) {}
        const grow = Node.make({ name: "grow", post: () => Big.set({ data: "x".repeat(20_000_000) }) })
        const flow = Flow.make({ name: "big", start: grow })
        const error = yield* failure(Durable.run(flow, { id: "big-1", stores: [Big.initial({ data: "" })] }))
        assertCheckpointError(error, "state too large", `more than maxStateBytes (${8 * 1024 * 1024})`)
        assert.match((error as unknown as { detail: string }).detail, /the snapshot is 2000\d{4} bytes of JSON/)
        const saved = Option.getOrThrow(yield* Durable.get("big-1"))
        assert.strictEqual(saved.version, 1)
        assert.deepStrictEqual((yield* Durable.list({ flow: "big" })).runs.map((r) => r.id), ["big-1"])
      }).pipe(Effect.provide(both("big"))),
    60_000
  )
})
