/**
 * The SQL checkpointer's own rules on Postgres (its contract is checked in conformance.test.ts): its tables, and how a
 * failing statement is reported.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Checkpointer } from "../../src/index.ts"
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
})
