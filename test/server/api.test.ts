/**
 * The whole API through the typed client (`Client.make`) against a real server on 127.0.0.1, with its worker in the
 * same process (`Server.layer({ flows })`): a run started through the API is run by that worker, suspends at the
 * review, and moves on after an answer given through the API, with no other program. Start is idempotent by id (the
 * same input is the same run, another input a 409); list filters and pages; get has the waiting input, the answered
 * keys and the item counts; history, diagram, fork with a store edit, interrupt and delete. On the file system and on
 * the suite's Postgres.
 */
import { assert, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { Durable, FlowEvent } from "effect-pocketflow"
import { Client, Server } from "effect-pocketflow/server"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as example from "../../examples/viewer.ts"
import type { RunDetails } from "../../src/server/internal/api.ts"
import { forEachCheckpointer } from "../support/checkpointers.ts"

const release = {
  "examples/viewer/Release": {
    version: "2.1.0",
    changes: ["durable runs", "server"],
    notes: "",
    feedback: "",
    published: false
  }
}

/** Polls `GET /runs/:id` until `done` says so of the run. */
const until = (
  client: Client.Client,
  id: string,
  done: (run: typeof RunDetails.Type) => boolean
) =>
  Effect.gen(function*() {
    while (true) {
      const run = yield* client.runs.get({ params: { id } })
      if (done(run)) return run
      yield* Effect.sleep("20 millis")
    }
  }).pipe(Effect.timeout("20 seconds"))

forEachCheckpointer("Server API through the typed client", ({ storage }) => {
  it.live("start, events, get, answer, list, history, diagram, fork, interrupt, delete", () => {
    const layer = Server.layer({
      announce: false,
      token: "secret-token",
      flows: [Durable.register(example.flow, { stores: [example.ReleaseStore] })],
      // A poll far longer than the test: a start, answer or fork made through the API wakes the worker at once.
      worker: { poll: "1 hour" }
    }).pipe(
      Layer.provideMerge(storage("server_api").layer()),
      Layer.provideMerge(example.model),
      Layer.provideMerge(FetchHttpClient.layer)
    )
    return Effect.gen(function*() {
      const server = yield* Server.Server
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      const client = yield* Client.make({ baseUrl: server.baseUrl, token: "secret-token" })
      const id = `api-${Math.random().toString(36).slice(2, 8)}`

      const { flows } = yield* client.flows.list()
      assert.deepStrictEqual(flows.map((f) => f.name), ["release"])
      assert.deepStrictEqual(flows[0]!.stores.map((s) => s.key), ["examples/viewer/Release"])

      const started = yield* client.runs.start({ payload: { flow: "release", id, stores: release } })
      assert.deepStrictEqual(started, { id, flow: "release", created: true })
      // Idempotent by id: the same input is the same run; another input is a 409 that changes nothing.
      const again = yield* client.runs.start({ payload: { flow: "release", id, stores: release } })
      assert.deepStrictEqual(again, { id, flow: "release", created: false })
      const other = { "examples/viewer/Release": { ...release["examples/viewer/Release"], version: "9.9.9" } }
      const conflict = yield* Effect.flip(client.runs.start({ payload: { flow: "release", id, stores: other } }))
      assert.strictEqual(conflict._tag, "Conflict")
      const unknownFlow = yield* Effect.flip(client.runs.start({ payload: { flow: "nope", stores: {} } }))
      assert.strictEqual(unknownFlow._tag, "BadRequest")

      // A subscriber from the start sees the whole run, across its suspension, until it ends.
      const watching = yield* client.events(id).pipe(Stream.runCollect, Effect.forkChild)

      // The server's worker runs it (nobody else does) up to the review.
      const waiting = yield* until(client, id, (r) => r.status === "suspended")
      assert.strictEqual(waiting.flow, "release")
      assert.strictEqual(waiting.waiting.length, 1)
      assert.strictEqual(waiting.waiting[0]!.input, "review")
      assert.match(String(waiting.waiting[0]!.prompt), /durable runs survive crashes/)
      assert.deepStrictEqual(waiting.answered, [])
      assert.deepStrictEqual(waiting.items, {})

      const listed = yield* client.runs.list({ query: { status: "suspended", flow: "release" } })
      assert.include(listed.runs.map((r) => r.id), id)
      const mine = listed.runs.find((r) => r.id === id)!
      assert.strictEqual(mine.live, true)
      assert.strictEqual(mine.node, "review")
      const bad = yield* Effect.flip(client.runs.list({ query: { status: "sleepy" } }))
      assert.strictEqual(bad._tag, "BadRequest")
      // Every status a run may have is a filter, the worker's "sleeping" and "waiting" too.
      for (const status of ["sleeping", "waiting"]) {
        assert.deepStrictEqual((yield* client.runs.list({ query: { status } })).runs, [], status)
      }

      const diagram = yield* client.runs.diagram({ params: { id } })
      assert.isNotNull(diagram)
      assert.include(diagram!.text, "flowchart")
      assert.deepStrictEqual(diagram!.waiting, ["review"])

      // A bad answer is a 400 with the decode error, and nothing is written.
      const refused = yield* Effect.flip(
        client.answers.answer({ payload: { id, input: "review", value: { approve: "yes", feedback: "" } } })
      )
      assert.strictEqual(refused._tag, "BadRequest")
      assert.strictEqual((yield* client.runs.get({ params: { id } })).status, "suspended")

      const answered = yield* client.answers.answer({
        payload: { id, input: "review", value: { approve: true, feedback: "Ship it." } }
      })
      assert.strictEqual(answered.id, id)
      assert.strictEqual(answered.continued, true)
      const twice = yield* Effect.flip(
        client.answers.answer({ payload: { id, input: "review", value: { approve: true, feedback: "again" } } })
      )
      assert.strictEqual(twice._tag, "Conflict")

      const done = yield* until(client, id, (r) => r.status === "done")
      assert.strictEqual((done.stores["examples/viewer/Release"] as { published: boolean }).published, true)
      // The worker saves "done" and then releases its lease: a look between the two still sees the lease.
      const released = yield* until(client, id, (r) => r.lease === undefined)
      assert.strictEqual(released.status, "done")

      const events = yield* Fiber.join(watching).pipe(Effect.timeout("20 seconds"))
      const tags = events.map((e) => e._tag)
      assert.include(tags, "FlowStarted")
      assert.include(tags, "Suspended")
      assert.include(tags, "FlowFinished")
      assert.strictEqual(events.filter(FlowEvent.is("CheckpointSaved")).at(-1)!.status, "done")
      const entered = events.filter(FlowEvent.is("NodeStarted")).map((e) => e.node)
      assert.deepStrictEqual(entered, ["draft", "review", "review", "publish"])

      const history = yield* client.runs.history({ params: { id }, query: {} })
      assert.isAtLeast(history.snapshots.length, 3)
      assert.strictEqual(history.snapshots.at(-1)!.status, "done")
      const page = yield* client.runs.history({ params: { id }, query: { limit: 1 } })
      assert.strictEqual(page.snapshots.length, 1)
      assert.isDefined(page.before)

      // A fork of the suspended version with its notes edited: the worker runs it to the review again.
      const suspendedVersion = history.snapshots.find((s) => s.status === "suspended")!.version
      const edited = { ...release["examples/viewer/Release"], notes: "edited", feedback: "from the fork" }
      const fork = yield* client.runs.fork({
        params: { id },
        payload: { version: suspendedVersion, to: `${id}-fork`, stores: { "examples/viewer/Release": edited } }
      })
      assert.deepStrictEqual(fork, { id: `${id}-fork`, continued: true })
      const forked = yield* until(client, fork.id, (r) => r.status === "suspended")
      assert.strictEqual((forked.stores["examples/viewer/Release"] as { feedback: string }).feedback, "from the fork")
      const badFork = yield* Effect.flip(
        client.runs.fork({ params: { id }, payload: { version: suspendedVersion, stores: { "no/store": {} } } })
      )
      assert.strictEqual(badFork._tag, "BadRequest")
      const forkExists = yield* Effect.flip(
        client.runs.fork({ params: { id }, payload: { version: suspendedVersion, to: fork.id } })
      )
      assert.strictEqual(forkExists._tag, "Conflict")

      const interrupted = yield* client.runs.interrupt({ params: { id: fork.id } })
      assert.deepStrictEqual(interrupted, { id: fork.id, status: "interrupted" })

      // Paging: one run per page, the cursor leads to the other.
      const first = yield* client.runs.list({ query: { flow: "release", limit: 1 } })
      assert.strictEqual(first.runs.length, 1)
      assert.isDefined(first.cursor)
      const second = yield* client.runs.list({ query: { flow: "release", limit: 1, cursor: first.cursor } })
      assert.notStrictEqual(second.runs[0]!.id, first.runs[0]!.id)

      // By token, on a third run.
      const third = `${id}-3`
      yield* client.runs.start({ payload: { flow: "release", id: third, stores: release } })
      const token = (yield* until(client, third, (r) => r.status === "suspended")).waiting[0]!.token
      const byToken = yield* client.answers.answer({ payload: { token, value: { approve: true, feedback: "" } } })
      assert.strictEqual(byToken.id, third)
      yield* until(client, third, (r) => r.status === "done")

      assert.deepStrictEqual(yield* client.runs.delete({ params: { id: third } }), { id: third, deleted: true })
      const gone = yield* Effect.flip(client.runs.get({ params: { id: third } }))
      assert.strictEqual(gone._tag, "NotFound")
      const noEvents = yield* Effect.flip(Stream.runCollect(client.events(third)))
      assert.strictEqual(noEvents._tag, "NotFound")

      // A wrong token is refused by every call.
      const stranger = yield* Client.make({ baseUrl: server.baseUrl, token: "wrong" })
      const unauthorized = yield* Effect.flip(stranger.runs.get({ params: { id } }))
      assert.strictEqual(unauthorized._tag, "Unauthorized")
    }).pipe(Effect.provide(layer))
  }, 120_000)
}, (kind) => kind.name === "file system" || kind.name === "Postgres")
