/** The Postgres the global setup (test/setup/postgres.ts) started, for test files: its URL, or why there is none. */
import { PgClient } from "@effect/sql-pg"
import { inject } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"

const provided = inject("postgres")

/** The server's URL, or `undefined` when the Postgres suites are skipped. */
export const url: string | undefined = "url" in provided ? provided.url : undefined

/** Logs the one-line notice and tells `describe.skipIf` to skip. */
export const missing = (): boolean => {
  if ("missing" in provided) console.warn(`Postgres suite skipped: missing ${provided.missing}`)
  return url === undefined
}

/** A `PgClient` layer on the test server. */
export const client = (options?: { readonly maxConnections?: number }) =>
  PgClient.layer({ url: Redacted.make(url ?? ""), maxConnections: options?.maxConnections ?? 4 })

/** Creates a fresh database `name` on the test server (dropping an old one of that name) and returns its URL. */
export const database = (name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    yield* sql.unsafe(`CREATE DATABASE ${name}`)
    const at = new URL(url ?? "")
    at.pathname = `/${name}`
    return at.toString()
  }).pipe(Effect.provide(client({ maxConnections: 1 })))
