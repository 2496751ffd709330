/**
 * `effect-pocketflow serve --flows <module>` in its own process: SQLite by default (a `pocketflow.db` in the working
 * directory), its worker running the runs started through the API; `--help` at every level exits 0; a `--dir` that
 * does not exist is refused; a missing optional package names the `npm install` that adds it; killed with SIGKILL
 * mid-run and restarted, the server continues the run by itself, and a client streaming its events re-attaches and
 * sees it finish.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { FlowEvent } from "effect-pocketflow"
import { Client } from "effect-pocketflow/server"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { runBin, startBin } from "../support/bin.ts"
import { freePort } from "../support/ports.ts"

const fixtures = resolve(import.meta.dirname, "fixtures")
const flowsModule = join(fixtures, "flows.ts")

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "pocketflow-serve-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const baseOf = (url: string) => url.slice(0, url.indexOf("/?token="))

const release = {
  "examples/viewer/Release": { version: "3.0.0", changes: ["server"], notes: "", feedback: "", published: false }
}

describe("effect-pocketflow serve", () => {
  it.live("--help exits 0 at every level", () =>
    Effect.gen(function*() {
      for (
        const args of [
          ["--help"],
          ["serve", "--help"],
          ["view", "--help"],
          ["runs", "--help"],
          ...["list", "get", "answer", "interrupt", "delete", "prune"].map((c) => ["runs", c, "--help"])
        ]
      ) {
        const { code, output } = yield* runBin(args)
        assert.strictEqual(code, 0, `${args.join(" ")}: ${output}`)
        assert.include(output, "USAGE", args.join(" "))
      }
      const serve = yield* runBin(["serve", "--help"])
      for (const flag of ["--flows", "--sqlite", "--dir", "--postgres"]) assert.include(serve.output, flag)
    }), 120_000)

  it.live("refuses a --dir that does not exist, and two storages", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const gone = join(dir, "nowhere")
      const refused = yield* runBin(["serve", "--flows", flowsModule, "--dir", gone, "--port", "0"])
      assert.strictEqual(refused.code, 1, refused.output)
      assert.include(refused.output, `The directory ${JSON.stringify(gone)} does not exist`)
      assert.notInclude(refused.output, "effect-pocketflow server:")
      const view = yield* runBin(["view", "--sqlite", join(dir, "none.db")])
      assert.strictEqual(view.code, 1, view.output)
      assert.include(view.output, "does not exist")
      const both = yield* runBin(["serve", "--flows", flowsModule, "--dir", dir, "--sqlite", "x.db"])
      assert.strictEqual(both.code, 1)
      assert.include(both.output, "at most one of --sqlite, --dir and --postgres")
      const notFlows = yield* runBin(["serve", "--flows", join(fixtures, "hide-package.mjs"), "--dir", dir])
      assert.strictEqual(notFlows.code, 1)
      assert.include(notFlows.output, "exports no `flows` array")
    }).pipe(Effect.scoped), 120_000)

  it.live("a missing optional package names its npm install", () =>
    Effect.gen(function*() {
      const hide = (name: string) => ({
        node: ["--import", join(fixtures, "hide-package.mjs")],
        env: { HIDE_PACKAGE: name }
      })
      const pg = yield* runBin(
        ["serve", "--flows", flowsModule, "--postgres", "postgres://127.0.0.1:1/x", "--port", "0"],
        hide("@effect/sql-pg")
      )
      assert.strictEqual(pg.code, 1, pg.output)
      assert.include(pg.output, "npm install @effect/sql-pg")
      const platform = yield* runBin(["runs", "list", "--sqlite", "x.db"], hide("@effect/platform-node"))
      assert.strictEqual(platform.code, 1, platform.output)
      assert.include(platform.output, "npm install @effect/platform-node")
    }), 120_000)

  it.live(
    "keeps its runs in ./pocketflow.db by default, and its worker runs them to the end after an answer",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const server = yield* startBin(
          ["serve", "--flows", flowsModule, "--port", "0", "--token", "cli-token"],
          "effect-pocketflow server",
          { cwd: dir }
        )
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=cli-token$/)
        const client = yield* Client.make({ baseUrl: baseOf(server.url), token: "cli-token" })
        yield* client.runs.start({ payload: { flow: "release", id: "rel-cli", stores: release } })
        let run = yield* client.runs.get({ params: { id: "rel-cli" } })
        while (run.status !== "suspended") {
          yield* Effect.sleep("50 millis")
          run = yield* client.runs.get({ params: { id: "rel-cli" } })
        }
        yield* client.answers.answer({
          payload: { token: run.waiting[0]!.token, value: { approve: true, feedback: "" } }
        })
        const events = yield* client.events("rel-cli").pipe(Stream.runCollect, Effect.timeout("30 seconds"))
        assert.include(events.map((e) => e._tag), "FlowFinished")
        const done = yield* client.runs.get({ params: { id: "rel-cli" } })
        assert.strictEqual(done.status, "done")
        assert.isTrue(existsSync(join(dir, "pocketflow.db")))

        // The same file, read by `runs get` with the server still up (SQLite: several processes on one file).
        const got = yield* runBin(["runs", "get", "rel-cli", "--sqlite", join(dir, "pocketflow.db")])
        assert.strictEqual(got.code, 0, got.output)
        assert.include(got.output, "rel-cli: flow release, done")
      }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)),
    120_000
  )

  it.live(
    "killed with SIGKILL mid-run and restarted, it continues the run; a streaming client re-attaches",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const port = yield* freePort
        const args = [
          "serve",
          "--flows",
          flowsModule,
          "--sqlite",
          join(dir, "runs.db"),
          "--port",
          String(port),
          "--token",
          "kill-token",
          "--lease",
          "1"
        ]
        const first = yield* startBin(args, "effect-pocketflow server")
        const client = yield* Client.make({ baseUrl: baseOf(first.url), token: "kill-token" })
        yield* client.runs.start({
          payload: { flow: "counting", id: "count-kill", stores: { "test/Counter": { n: 0, to: 30 } } }
        })
        // One client streams the run's events throughout; it re-attaches by itself when the server goes.
        const streamed = yield* client.events("count-kill", { retryDelay: "50 millis", maxDelay: "200 millis" }).pipe(
          Stream.runCollect,
          Effect.forkChild
        )
        let run = yield* client.runs.get({ params: { id: "count-kill" } })
        while (run.steps < 5) {
          yield* Effect.sleep("50 millis")
          run = yield* client.runs.get({ params: { id: "count-kill" } })
        }
        first.kill("SIGKILL")
        yield* Effect.promise(() => first.exited)
        const killedAt = (run.stores["test/Counter"] as { n: number }).n
        assert.isBelow(killedAt, 30)

        const second = yield* startBin(args, "effect-pocketflow server")
        const events = yield* Fiber.join(streamed).pipe(
          Effect.timeout("60 seconds"),
          // On a timeout, say where the run is and what the restarted server printed.
          Effect.catchTag("TimeoutError", () =>
            Effect.flatMap(
              Effect.result(client.runs.get({ params: { id: "count-kill" } })),
              (run) =>
                Effect.die(
                  new Error(
                    `the stream did not end; the run: ${JSON.stringify(run)}\nthe restarted server printed:\n` +
                      second.output().slice(-4000)
                  )
                )
            ))
        )
        const done = yield* client.runs.get({ params: { id: "count-kill" } })
        assert.strictEqual(done.status, "done")
        assert.deepStrictEqual(done.stores["test/Counter"], { n: 30, to: 30 })
        // The restarted server numbers its events anew: the client is told what it missed, then sees the end.
        assert.include(events.map((e) => e._tag), "EventsGap")
        assert.strictEqual(events.filter(FlowEvent.is("FlowFinished")).length, 1)
        assert.strictEqual(events.at(-1)!._tag, "FlowFinished")
      }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)),
    120_000
  )
})
