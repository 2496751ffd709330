import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { Checkpointer, Durable, FlowEvent } from "effect-pocketflow"
import { Client, Server } from "effect-pocketflow/server"
import { CurrentRunObserver } from "../../src/internal/durable/observer.ts"
import * as example from "../../examples/viewer.ts"

const layer = Server.layer({ announce: false, token: "tok" }).pipe(
  Layer.provideMerge(Checkpointer.layerMemory),
  Layer.provideMerge(example.model),
  Layer.provideMerge(FetchHttpClient.layer)
)

describe("smoke", () => {
  it.live("client", () =>
    Effect.gen(function*() {
      const server = yield* Server.Server
      const outcome = yield* Durable.run(example.flow, { id: "r1", stores: [example.initial] }).pipe(
        Effect.provideService(CurrentRunObserver, server.hub.observer)
      )
      assert.strictEqual(outcome._tag, "Suspended")
      const client = yield* Client.make({ baseUrl: server.baseUrl, token: "tok" })
      const list = yield* client.runs.list({ query: {} })
      console.log(list)
      const got = yield* client.runs.get({ params: { id: "r1" } })
      console.log(got.status, got.answered)
      const e = yield* Effect.flip(client.runs.get({ params: { id: "nope" } }))
      console.log(e)
      const events = yield* client.events("r1").pipe(Stream.take(9), Stream.runCollect)
      console.log(events.map(FlowEvent.format))
      const token = outcome._tag === "Suspended" ? outcome.waiting[0]!.token : ""
      const bad = yield* Effect.flip(client.answers.answer({ payload: { token, value: { approve: "x", feedback: "" } } }))
      console.log(bad)
      const ok = yield* client.answers.answer({ payload: { id: "r1", input: "review", value: { approve: true, feedback: "ok" } } })
      console.log(ok)
    }).pipe(Effect.provide(layer)))
})
