/** examples/cluster/main.ts really runs: two runners and a client on the test Postgres publish four reports. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import * as pg from "../support/pg.ts"

const main = resolve(import.meta.dirname, "../../examples/cluster/main.ts")

describe.skipIf(pg.missing())("examples/cluster", () => {
  it.live("two runners and a client finish four approved reports", () =>
    Effect.gen(function*() {
      const url = yield* pg.database("wf_example")
      // Its own process group: killing the group takes the example's runners down with it, whatever happens.
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=effect-pocketflow-source", main, url], {
        stdio: ["ignore", "pipe", "pipe"],
        detached: true
      })
      let out = ""
      child.stdout.on("data", (chunk) => (out += chunk))
      child.stderr.on("data", (chunk) => (out += chunk))
      const code = yield* Effect.promise(() => new Promise<number | null>((done) => child.on("exit", done))).pipe(
        Effect.ensuring(Effect.sync(() => {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch {
            // the group has already exited
          }
        }))
      )
      assert.strictEqual(code, 0, out)
      const finished = out.split("\n").filter((l) => l.includes("finished: "))
      assert.strictEqual(finished.length, 4, out)
      for (const line of finished) {
        const report = JSON.parse(line.slice(line.indexOf("finished: ") + "finished: ".length))
        assert.strictEqual(report.published, true)
        assert.strictEqual(report.note, "approved by the client")
        assert.strictEqual(Object.keys(report.sections).length, 3)
      }
    }), 60_000)
})
