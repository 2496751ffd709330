/**
 * One runner of the cluster example: `tsx examples/cluster/runner.ts <postgres url> <port>`. It joins the cluster on
 * 127.0.0.1:<port>, takes a share of the shards, and runs the report workflows that land on them until it is stopped.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runnerLayer } from "./flow.ts"

const [url, port] = process.argv.slice(2) as [string, string]

Effect.gen(function*() {
  yield* Layer.build(runnerLayer(url, Number(port)))
  yield* Console.log(`runner ${process.env.RUNNER_NAME ?? port} ready on 127.0.0.1:${port}`)
  return yield* Effect.never
}).pipe(Effect.scoped, NodeRuntime.runMain)
