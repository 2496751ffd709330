#!/usr/bin/env node
/**
 * The `effect-pocketflow` command: `effect-pocketflow view --dir .runs` (file-system checkpointer) or
 * `effect-pocketflow view --postgres <url>` (SQL checkpointer on PostgreSQL, with `@effect/sql-pg` installed), with
 * `--port <n>` (default 4777), `--host <address>` (default 127.0.0.1; loopback only unless `--allow-remote` is given),
 * `--table <prefix>` for a custom SQL table prefix. It prints the URL to open and serves until Ctrl-C.
 *
 * @since 0.3.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { Checkpointer as CheckpointerService } from "../Checkpointer.ts"
import * as Checkpointer from "../Checkpointer.ts"
import { refusal } from "./internal/host.ts"
import * as Viewer from "./Viewer.ts"

const usage = `Usage:
  effect-pocketflow view --dir <directory>     runs kept by Checkpointer.layerFileSystem({ directory })
  effect-pocketflow view --postgres <url>      runs kept by Checkpointer.layerSql() on PostgreSQL (@effect/sql-pg)
Options:
  --port <n>        port to listen on (default 4777; 0 picks a free one)
  --host <address>  address to bind (default 127.0.0.1); only loopback unless --allow-remote
  --allow-remote    allow a --host that is not loopback (anyone reaching it may try the token)
  --table <prefix>  the SQL checkpointer's table prefix, when not the default`

/** `--name value` or `--name=value`. */
const flag = (args: ReadonlyArray<string>, name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i === -1) return undefined
  const arg = args[i]!
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[i + 1]
}

const fail = (message: string): never => {
  console.error(`${message}\n\n${usage}`)
  process.exit(2)
}

const args = process.argv.slice(2)
if (args[0] !== "view") fail(args[0] === undefined ? "No command given." : `Unknown command "${args[0]}".`)
const dir = flag(args, "dir")
const postgres = flag(args, "postgres")
const port = Number(flag(args, "port") ?? "4777")
const host = flag(args, "host") ?? "127.0.0.1"
const table = flag(args, "table")
const allowRemote = args.includes("--allow-remote")
if ((dir === undefined) === (postgres === undefined)) fail("Give exactly one of --dir and --postgres.")
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Bad port "${flag(args, "port")}".`)
// Refused here too (the layer would refuse it) so that the message comes with the usage, not as a failure trace.
const refused = refusal(host, allowRemote, "add --allow-remote")
if (refused !== undefined) fail(refused)

const checkpointer: Layer.Layer<CheckpointerService, unknown> = dir !== undefined
  ? Checkpointer.layerFileSystem({ directory: dir }).pipe(Layer.provide(NodeServices.layer))
  : Layer.unwrap(
    Effect.map(
      Effect.tryPromise({
        try: () => import("@effect/sql-pg/PgClient"),
        catch: () => new Error("--postgres needs the @effect/sql-pg package: npm install @effect/sql-pg")
      }),
      (PgClient) =>
        Checkpointer.layerSql(table === undefined ? {} : { table }).pipe(
          Layer.provide(PgClient.layer({ url: Redacted.make(postgres!) }))
        )
    )
  )

NodeRuntime.runMain(Viewer.serve({ port, host, allowRemote }).pipe(Effect.provide(checkpointer)))
