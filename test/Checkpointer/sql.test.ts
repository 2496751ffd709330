import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Checkpointer } from "../../src/index.ts"
import { checkpointerSuite } from "../support/checkpointers.ts"
import { make } from "../../src/internal/checkpointer/sql.ts"
import * as Pg from "../support/pg.ts"

describe.skipIf(Pg.missing())("Postgres", () => {
  checkpointerSuite("SQL checkpointer on Postgres", (options) =>
    Checkpointer.layerSql({ ...options, table: `suite_keep_${options.keep ?? "default"}` }).pipe(
      Layer.provide(Pg.client())
    ))

  // The transaction save that databases other than PostgreSQL take (PostgreSQL saves in one statement).
  checkpointerSuite("SQL checkpointer on Postgres, saving in a transaction", (options) =>
    Layer.effect(
      Checkpointer.Checkpointer,
      make({ ...options, table: `suite_tx_keep_${options.keep ?? "default"}` }, { transactionSave: true })
    ).pipe(Layer.provide(Pg.client())))

  describe("SQL checkpointer tables", () => {
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
})

const snapshot = (id: string, version: number): Checkpointer.Snapshot => ({
  format: 1,
  id,
  flow: "f",
  version,
  status: "running",
  steps: version,
  position: null,
  stores: {},
  waiting: [],
  updatedAt: version
})
