import type * as Layer from "effect/Layer"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import type { Checkpointer, Options } from "../../Checkpointer.ts"

/** Options of `Checkpointer.layerSql`. */
export interface SqlOptions extends Options {
  /** The prefix of the tables (default "pocketflow"): `<table>_runs`, `<table>_versions`, `<table>_items`, `<table>_inbox`. */
  readonly table?: string | undefined
}

export declare const layer: (options?: SqlOptions) => Layer.Layer<Checkpointer, SqlError.SqlError, SqlClient.SqlClient>
