import { Effect, Layer, Schema, Stream } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
import { Client, Server } from "effect-pocketflow/server"
import * as FetchHttpClient from "effect/http/FetchHttpClient"

class Ticket extends Shared.Service<Ticket>()("app/Ticket", {
  schema: Schema.Struct({ text: Schema.String, approved: Schema.Boolean })
}) {}
const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })
const approve = Node.make({
  name: "approve",
  prep: Ticket.get,
  exec: (t) => Approval.ask(t.text),
  post: (_, approved) => Ticket.update((t) => ({ ...t, approved }))
})
const tickets = Flow.make({ name: "tickets", start: approve })

// The server and its worker, hosting the flow, on a SQLite file.
const ServerLive = Server.layer({ flows: [Durable.register(tickets, { stores: [Ticket] })], token: "s3cret" }).pipe(
  Layer.provideMerge(Checkpointer.layerSqlite({ filename: "tickets.db" }))
)

export const program = Effect.gen(function*() {
  const { baseUrl } = yield* Server.Server
  const client = yield* Client.make({ baseUrl, token: "s3cret" })
  yield* client.runs.start({
    payload: { flow: "tickets", id: "t-1", stores: { "app/Ticket": { text: "refund", approved: false } } }
  })
  // The run's events until it ends; the answer is given when it asks.
  yield* client.events("t-1").pipe(
    Stream.runForEach((event) =>
      event._tag === "Suspended"
        ? client.answers.answer({ payload: { id: "t-1", input: "approval", value: true } })
        : Effect.void
    )
  )
  return (yield* client.runs.get({ params: { id: "t-1" } })).stores["app/Ticket"]
}).pipe(Effect.provide(Layer.merge(ServerLive, FetchHttpClient.layer)))
// { text: "refund", approved: true }
