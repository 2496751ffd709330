/**
 * The checkpointers the suites run against, and how each is opened on a storage place. No vitest here: the child
 * processes of the cross-process and kill tests import this module too, and open the parent's storage from the
 * kind's name and the place as JSON on their command line (`open`). A new checkpointer is one more entry in `kinds`;
 * test/support/checkpointers.ts runs the suites over them.
 */
// Module paths, not package indexes: a child starts several times faster on a busy machine.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { join } from "node:path"
import * as Checkpointer from "../../src/Checkpointer.ts"
import { make as makeSql } from "../../src/internal/checkpointer/sql.ts"

/** Where a checkpointer keeps its data; JSON, so a child process can be given the same place. */
export interface Place {
  /** A fresh directory of its own. */
  readonly directory: string
  /** The URL of the suite's Postgres server (test/setup/postgres.ts), if there is one. */
  readonly postgres: string | undefined
  /** A name for the storage (a table prefix): a plain SQL name, unique to the test file that chose it. */
  readonly name: string
}

/** One checkpointer the suites run against. */
export interface Kind {
  /** Names it in test titles and on a child's command line. */
  readonly name: string
  /** A second write path over the storage of another kind: only the conformance checks run it. */
  readonly variant: boolean
  /** Whether its data outlives the process, so that another process opens the same storage from the place. */
  readonly shared: boolean
  /** What the machine lacks to run it (its suites are skipped), or `undefined`. */
  readonly missing: (place: Pick<Place, "postgres">) => string | undefined
  readonly layer: (place: Place, options?: Checkpointer.Options) => Layer.Layer<Checkpointer.Checkpointer, unknown>
}

const nodeFileSystem = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)
const postgres = (place: Place) => PgClient.layer({ url: Redacted.make(place.postgres ?? ""), maxConnections: 4 })
const needsPostgres = (place: Pick<Place, "postgres">) =>
  place.postgres === undefined ? "a Postgres server (see test/setup/postgres.ts)" : undefined
const always = () => undefined

export const kinds: ReadonlyArray<Kind> = [
  {
    name: "memory",
    variant: false,
    shared: false,
    missing: always,
    layer: (_place, options) => Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory(options))
  },
  {
    name: "file system",
    variant: false,
    shared: true,
    missing: always,
    layer: (place, options) =>
      Checkpointer.layerFileSystem({ ...options, directory: place.directory }).pipe(Layer.provide(nodeFileSystem))
  },
  {
    name: "file system with fsync",
    variant: true,
    shared: true,
    missing: always,
    layer: (place, options) =>
      Checkpointer.layerFileSystem({ ...options, directory: place.directory, fsync: true }).pipe(
        Layer.provide(nodeFileSystem)
      )
  },
  {
    // One file in the place's directory: every layer and process opened on the place shares it.
    name: "SQLite",
    variant: false,
    shared: true,
    missing: always,
    layer: (place, options) => Checkpointer.layerSqlite({ ...options, filename: join(place.directory, "runs.db") })
  },
  {
    name: "Postgres",
    variant: false,
    shared: true,
    missing: needsPostgres,
    layer: (place, options) =>
      Checkpointer.layerSql({ ...options, table: place.name }).pipe(Layer.provide(postgres(place)))
  },
  {
    // The transaction save that databases other than PostgreSQL take (PostgreSQL saves in one statement).
    name: "Postgres, saving in a transaction",
    variant: true,
    shared: true,
    missing: needsPostgres,
    layer: (place, options) =>
      Layer.effect(
        Checkpointer.Checkpointer,
        makeSql({ ...options, table: `${place.name}_tx` }, { transactionSave: true })
      ).pipe(Layer.provide(postgres(place)))
  }
]

/** The layer a child process opens from the two arguments its parent gave it (`Storage.args`). */
export const open = (name: string, place: string): Layer.Layer<Checkpointer.Checkpointer, unknown> => {
  const kind = kinds.find((k) => k.name === name)
  if (kind === undefined) throw new Error(`no checkpointer kind named "${name}"`)
  return kind.layer(JSON.parse(place) as Place)
}
