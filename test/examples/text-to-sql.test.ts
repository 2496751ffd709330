import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { SqlClient } from "effect/sql"
import * as textToSql from "../../examples/text-to-sql.ts"
import { recorded } from "../support/model.ts"
import * as Pg from "../support/pg.ts"

// Each test gets its own database on the suite's server, so the example's tables never collide.
const freshDatabase = (name: string) => Layer.unwrap(Effect.map(Pg.database(name), textToSql.database))

describe.skipIf(Pg.missing())("examples/text-to-sql", () => {
  it.effect(
    "reads the schema, fixes its query from the database's error, and returns the rows",
    () =>
      Effect.gen(function*() {
        yield* textToSql.seed
        const { prompts, result: state } = yield* recorded(textToSql.program)
        assert.strictEqual(
          state.schema,
          "customers(id integer, name text, city text)\n" +
            "orders(id integer, customer_id integer, total numeric, placed_on date)"
        )
        assert.strictEqual(state.failures.length, 1)
        assert.include(state.failures[0]!.sql, "SUM(o.amount)")
        assert.match(state.failures[0]!.error, /column o\.amount does not exist/)
        assert.strictEqual(state.sql, textToSql.fixedSql)
        assert.deepStrictEqual(state.rows, [{ name: "Grace", spent: 179.5 }, { name: "Ada", spent: 155.25 }])
        // the second prompt showed the model its failed query and the error
        assert.strictEqual(prompts.length, 2)
        assert.include(prompts[1], "## PREVIOUS ATTEMPT FAILED")
        assert.include(prompts[1], "does not exist")
      }).pipe(Effect.provide(Layer.merge(textToSql.layer, freshDatabase("cookbook_text_to_sql_1")))),
    60_000
  )

  it.effect(
    "a generated statement that writes fails in the read-only transaction; after maxAttempts it gives up",
    () =>
      Effect.gen(function*() {
        yield* textToSql.seed
        const model = TestLanguageModel.layer(() => "DELETE FROM orders")
        const { action, state } = yield* Effect.all({ action: textToSql.flow, state: textToSql.SqlStore.get }).pipe(
          Effect.provide(Layer.merge(model, textToSql.SqlStore.layer(textToSql.initial("Delete everything"))))
        )
        assert.strictEqual(action, "gave-up")
        assert.strictEqual(state.failures.length, textToSql.maxAttempts)
        assert.match(state.failures[0]!.error, /read-only transaction/)
        const sql = yield* SqlClient.SqlClient
        const [count] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM orders`
        assert.strictEqual(count?.n, 6)
      }).pipe(Effect.provide(freshDatabase("cookbook_text_to_sql_2"))),
    60_000
  )
})
