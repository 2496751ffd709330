/**
 * `GET /runs/:id/events` and `client.events(id)`: a client whose connection is cut mid-run (the test's proxy destroys
 * the socket carrying the event stream) re-attaches with `Last-Event-ID` and receives every event exactly once, in
 * order, as an uninterrupted subscriber does; a client that comes back after the server's buffer moved on gets the
 * `EventsGap` marker first, then what the server holds.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { Checkpointer, Durable, FlowEvent } from "effect-pocketflow"
import { Client, Server } from "effect-pocketflow/server"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { connect, createServer, type Socket } from "node:net"
import { Counter, counting as countingFlow } from "../support/counting.ts"

const counting = countingFlow(5)

const serverLayer = (eventBuffer?: number) =>
  Server.layer({
    announce: false,
    token: "t",
    flows: [Durable.register(counting, { stores: [Counter] })],
    worker: { poll: "20 millis" },
    eventBuffer
  }).pipe(Layer.provideMerge(Checkpointer.layerMemory), Layer.provideMerge(FetchHttpClient.layer))

/**
 * A TCP proxy on 127.0.0.1 in front of the server that destroys the first connection carrying an event stream once
 * `cutAfter` bytes of it came back (the Host header is rewritten: the server accepts only its own).
 */
const proxy = (target: number, cutAfter: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly cuts: () => number; readonly close: () => void }>((resume) => {
      let cut = 0
      const sockets = new Set<Socket>()
      const server = createServer((client: Socket) => {
        const upstream = connect(target, "127.0.0.1")
        sockets.add(client)
        sockets.add(upstream)
        let victim = false
        let back = 0
        client.on("data", (chunk: Buffer) => {
          const text = chunk.toString("latin1")
          if (cut === 0 && /GET \/runs\/[^ ]+\/events/.test(text)) victim = true
          upstream.write(Buffer.from(text.replaceAll(`127.0.0.1:${port()}`, `127.0.0.1:${target}`), "latin1"))
        })
        upstream.on("data", (chunk: Buffer) => {
          client.write(chunk)
          if (victim && cut === 0) {
            back += chunk.length
            if (back >= cutAfter) {
              cut++
              client.destroy()
              upstream.destroy()
            }
          }
        })
        const end = () => {
          client.destroy()
          upstream.destroy()
        }
        client.on("error", end).on("close", end)
        upstream.on("error", end).on("close", end)
      })
      const port = () => (server.address() as { port: number }).port
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          port: port(),
          cuts: () => cut,
          close: () => {
            for (const s of sockets) s.destroy()
            server.close()
          }
        })))
    }),
    (p) => Effect.sync(() => p.close())
  )

describe("server event streams", () => {
  it.live("a client cut off mid-run re-attaches and gets every event once, in order", () =>
    Effect.gen(function*() {
      const server = yield* Server.Server
      const direct = yield* Client.make({ baseUrl: server.baseUrl, token: "t" })
      const cutter = yield* proxy(server.port, 1500)
      const viaProxy = yield* Client.make({ baseUrl: `http://127.0.0.1:${cutter.port}`, token: "t" })

      yield* direct.runs.start({
        payload: { flow: "counting", id: "count-1", stores: { "test/Counter": { n: 0, to: 40 } } }
      })
      const whole = yield* direct.events("count-1").pipe(Stream.runCollect, Effect.forkChild)
      const cut = yield* viaProxy.events("count-1", { retryDelay: "10 millis" }).pipe(
        Stream.runCollect,
        Effect.forkChild
      )
      const expected = yield* Fiber.join(whole).pipe(Effect.timeout("30 seconds"))
      const got = yield* Fiber.join(cut).pipe(Effect.timeout("30 seconds"))

      // The connection was cut, mid-run: before the run's end came through.
      assert.strictEqual(cutter.cuts(), 1)
      assert.strictEqual(expected.filter(FlowEvent.is("NodeStarted")).length, 40)
      assert.strictEqual(expected.filter(FlowEvent.is("FlowFinished")).length, 1)
      assert.isFalse(got.some((e) => e._tag === "EventsGap"))
      assert.deepStrictEqual(got, expected)
    }).pipe(Effect.provide(serverLayer())), 60_000)

  it.live(
    "after the buffer moved on, a client gets the EventsGap marker, then what the server holds",
    () =>
      Effect.gen(function*() {
        const server = yield* Server.Server
        const client = yield* Client.make({ baseUrl: server.baseUrl, token: "t" })
        yield* client.runs.start({
          payload: { flow: "counting", id: "count-2", stores: { "test/Counter": { n: 0, to: 10 } } }
        })
        // Read the first event (and its id) raw, then let the run end: the 8-event buffer moves past it.
        const first = yield* Effect.promise(async () => {
          const response = await fetch(`${server.baseUrl}/runs/count-2/events`, {
            headers: { authorization: "Bearer t" }
          })
          const reader = response.body!.getReader()
          let text = ""
          while (!/\nid: ?\d+/.test(`\n${text}`) || !text.includes("\n\n")) {
            const { value } = await reader.read()
            text += new TextDecoder().decode(value)
          }
          await reader.cancel()
          return Number(/(?:^|\n)id: ?(\d+)/.exec(text)![1])
        })
        while ((yield* client.runs.get({ params: { id: "count-2" } })).status !== "done") {
          yield* Effect.sleep("20 millis")
        }
        const all = yield* client.events("count-2").pipe(Stream.runCollect)
        assert.strictEqual(all[0]!._tag, "EventsGap", "a subscriber from the start is told the oldest were dropped")
        assert.strictEqual(all.length, 9)
        assert.strictEqual(all.at(-1)!._tag, "FlowFinished")

        const late = yield* client.events("count-2", { lastEventId: String(first) }).pipe(Stream.runCollect)
        const gap = late[0]!
        assert.strictEqual(gap._tag, "EventsGap")
        if (gap._tag === "EventsGap") {
          assert.strictEqual(gap.after, first)
          assert.isAbove(gap.next, first + 1)
        }
        assert.deepStrictEqual(late.slice(1), all.slice(1))

        // One after the last event held: nothing more (the run ended), no gap.
        const caughtUp = yield* Effect.promise(async () => {
          const response = await fetch(`${server.baseUrl}/runs/count-2/events`, {
            headers: { authorization: "Bearer t", "last-event-id": String(server.hub.next - 1) }
          })
          return response.text()
        })
        assert.strictEqual(caughtUp.trim(), "")
      }).pipe(Effect.provide(serverLayer(8))),
    60_000
  )
})
