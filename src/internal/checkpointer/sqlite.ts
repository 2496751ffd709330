/**
 * The SQLite checkpointer: the SQL checkpointer (sql.ts: its tables, compare-and-set saves in one transaction,
 * leases as conditional statements) over the `node:sqlite` client (../sqlite/client.ts: WAL, waiting for other
 * connections' locks). Each layer opens its own connection, so two layers on one file behave as two processes.
 * @internal
 */
import * as Layer from "effect/Layer"
import type { SqlError } from "effect/sql/SqlError"
import * as client from "../sqlite/client.ts"
import { checkKeep, type Checkpointer, type Options } from "./service.ts"
import * as sql from "./sql.ts"

/** Options of `Checkpointer.layerSqlite`. */
export interface SqliteOptions extends Options {
  /** The database file, created when missing (its folder must exist). Several processes may open the same file. */
  readonly filename: string
  /** When a commit waits for the disk (default `"normal"`: survives a killed process; see `SqliteClient.Options`). */
  readonly synchronous?: client.Synchronous | undefined
}

/** @internal */
export const layer = (options: SqliteOptions): Layer.Layer<Checkpointer, SqlError> => {
  const where = "Checkpointer.layerSqlite"
  checkKeep(where, options?.keep)
  client.checkOptions(where, options)
  return sql.layer({ keep: options.keep, maxStateBytes: options.maxStateBytes }).pipe(
    Layer.provide(client.layer({ filename: options.filename, synchronous: options.synchronous }))
  )
}
