/** The Postgres the global setup started, for test files: its URL, or why there is none. */
import { PgClient } from "@effect/sql-pg"
import { inject } from "@effect/vitest"
import { Redacted } from "effect"

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
