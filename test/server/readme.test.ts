/**
 * The README's server snippet is test/server/readme-snippet.ts verbatim, and it does what its comment says: the
 * server's worker runs the run started through the client, which answers it from the event stream.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertSnippetIs } from "../support/readme.ts"
import { program } from "./readme-snippet.ts"

describe("README: Server", () => {
  it("the server snippet is readme-snippet.ts", () => {
    assertSnippetIs("## Server", import.meta.dirname, "readme-snippet.ts")
  })

  it.live("the run is started, answered from its events and ends approved", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const dir = mkdtempSync(join(tmpdir(), "pocketflow-readme-server-"))
        const cwd = process.cwd()
        process.chdir(dir)
        return { dir, cwd }
      }),
      () => Effect.map(program, (ticket) => assert.deepStrictEqual(ticket, { text: "refund", approved: true })),
      ({ cwd, dir }) =>
        Effect.sync(() => {
          process.chdir(cwd)
          rmSync(dir, { recursive: true, force: true })
        })
    ), 60_000)
})
