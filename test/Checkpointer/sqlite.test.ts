/**
 * The SQLite checkpointer's own rules (its contract is checked in conformance.test.ts, processes in
 * crossProcess.test.ts and test/Durable/kill.test.ts): its tables, two layers on one file in one
 * process, and its options.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Checkpointer, SqliteClient } from "../../src/index.ts"
import { snapshot } from "../support/snapshot.ts"

const dir = mkdtempSync(join(tmpdir(), "pocketflow-sqlite-checkpointer-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("SQLite checkpointer", () => {
  it.effect("the SQL checkpointer's four tables; the runs row carries the listing", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const c = yield* Checkpointer.Checkpointer
      yield* c.save({ ...snapshot("r", 1), status: "suspended", deadline: 77, updatedAt: 5 })
      yield* c.claim("r", { owner: "me", now: 0, expiresAt: 99, force: false })
      const objects = yield* sql<{ type: string; name: string }>`SELECT type, name FROM sqlite_master
        WHERE name LIKE 'pocketflow%' AND type IN ('table', 'view', 'trigger') ORDER BY type, name`
      assert.deepStrictEqual(objects.map((o) => `${o.type} ${o.name}`), [
        "table pocketflow_inbox",
        "table pocketflow_items",
        "table pocketflow_runs",
        "table pocketflow_versions"
      ])
      const rows = yield* sql<Record<string, unknown>>`SELECT flow, status, version, updated_at, deadline,
        lease_owner, lease_expires, interrupt FROM pocketflow_runs WHERE id = 'r'`
      assert.deepStrictEqual(rows.map((r) => Object.values(r).map(String)), [
        ["f", "suspended", "1", "5", "77", "me", "99", "0"]
      ])
    }).pipe(Effect.provide(
      Layer.merge(
        Checkpointer.layerSqlite({ filename: join(dir, "layout.db") }),
        SqliteClient.layer({ filename: join(dir, "layout.db") })
      )
    )))

  it.effect("two layers on one file in one process behave as two processes", () =>
    Effect.gen(function*() {
      const filename = join(dir, "two.db")
      const [a, b] = yield* Effect.all([
        Layer.build(Checkpointer.layerSqlite({ filename })),
        Layer.build(Checkpointer.layerSqlite({ filename, keep: 3 }))
      ])
      const one = Context.get(a, Checkpointer.Checkpointer)
      const two = Context.get(b, Checkpointer.Checkpointer)
      yield* one.save(snapshot("run", 1))
      assert.strictEqual((yield* two.load("run"))?.version, 1)
      // Both save version 2 at once: exactly one wins, and the loser's error names the winner's version.
      const racing = yield* Effect.forkChild(Effect.exit(one.save({ ...snapshot("run", 2), flow: "one" })))
      const mine = yield* Effect.exit(two.save({ ...snapshot("run", 2), flow: "two" }))
      const theirs = yield* Fiber.join(racing)
      assert.strictEqual([mine, theirs].filter(Exit.isSuccess).length, 1)
      const winner = Exit.isSuccess(mine) ? "two" : "one"
      assert.strictEqual((yield* one.load("run"))?.flow, winner)
      // A lease taken through one is held against the other.
      assert.isUndefined(yield* one.claim("run", { owner: "one", now: 0, expiresAt: 100, force: false }))
      assert.deepStrictEqual(yield* two.claim("run", { owner: "two", now: 0, expiresAt: 100, force: false }), {
        owner: "one",
        expiresAt: 100,
        heartbeatAt: 0
      })
      // Each layer prunes with its own keep.
      for (let v = 3; v <= 6; v++) yield* two.save(snapshot("run", v))
      assert.deepStrictEqual((yield* one.history("run", { limit: 10 })).map((s) => s.version), [6, 5, 4])
    }).pipe(Effect.scoped))

  it("options are checked when the layer is made, naming Checkpointer.layerSqlite", () => {
    assert.throws(() => Checkpointer.layerSqlite({ filename: "x.db", keep: 0 }), /layerSqlite: keep must be/)
    assert.throws(() => Checkpointer.layerSqlite({ filename: "" }), /layerSqlite: filename must be/)
    // @ts-expect-error: not a synchronous setting
    assert.throws(() => Checkpointer.layerSqlite({ filename: "x.db", synchronous: "sometimes" }), /layerSqlite/)
  })
})
