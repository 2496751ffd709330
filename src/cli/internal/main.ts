/**
 * The `effect-pocketflow` command, on `effect/cli`:
 *
 *   effect-pocketflow serve --flows <module> [--sqlite <file> | --dir <directory> | --postgres <url>]   the server
 *   effect-pocketflow view (--sqlite <file> | --dir <directory> | --postgres <url>)   read-and-answer page, no flows
 *   effect-pocketflow runs list|get|answer|interrupt|delete|prune (--sqlite … | --dir … | --postgres …)
 *
 * `--help` works at every level. The storage flags name where a program's checkpointer keeps its runs (`serve` defaults
 * to the SQLite file `pocketflow.db` in the working directory, which it creates); a `--dir` (or, but for `serve`, a
 * `--sqlite` file) that does not exist is refused (it would show an empty page, or answer nothing). `--postgres` needs `@effect/sql-pg`, and
 * says so with the `npm install` that adds it.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { existsSync, statSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import * as Checkpointer from "../../Checkpointer.ts"
import * as Durable from "../../Durable.ts"
import { nodeAt } from "../../server/internal/diagram.ts"
import { refusal } from "../../server/internal/host.ts"
import * as operations from "../../server/internal/operations.ts"
import * as Server from "../../server/Server.ts"
import * as Viewer from "../../viewer/Viewer.ts"

// ---------------------------------------------------------------------------------------------------
// storage
// ---------------------------------------------------------------------------------------------------

const storage = {
  sqlite: Flag.String("sqlite").pipe(
    Flag.withMetavar("file"),
    Flag.withDescription("runs kept by Checkpointer.layerSqlite({ filename }) (Node's built-in node:sqlite)"),
    Flag.optional
  ),
  dir: Flag.String("dir").pipe(
    Flag.withMetavar("directory"),
    Flag.withDescription("runs kept by Checkpointer.layerFileSystem({ directory }): the directory must exist"),
    Flag.optional
  ),
  postgres: Flag.String("postgres").pipe(
    Flag.withMetavar("url"),
    Flag.withDescription("runs kept by Checkpointer.layerSql() on PostgreSQL (needs @effect/sql-pg)"),
    Flag.optional
  ),
  table: Flag.String("table").pipe(
    Flag.withMetavar("prefix"),
    Flag.withDescription("the SQL checkpointer's table prefix, when not the default"),
    Flag.optional
  )
}

interface Storage {
  readonly sqlite: Option.Option<string>
  readonly dir: Option.Option<string>
  readonly postgres: Option.Option<string>
  readonly table: Option.Option<string>
}

const invalid = (message: string) => Effect.fail(new CliError.ValidationError({ message }))

/** The SQLite file `serve` keeps its runs in when no storage flag is given. */
export const DEFAULT_SQLITE = "pocketflow.db"

/**
 * One storage at most (`serve`, which defaults to SQLite) or exactly one (the others, which read what a program left),
 * and a directory (or, to read, a SQLite file) that exists: shown with the command's help when not.
 */
const checkStorage = (creates: boolean) => <I extends Storage>(input: I) => {
  const given = [input.sqlite, input.dir, input.postgres].filter(Option.isSome).length
  if (creates && given > 1) {
    return invalid(`Give at most one of --sqlite, --dir and --postgres (default: --sqlite ${DEFAULT_SQLITE}).`)
  }
  if (!creates && given !== 1) {
    return invalid("Give exactly one of --sqlite, --dir and --postgres: where the program keeps its runs.")
  }
  if (Option.isSome(input.dir)) {
    const dir = input.dir.value
    if (!existsSync(dir)) {
      return invalid(
        `The directory ${JSON.stringify(dir)} does not exist: give the directory your program's ` +
          "Checkpointer.layerFileSystem({ directory }) uses."
      )
    }
    if (!statSync(dir).isDirectory()) return invalid(`${JSON.stringify(dir)} is not a directory.`)
  }
  if (Option.isSome(input.sqlite) && !creates && !existsSync(input.sqlite.value)) {
    return invalid(
      `The SQLite file ${JSON.stringify(input.sqlite.value)} does not exist: give the file your program's ` +
        "Checkpointer.layerSqlite({ filename }) uses."
    )
  }
  return Effect.void
}

/** A user-facing failure: the message is what the command prints. */
const fail = (message: string) => Effect.fail(new CliError.UserError({ cause: message, userMessage: message }))

/** The checkpointer the storage flags name. */
const checkpointerOf = (input: Storage): Layer.Layer<Checkpointer.Checkpointer, unknown> =>
  Option.isNone(input.dir) && Option.isNone(input.postgres)
    ? Checkpointer.layerSqlite({ filename: Option.getOrElse(input.sqlite, () => DEFAULT_SQLITE) })
    : Option.isSome(input.dir)
    ? Checkpointer.layerFileSystem({ directory: input.dir.value }).pipe(Layer.provide(NodeServices.layer))
    : Layer.unwrap(
      Effect.map(
        Effect.tryPromise({
          try: () => import("@effect/sql-pg/PgClient"),
          catch: () =>
            new CliError.UserError({
              cause: "missing @effect/sql-pg",
              userMessage: "--postgres needs the @effect/sql-pg package: npm install @effect/sql-pg"
            })
        }),
        (PgClient) =>
          Checkpointer.layerSql(Option.isSome(input.table) ? { table: input.table.value } : {}).pipe(
            Layer.provide(PgClient.layer({ url: Redacted.make(Option.getOrThrow(input.postgres)) }))
          )
      )
    )

// ---------------------------------------------------------------------------------------------------
// serve and view
// ---------------------------------------------------------------------------------------------------

const listen = {
  port: Flag.Int("port").pipe(
    Flag.withDescription("the port to listen on (0 picks a free one)"),
    Flag.withDefault(4777)
  ),
  host: Flag.String("host").pipe(
    Flag.withMetavar("address"),
    Flag.withDescription("the address to bind (default 127.0.0.1); only loopback unless --allow-remote"),
    Flag.withDefault("127.0.0.1")
  ),
  allowRemote: Flag.Boolean("allow-remote").pipe(
    Flag.withDescription("allow a --host that is not loopback (anyone reaching it may try the token)"),
    Flag.withDefault(false)
  )
}

/** Refused before anything is bound, with the command's help. */
const checkHost = (who: string) => <I extends { readonly host: string; readonly allowRemote: boolean }>(input: I) => {
  const refused = refusal(input.host, input.allowRemote, "add --allow-remote", who)
  return refused === undefined ? Effect.void : invalid(refused)
}

const view = Command.make(
  "view",
  { ...storage, ...listen },
  (input) =>
    Viewer.serve({ port: input.port, host: input.host, allowRemote: input.allowRemote }).pipe(
      Effect.provide(checkpointerOf(input))
    )
).pipe(
  Command.withDescription(
    "The run viewer over a checkpointer's storage: lists runs, draws a run's flow (when its program saved the " +
      "diagram), shows its stores and history, and answers waiting inputs. It needs none of the app's code and " +
      "runs nothing: an answer lands in the run's inbox for the program (or a worker) to continue."
  ),
  Command.validate(checkHost("The run viewer")),
  Command.validate(checkStorage(false))
)

/** The hosted flows a `--flows` module exports: `flows` (or its default export), and `layer` for their services. */
const loadFlows = (module: string) =>
  Effect.tryPromise({
    try: () => import(pathToFileURL(resolve(module)).href) as Promise<Record<string, unknown>>,
    catch: (error) =>
      new CliError.UserError({
        cause: error,
        userMessage: `Could not load the flows module ${JSON.stringify(module)}: ${
          error instanceof Error ? error.message : String(error)
        }`
      })
  }).pipe(
    Effect.flatMap((mod) => {
      const flows = mod["flows"] ?? mod["default"]
      if (!Array.isArray(flows)) {
        return fail(
          `The flows module ${JSON.stringify(module)} exports no \`flows\` array (or default export): export the ` +
            "flows the server hosts, each Durable.register(flow, { stores }), and a `layer` for the services they need."
        )
      }
      const stray = flows.findIndex((f) => (f as { readonly _tag?: unknown })?._tag !== "Registered")
      if (stray >= 0) {
        return fail(
          `The flows module ${JSON.stringify(module)}: flows[${stray}] is not a Durable.register(flow, { stores }) ` +
            "value (the server's worker needs each flow's stores to restore its runs)."
        )
      }
      const layer = mod["layer"]
      return Effect.succeed({
        // A module is loaded at run time: what its flows need is its `layer`'s business, not a type here.
        flows: flows as ReadonlyArray<Durable.Registered<never>>,
        layer: (Layer.isLayer(layer) ? layer : Layer.empty) as Layer.Layer<never, unknown>
      })
    })
  )

const serve = Command.make("serve", {
  flows: Flag.String("flows").pipe(
    Flag.withMetavar("module"),
    Flag.withDescription(
      "a JavaScript module exporting `flows` (the flows to host) and, optionally, `layer` (the services they need)"
    )
  ),
  ...storage,
  ...listen,
  token: Flag.String("token").pipe(
    Flag.withDescription("the access token (default: a new random one, printed at start-up)"),
    Flag.optional
  ),
  lease: Flag.Int("lease").pipe(
    Flag.withMetavar("seconds"),
    Flag.withDescription(
      "the worker's lease on each run it continues: after a crash, another server takes the run over once it expires"
    ),
    Flag.withDefault(30)
  ),
  concurrency: Flag.Int("concurrency").pipe(
    Flag.withDescription("how many runs the worker continues at once"),
    Flag.withDefault(10)
  )
}, (input) =>
  Effect.gen(function*() {
    const loaded = yield* loadFlows(input.flows)
    return yield* Server.serve({
      flows: loaded.flows,
      port: input.port,
      host: input.host,
      allowRemote: input.allowRemote,
      token: Option.getOrUndefined(input.token),
      worker: { lease: Duration.seconds(input.lease), concurrency: input.concurrency }
    }).pipe(Effect.provide(Layer.merge(checkpointerOf(input), loaded.layer)))
  })).pipe(
    Command.withDescription(
      "The server: the HTTP API (start, list, read, answer, interrupt, fork, delete runs; their events as " +
        "Server-Sent Events), the run viewer's page, /openapi.json and /docs, over a checkpointer's storage."
    ),
    Command.validate(checkHost("The server")),
    Command.validate((input) =>
      input.lease > 0 && input.concurrency > 0 ? Effect.void : invalid("--lease and --concurrency must be positive.")
    ),
    Command.validate(checkStorage(true))
  )

// ---------------------------------------------------------------------------------------------------
// runs
// ---------------------------------------------------------------------------------------------------

const json = Flag.Boolean("json").pipe(Flag.withDescription("print JSON instead of text"), Flag.withDefault(false))

const runId = Argument.String("id").pipe(Argument.withDescription("the run's id"))

const print = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

const time = (ms: number) => new Date(ms).toISOString()

const list = Command.make("list", {
  ...storage,
  status: Flag.Literals("status", ["running", "suspended", "done", "failed", "interrupted"]).pipe(
    Flag.withDescription("only runs with this status"),
    Flag.optional
  ),
  flow: Flag.String("flow").pipe(Flag.withDescription("only runs of this flow"), Flag.optional),
  limit: Flag.Int("limit").pipe(Flag.withDescription("at most this many runs"), Flag.withDefault(50)),
  json
}, (input) =>
  Effect.gen(function*() {
    const page = yield* Durable.list({
      status: Option.getOrUndefined(input.status),
      flow: Option.getOrUndefined(input.flow),
      limit: input.limit
    })
    if (input.json) return yield* print(page)
    if (page.runs.length === 0) return yield* Console.log("No runs.")
    for (const s of page.runs) {
      const waiting = s.waiting.length > 0 ? ` (${s.waiting.length} waiting)` : ""
      yield* Console.log(
        `${s.id}\t${s.flow}\t${s.status}${waiting}\t${s.steps} steps\tat ${nodeAt(s.position)}\t${time(s.updatedAt)}`
      )
    }
  }).pipe(Effect.provide(checkpointerOf(input)))).pipe(
    Command.withDescription("Lists runs, newest first."),
    Command.validate(checkStorage(false))
  )

const get = Command.make("get", { ...storage, id: runId, json }, (input) =>
  Effect.gen(function*() {
    const details = yield* Durable.get(input.id)
    if (Option.isNone(details)) return yield* fail(`No run ${JSON.stringify(input.id)}.`)
    const s = details.value
    if (input.json) return yield* print(s)
    yield* Console.log(
      `${s.id}: flow ${s.flow}, ${s.status}, ${s.steps} steps, v${s.version}, at ${nodeAt(s.position)}`
    )
    if (s.failure !== undefined) yield* Console.log(`failure: ${s.failure}`)
    if (s.action !== undefined) yield* Console.log(`action: ${s.action}`)
    if (s.lease !== undefined) yield* Console.log(`lease: ${s.lease.owner} until ${time(s.lease.expiresAt)}`)
    for (const w of s.waiting) {
      const answered = s.answered.includes(w.key) ? " (answered)" : ""
      yield* Console.log(`waiting: ${w.input} at ${w.path}${answered}, key ${w.key}, token ${w.token}`)
      yield* Console.log(`  prompt: ${JSON.stringify(w.prompt)}`)
    }
    yield* Console.log(`stores: ${JSON.stringify(s.stores, null, 2)}`)
  }).pipe(Effect.provide(checkpointerOf(input)))).pipe(
    Command.withDescription("Shows a run: status, waiting inputs (with their tokens), lease, stores."),
    Command.validate(checkStorage(false))
  )

const answer = Command.make("answer", {
  ...storage,
  id: Argument.String("id").pipe(
    Argument.withDescription("the run's id (with --input), or leave it out and pass --token"),
    Argument.optional
  ),
  input: Flag.String("input").pipe(Flag.withDescription("the waiting input's name"), Flag.optional),
  key: Flag.String("key").pipe(Flag.withDescription("its key, when several inputs of that name wait"), Flag.optional),
  token: Flag.String("token").pipe(
    Flag.withDescription("the waiting input's token (instead of id and --input)"),
    Flag.optional
  ),
  value: Flag.String("value").pipe(Flag.withMetavar("json"), Flag.withDescription("the answer, as JSON"))
}, (input) =>
  Effect.gen(function*() {
    const value = yield* Effect.try({
      try: () => JSON.parse(input.value) as unknown,
      catch: () =>
        new CliError.UserError({ cause: "bad JSON", userMessage: `--value is not valid JSON: ${input.value}` })
    })
    const target: operations.Target | undefined = Option.isSome(input.token)
      ? { token: input.token.value }
      : Option.isSome(input.id) && Option.isSome(input.input)
      ? { id: input.id.value, input: input.input.value, key: Option.getOrUndefined(input.key) }
      : undefined
    if (target === undefined) return yield* fail("Give --token, or a run id and --input.")
    const done = yield* operations.answer(target, value).pipe(
      Effect.catchTags({
        SchemaError: (e) => fail(`The answer does not match the input's schema: ${e.message}`),
        NotWaiting: (e) => fail(e.message),
        AlreadyAnswered: (e) => fail(e.message),
        RunNotFound: (e) => fail(e.message)
      })
    )
    yield* Console.log(`Answered ${done.key} of run ${done.id}: it continues at its program's (or worker's) next look.`)
  }).pipe(Effect.provide(checkpointerOf(input)))).pipe(
    Command.withDescription("Answers a waiting input (writes the answer to the run's inbox)."),
    Command.validate(checkStorage(false))
  )

const interrupt = Command.make("interrupt", { ...storage, id: runId }, (input) =>
  Durable.interrupt(input.id).pipe(
    Effect.catchTag("RunNotFound", (e) => fail(e.message)),
    Effect.andThen(Console.log(`Interrupted ${input.id} (a running one stops at its owner's next heartbeat).`)),
    Effect.provide(checkpointerOf(input))
  )).pipe(Command.withDescription("Stops a run for good."), Command.validate(checkStorage(false)))

const del = Command.make("delete", { ...storage, id: runId }, (input) =>
  Effect.gen(function*() {
    if (Option.isNone(yield* Durable.get(input.id))) return yield* fail(`No run ${JSON.stringify(input.id)}.`)
    yield* Durable.delete(input.id)
    yield* Console.log(`Deleted ${input.id}, with its history, items and answers.`)
  }).pipe(Effect.provide(checkpointerOf(input)))).pipe(
    Command.withDescription("Removes a run, its history, items and answers."),
    Command.validate(checkStorage(false))
  )

const prune = Command.make("prune", {
  ...storage,
  olderThan: Flag.String("older-than").pipe(
    Flag.withMetavar("duration"),
    Flag.withDescription("remove finished runs last updated longer ago than this (\"30 days\", \"12 hours\")")
  ),
  status: Flag.Literals("status", ["done", "failed", "interrupted"]).pipe(
    Flag.withDescription("only runs with this status (default: all finished ones)"),
    Flag.optional
  )
}, (input) =>
  Effect.gen(function*() {
    const olderThan = Duration.fromInput(input.olderThan as Duration.Input)
    if (Option.isNone(olderThan)) {
      return yield* fail(`--older-than ${JSON.stringify(input.olderThan)} is not a duration ("30 days", "12 hours").`)
    }
    const removed = yield* Durable.prune({ olderThan: olderThan.value, status: Option.getOrUndefined(input.status) })
    yield* Console.log(`Removed ${removed} run${removed === 1 ? "" : "s"}.`)
  }).pipe(Effect.provide(checkpointerOf(input)))).pipe(
    Command.withDescription("Removes finished runs in bulk."),
    Command.validate(checkStorage(false))
  )

const runs = Command.make("runs").pipe(
  Command.withDescription("Reads and manages the runs a checkpointer keeps, without a server."),
  Command.withSubcommands([list, get, answer, interrupt, del, prune])
)

const command = Command.make("effect-pocketflow").pipe(
  Command.withDescription("effect-pocketflow's server, run viewer and run management."),
  Command.withSubcommands([serve, view, runs])
)

/** Runs the command on the process's arguments and exits. */
export const main = (version: string): void =>
  NodeRuntime.runMain(Command.run(command, { version }).pipe(Effect.provide(NodeServices.layer)))
