/**
 * Vitest global setup: one throwaway PostgreSQL for the whole run (scripts/postgres.mjs), its URL provided to tests
 * as `inject("postgres")`, stopped when the run ends, failed or not. Without the server binaries the Postgres suites
 * are skipped; `missing` names what is missing.
 */
import type { TestProject } from "vitest/node"
import { findBinaries, start } from "../../scripts/postgres.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    postgres: { readonly url: string } | { readonly missing: string }
  }
}

export default async function setup(project: TestProject) {
  const found = findBinaries()
  if (found.bin === undefined) {
    console.warn(`Postgres suites skipped: missing ${found.missing}`)
    project.provide("postgres", { missing: found.missing })
    return
  }
  const pg = await start()
  // A killed vitest still stops the server: the teardown below does not run on signals.
  const onSignal = (signal: NodeJS.Signals) => {
    pg.stop()
    process.kill(process.pid, signal)
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  project.provide("postgres", { url: pg.url })
  return () => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    pg.stop()
  }
}
