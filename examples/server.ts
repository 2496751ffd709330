/**
 * `server`: the approval flow behind an HTTP API.
 *
 * The server (`Server.layer({ flows })`) hosts the release-notes flow of the `viewer` example on the SQLite
 * checkpointer, with its worker in the same process. A client made from the same API (`Client.make`) starts a run,
 * streams its events (Server-Sent Events, re-attaching by itself after a dropped connection), answers the review when
 * the run asks for it, and prints the final state. Nothing else runs the flow: the server's worker does.
 *
 * Run it with `npm run example -- server`. The URL it prints opens the run viewer's page on the same server, and
 * `/docs` the API's reference (its OpenAPI document is `/openapi.json`).
 */
import { Checkpointer, Durable, FlowEvent } from "effect-pocketflow"
import { Client, Server } from "effect-pocketflow/server"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { flow, model, ReleaseStore } from "./viewer.ts"

/** The server on a SQLite file in `directory`, hosting the release flow (its model is the scripted one). */
export const layer = (directory: string) =>
  Server.layer({
    flows: [Durable.register(flow, { stores: [ReleaseStore] })],
    worker: { poll: "100 millis" }
  }).pipe(
    Layer.provideMerge(Checkpointer.layerSqlite({ filename: join(directory, "runs.db") })),
    Layer.provideMerge(model),
    Layer.provideMerge(FetchHttpClient.layer)
  )

const release = {
  version: "2.2.0",
  changes: ["an HTTP API for runs", "events over SSE"],
  notes: "",
  feedback: "",
  published: false
}

export const main = Effect.gen(function*() {
  const directory = mkdtempSync(join(tmpdir(), "pocketflow-server-"))
  yield* Effect.ensuring(
    Effect.gen(function*() {
      const server = yield* Server.Server
      const client = yield* Client.make({ baseUrl: server.baseUrl, token: server.token })

      const started = yield* client.runs.start({
        payload: { flow: "release", id: "release-2.2", stores: { [ReleaseStore.key]: release } }
      })
      yield* Console.log(`Started run ${started.id} of flow ${started.flow} through POST /runs.`)

      // The events, as they happen: answer the review when the run suspends on it.
      const events = yield* client.events(started.id).pipe(
        Stream.tap((event) => Console.log(`  event: ${FlowEvent.format(event)}`)),
        Stream.tap((event) =>
          event._tag === "Suspended"
            ? Effect.gen(function*() {
              const waiting = event.waiting[0]!
              yield* Console.log(`The run waits for "${waiting.input}": ${JSON.stringify(waiting.prompt)}`)
              const answered = yield* client.answers.answer({
                payload: { id: started.id, input: waiting.input, value: { approve: true, feedback: "Ship it." } }
              })
              yield* Console.log(`Answered through POST /answers: ${JSON.stringify(answered)}`)
            })
            : Effect.void
        ),
        Stream.runCount,
        Effect.forkChild
      )
      const count = yield* Fiber.join(events)
      const end = yield* client.runs.get({ params: { id: started.id } })
      const state = end.stores[ReleaseStore.key] as typeof release
      yield* Console.log(`The event stream ended after ${count} events.`)
      yield* Console.log(`The run is ${end.status} after ${end.steps} steps. Published: ${state.published}`)
      yield* Console.log(`  ${state.notes}`)
    }).pipe(Effect.provide(layer(directory))),
    Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  )
})
