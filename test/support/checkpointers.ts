/**
 * "For each checkpointer": registers a suite once per checkpointer of test/support/checkpointer-kinds.ts (memory,
 * file system on a temporary directory, Postgres when the suite's server runs), so a new checkpointer is one more
 * entry there, not one more copy of the tests.
 */
import { afterAll, describe } from "@effect/vitest"
import type { Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Checkpointer } from "../../src/index.ts"
import { type Kind, kinds, type Place } from "./checkpointer-kinds.ts"
import * as Pg from "./pg.ts"

export type { Kind, Place }

/** A storage of one checkpointer: layers on it share its data, and a child process opens it from `args`. */
export interface Storage {
  readonly place: Place
  readonly layer: (options?: Checkpointer.Options) => Layer.Layer<Checkpointer.Checkpointer, unknown>
  /** For a child process: `open(...args)` of checkpointer-kinds.ts gives it the same storage. */
  readonly args: readonly [string, string]
}

/** The checkpointer a suite is registered for. */
export interface Subject {
  readonly kind: Kind
  /**
   * A fresh storage called `label` (letters, digits and `_`): a new directory; on Postgres, the tables named
   * `label`, shared by every storage of that label in the run, so tests use run ids of their own.
   */
  readonly storage: (label: string) => Storage
}

/** Which kinds a suite runs on: every kind that is not a variant (the default), or only the shared ones. */
export const plain = (kind: Kind) => !kind.variant
export const shared = (kind: Kind) => kind.shared && !kind.variant
export const everyKind = (_: Kind) => true

/**
 * Registers `suite` in a `describe` named `<title>: <kind>` for each kind `which` picks, skipped where the kind
 * cannot run. Storages made in it are removed when it ends.
 */
export const forEachCheckpointer = (
  title: string,
  suite: (subject: Subject) => void,
  which: (kind: Kind) => boolean = plain
): void => {
  for (const kind of kinds.filter(which)) {
    const missing = kind.missing({ postgres: Pg.url })
    if (missing !== undefined) console.warn(`${title}: ${kind.name} skipped: missing ${missing}`)
    describe.skipIf(missing !== undefined)(`${title}: ${kind.name}`, () => {
      let root: string | undefined
      afterAll(() => {
        if (root !== undefined) rmSync(root, { recursive: true, force: true })
      })
      const storage = (label: string): Storage => {
        if (!/^\w+$/.test(label)) throw new Error(`storage label "${label}": use letters, digits and _`)
        root ??= mkdtempSync(join(tmpdir(), "pocketflow-checkpointer-"))
        const place: Place = { directory: mkdtempSync(join(root, `${label}-`)), postgres: Pg.url, name: label }
        return { place, layer: (options) => kind.layer(place, options), args: [kind.name, JSON.stringify(place)] }
      }
      suite({ kind, storage })
    })
  }
}
