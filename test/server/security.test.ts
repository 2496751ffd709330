/**
 * The server's refusals, on the routes that write (start, answer, fork, interrupt, delete) of a server that hosts a
 * flow: no token and a wrong token (401), a foreign Host or Origin (403), a form post (415), malformed JSON and a body
 * of the wrong shape (400), an oversized body (413), a bad percent-escape (400). Each is a 4xx with a readable JSON
 * message, never a 500, and nothing is written: no run appears, the waiting run stays as it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Checkpointer, Durable } from "effect-pocketflow"
import { Server } from "effect-pocketflow/server"
import { request } from "node:http"
import * as example from "../../examples/viewer.ts"

const layer = Server.layer({
  announce: false,
  token: "right-token",
  flows: [Durable.register(example.flow, { stores: [example.ReleaseStore] })],
  worker: { poll: "20 millis" },
  maxBodyBytes: 4096
}).pipe(Layer.provideMerge(Checkpointer.layerMemory), Layer.provideMerge(example.model))

interface Reply {
  readonly status: number
  readonly body: string
}

/** A raw request (node:http: fetch cannot send another Host). */
const send = (port: number, method: string, path: string, headers: Record<string, string>, body?: string | Buffer) =>
  Effect.callback<Reply>((resume) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let text = ""
      res.on("data", (c: Buffer) => (text += c.toString()))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: text })))
    })
    req.on("error", (error) => resume(Effect.succeed({ status: -1, body: String(error) })))
    if (body !== undefined) req.write(body)
    req.end()
  })

const release = {
  "examples/viewer/Release": { version: "1", changes: [], notes: "", feedback: "", published: false }
}

describe("server security", () => {
  it.live(
    "every refusal is the right 4xx with a readable message, and nothing is written",
    () =>
      Effect.gen(function*() {
        const server = yield* Server.Server
        const port = server.port
        const host = `127.0.0.1:${port}`
        const ok = { host, authorization: "Bearer right-token", "content-type": "application/json" }
        // A run waiting at the review, to aim answers, forks and interrupts at.
        yield* Durable.start(example.flow, { id: "waits", stores: [example.initial] })
        while (Option.getOrUndefined(yield* Durable.get("waits"))?.status !== "suspended") {
          yield* Effect.sleep("20 millis")
        }
        const before = yield* Durable.get("waits")
        const start = JSON.stringify({ flow: "release", id: "new-run", stores: release })
        const answer = JSON.stringify({ id: "waits", input: "review", value: { approve: true, feedback: "" } })
        const writes: ReadonlyArray<readonly [string, string, string]> = [
          ["POST", "/runs", start],
          ["POST", "/answers", answer],
          ["POST", "/runs/waits/fork", JSON.stringify({ version: 1, to: "forked" })],
          ["POST", "/runs/waits/interrupt", "{}"],
          ["DELETE", "/runs/waits", ""]
        ]
        const cases: ReadonlyArray<{
          readonly name: string
          readonly status: number
          readonly message: RegExp
          readonly headers: Record<string, string>
          readonly body?: (body: string) => string | Buffer
        }> = [
          { name: "no token", status: 401, message: /no token/, headers: { host, "content-type": "application/json" } },
          {
            name: "wrong token",
            status: 401,
            message: /wrong token/,
            headers: { ...ok, authorization: "Bearer nope" }
          },
          {
            name: "foreign Host",
            status: 403,
            message: /foreign Host/,
            headers: { ...ok, host: `evil.example:${port}` }
          },
          {
            name: "foreign Origin",
            status: 403,
            message: /foreign Origin/,
            headers: { ...ok, origin: "http://evil.example" }
          },
          {
            name: "form post",
            status: 415,
            message: /application\/json/,
            headers: { ...ok, "content-type": "application/x-www-form-urlencoded" },
            body: () => "flow=release"
          }
        ]
        for (const [method, path, body] of writes) {
          for (const c of cases) {
            const reply = yield* send(port, method, path, c.headers, c.body?.(body) ?? body)
            assert.strictEqual(reply.status, c.status, `${c.name}: ${method} ${path}: ${reply.body}`)
            assert.match(JSON.parse(reply.body).error, c.message, `${c.name}: ${method} ${path}`)
          }
        }
        // The routes that read a body (interrupt reads none).
        for (const [method, path] of writes.filter(([m, p]) => m === "POST" && !p.endsWith("/interrupt"))) {
          const malformed = yield* send(port, method, path, ok, "{\"flow\": ")
          assert.strictEqual(malformed.status, 400, `${path}: ${malformed.body}`)
          assert.match(JSON.parse(malformed.body).error, /not valid JSON/)
          const oversized = yield* send(port, method, path, ok, JSON.stringify({ pad: "x".repeat(8192) }))
          assert.strictEqual(oversized.status, 413, `${path}: ${oversized.body}`)
          assert.match(JSON.parse(oversized.body).error, /larger than 4 KiB/)
        }
        const shape = yield* send(port, "POST", "/runs", ok, JSON.stringify({ flows: "release" }))
        assert.strictEqual(shape.status, 400)
        assert.match(JSON.parse(shape.body).error, /expected \{ flow, id\?, stores\? \}/)
        for (const path of ["/runs/%E0%A4%A", "/runs/%ff/interrupt", "/runs/%zz/history"]) {
          const bad = yield* send(port, path.endsWith("interrupt") ? "POST" : "GET", path, ok, "{}")
          assert.strictEqual(bad.status, 400, `${path}: ${bad.body}`)
          assert.match(JSON.parse(bad.body).error, /malformed percent-escape/)
        }
        // Nothing was written.
        assert.deepStrictEqual((yield* Durable.list({})).runs.map((r) => r.id), ["waits"])
        assert.deepStrictEqual(yield* Durable.get("waits"), before)
      }).pipe(Effect.provide(layer)),
    60_000
  )
})
