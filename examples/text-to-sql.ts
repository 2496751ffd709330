/**
 * `text-to-sql`: questions in English, answers from a real PostgreSQL database. The flow reads the
 * database's schema, asks the model for a query, runs it in a read-only transaction and, when the
 * database rejects it, sends the model its own query and the error to fix, at most `maxAttempts` times
 * (PocketFlow's debug loop). The nodes need only `SqlClient` from `effect/sql`: any SQL database whose
 * client provides it works.
 *
 * Run it with `npm run example -- text-to-sql`: it uses `DATABASE_URL` (a scratch database: it creates
 * and fills two tables) or starts a throwaway PostgreSQL with scripts/postgres.mjs.
 *
 * Offline, the scripted model writes a query with a wrong column first, then fixes it from the error.
 */
import { PgClient } from "@effect/sql-pg"
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import type * as LanguageModel from "effect/ai/LanguageModel"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { ask } from "./model.ts"

/** One failed attempt: the query and the database's error. */
export interface Failure {
  readonly sql: string
  readonly error: string
}

/** The question, the schema the model is shown, the query, its rows, and the failed attempts. */
export interface SqlState {
  readonly question: string
  readonly schema: string
  readonly sql: string
  readonly rows: ReadonlyArray<Record<string, unknown>>
  readonly failures: ReadonlyArray<Failure>
}

/** The shared store of the text-to-SQL flow. */
export class SqlStore extends Shared.Service<SqlStore, SqlState>()("examples/text-to-sql/Store") {}

/** At most this many queries per question. */
export const maxAttempts = 3

/** A fresh state for `question`. */
export const initial = (question: string): SqlState => ({ question, schema: "", sql: "", rows: [], failures: [] })

/** Reads the tables and columns of the public schema: what the model needs to write a query. */
export const readSchema = Node.make({
  name: "read-schema",
  exec: () =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ table_name: string; column_name: string; data_type: string }>`
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`).pipe(
        Effect.map((columns) => {
          const tables = new Map<string, Array<string>>()
          for (const c of columns) {
            tables.set(c.table_name, [...(tables.get(c.table_name) ?? []), `${c.column_name} ${c.data_type}`])
          }
          return Array.from(tables, ([table, cols]) => `${table}(${cols.join(", ")})`).join("\n")
        })
      ),
  post: (_prep, schema) => SqlStore.update((s) => ({ ...s, schema }))
})

// Models like to wrap SQL in a Markdown fence and end it with a semicolon.
const unfence = (text: string) =>
  text.trim().replace(/^```(?:sql)?\s*/i, "").replace(/\s*```$/, "").replace(/;\s*$/, "")

/** Asks for a query; after a failure the prompt carries the failed query and the database's error. */
export const generate = Node.make({
  name: "generate",
  prep: SqlStore.get,
  exec: (s) => {
    const last = s.failures.at(-1)
    return ask(
      [
        "Write one PostgreSQL SELECT statement that answers the question. Reply with the SQL only.",
        `## SCHEMA\n${s.schema}`,
        `## QUESTION\n${s.question}`,
        last === undefined ? "" : `## PREVIOUS ATTEMPT FAILED\n${last.sql}\nError: ${last.error}`
      ].filter((part) => part !== "").join("\n\n")
    ).pipe(Effect.map(unfence))
  },
  post: (_s, sql) => SqlStore.update((s) => ({ ...s, sql }))
})

// The driver's own message ("column o.amount does not exist") is what the model can fix a query from.
const databaseMessage = (error: SqlError.SqlError): string => {
  const cause: unknown = error.reason.cause
  return cause instanceof Error && cause.message !== "" ? cause.message : error.message
}

/**
 * Runs the query in a read-only transaction, so a generated `DROP` or `UPDATE` fails like any bad query.
 * A failure goes back to `generate` until `maxAttempts` queries have failed.
 */
export const execute = Node.make({
  name: "execute",
  prep: SqlStore.get.pipe(Effect.map((s) => s.sql)),
  exec: (query) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.withTransaction(
        Effect.andThen(sql.unsafe("SET TRANSACTION READ ONLY"), sql.unsafe<Record<string, unknown>>(query))
      )).pipe(
        Effect.map((rows) => ({ ok: true as const, rows })),
        Effect.catchTag("SqlError", (error) => Effect.succeed({ ok: false as const, error: databaseMessage(error) }))
      ),
  post: (query, result) =>
    Effect.gen(function*() {
      if (result.ok) {
        yield* SqlStore.update((s) => ({ ...s, rows: result.rows }))
        return yield* Node.action("done")
      }
      const s = yield* SqlStore.modify((s) => {
        const next = { ...s, failures: [...s.failures, { sql: query, error: result.error }] }
        return [next, next] as const
      })
      return yield* (s.failures.length < maxAttempts ? Node.action("retry") : Node.action("gave-up"))
    })
})

/** read-schema → generate → execute, back to generate on a failed query. */
export const flow = Flow.make({ name: "text-to-sql", start: readSchema, maxSteps: 20 }).pipe(
  Flow.next(readSchema, generate),
  Flow.next(generate, execute),
  Flow.on(execute, "retry", generate),
  Flow.end(execute, "done"),
  Flow.end(execute, "gave-up")
)

/** Creates and fills the example's two tables (dropping earlier copies). */
export const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP TABLE IF EXISTS orders, customers`
  yield* sql`CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, city text NOT NULL)`
  yield* sql`CREATE TABLE orders (
    id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers(id),
    total numeric(10, 2) NOT NULL, placed_on date NOT NULL)`
  yield* sql`INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Grace', 'New York'), (3, 'Alan', 'Manchester')`
  yield* sql`INSERT INTO orders VALUES
    (1, 1, 120.00, '2026-01-05'), (2, 2, 80.50, '2026-01-07'), (3, 1, 35.25, '2026-02-01'),
    (4, 3, 60.00, '2026-02-11'), (5, 2, 99.00, '2026-03-02'), (6, 3, 10.00, '2026-03-09')`
})

/** The example's question. */
export const question = "Who are our two best customers by total spending, and how much did each spend?"

/** The query the scripted model writes once it has seen the error. */
export const fixedSql = "SELECT c.name, SUM(o.total)::float8 AS spent FROM customers c " +
  "JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY spent DESC LIMIT 2"

/** The scripted model: it guesses a column named `amount` first, then reads the error and uses `total`. */
export const model = TestLanguageModel.layer(({ text }) => {
  if (!text.startsWith("Write one PostgreSQL")) return undefined
  if (text.includes("## PREVIOUS ATTEMPT FAILED") && text.includes("amount")) return fixedSql
  return "```sql\nSELECT c.name, SUM(o.amount) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id " +
    "GROUP BY c.name ORDER BY spent DESC LIMIT 2;\n```"
})

/** The scripted model and a store holding the question; the caller provides the database. */
export const layer = Layer.mergeAll(model, SqlStore.layer(initial(question)))

/** Runs the flow on the database in the environment and returns the final store. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* SqlStore.get
})

/** A PostgreSQL client on `url`. */
export const database = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })

/** Seeds the database at `url`, runs the flow on `languageModel` and prints the queries, errors and rows. */
export const runOn = (url: string, languageModel: Layer.Layer<LanguageModel.LanguageModel, unknown> = model) =>
  Effect.gen(function*() {
    yield* seed
    const state = yield* program
    yield* Console.log(`Question: ${state.question}`)
    for (const f of state.failures) yield* Console.log(`  tried: ${f.sql}\n  error: ${f.error}`)
    yield* Console.log(`  query: ${state.sql}`)
    for (const row of state.rows) yield* Console.log(`  ${JSON.stringify(row)}`)
  }).pipe(Effect.provide(Layer.mergeAll(SqlStore.layer(initial(question)), languageModel, database(url))))

/** Uses `DATABASE_URL`, or starts a throwaway PostgreSQL for the run; `languageModel` writes the queries. */
export const mainOn = (languageModel: Layer.Layer<LanguageModel.LanguageModel, unknown> = model) =>
  Effect.gen(function*() {
    const url = process.env["DATABASE_URL"]
    if (url !== undefined) return yield* runOn(url, languageModel)
    const { findBinaries, start } = yield* Effect.promise(() => import("../scripts/postgres.mjs"))
    const found = findBinaries()
    if (found.bin === undefined) {
      return yield* Effect.die(new Error(`No DATABASE_URL and no PostgreSQL to start (missing ${found.missing}).`))
    }
    yield* Console.log("(starting a throwaway PostgreSQL)")
    yield* Effect.acquireUseRelease(
      Effect.promise(() => start()),
      (pg) => runOn(pg.url, languageModel),
      (pg) => Effect.sync(() => pg.stop())
    )
  })

/** Runs the example on the scripted model. */
export const main = mainOn()
