/**
 * The viewer's HTTP server (the server without hosted flows) with plain requests (no browser): each security refusal
 * (no token, wrong token, foreign Host, foreign Origin, non-JSON state change), the token-for-cookie exchange, and the
 * API (runs, one run, its diagram, history and events, answer, fork, interrupt) over an in-process run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Checkpointer, Durable } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { request } from "node:http"
import * as example from "../../examples/viewer.ts"

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** One request to 127.0.0.1:port; `headers.host` replaces the Host header Node would send. */
const send = (
  port: number,
  options: {
    readonly method?: string
    readonly path: string
    readonly headers?: Record<string, string>
    readonly body?: unknown
  }
) =>
  Effect.callback<Reply>((resume) => {
    const req = request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {} },
      (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (body += chunk))
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body })))
      }
    )
    req.on("error", (error) => resume(Effect.die(error)))
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body))
  })

/** Reads a run's event stream until an event tagged `until` arrives, then drops the connection. */
const sse = (port: number, path: string, cookie: string, until: string) =>
  Effect.callback<ReadonlyArray<{ readonly _tag: string }>>((resume) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { cookie } }, (res) => {
      let text = ""
      const events: Array<{ readonly _tag: string }> = []
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        text += chunk
        let end: number
        while ((end = text.indexOf("\n\n")) !== -1) {
          const data = text.slice(0, end).split("\n").find((l) => l.startsWith("data: "))
          text = text.slice(end + 2)
          if (data === undefined) continue
          const event = JSON.parse(data.slice(6))
          events.push(event)
          if (event._tag === until) {
            req.destroy()
            resume(Effect.succeed(events))
          }
        }
      })
    })
    req.on("error", () => {})
    req.end()
  })

const layer = Viewer.layer({ announce: false, token: "test-token-0123456789" }).pipe(
  Layer.provideMerge(Checkpointer.layerMemory),
  Layer.provideMerge(example.model)
)

/** A viewer with the example's run suspended at review; `cookie` is what the browser holds after the exchange. */
const setup = Effect.gen(function*() {
  const viewer = yield* Viewer.Viewer
  const outcome = yield* Viewer.run(example.flow, { id: "r1", stores: [example.initial] })
  assert.strictEqual(outcome._tag, "Suspended")
  const token = outcome._tag === "Suspended" ? outcome.waiting[0]!.token : ""
  return { viewer, port: viewer.port, answerToken: token, cookie: `pocketflow_viewer_${viewer.port}=${viewer.token}` }
})

const json = (cookie: string, extra?: Record<string, string>) => ({
  cookie,
  "content-type": "application/json",
  ...extra
})

const unanswered = Effect.gen(function*() {
  const cp = yield* Checkpointer.Checkpointer
  assert.deepStrictEqual(yield* cp.answers("r1"), [])
  assert.strictEqual(Option.getOrThrow(yield* Durable.get("r1")).status, "suspended")
})

describe("viewer security", () => {
  it.live("binds to 127.0.0.1 by default and prints a URL carrying the token", () =>
    Effect.gen(function*() {
      const { viewer } = yield* setup
      assert.strictEqual(viewer.host, "127.0.0.1")
      assert.strictEqual(viewer.url, `http://127.0.0.1:${viewer.port}/?token=test-token-0123456789`)
      // A viewer with no token given makes a fresh random one.
      const other = yield* Effect.provide(
        Effect.service(Viewer.Viewer),
        Viewer.layer({ announce: false }).pipe(Layer.provide(Checkpointer.layerMemory))
      )
      assert.match(other.token, /^[A-Za-z0-9_-]{43}$/)
    }).pipe(Effect.provide(layer)))

  it.live("without the token the API refuses to read or act", () =>
    Effect.gen(function*() {
      const { answerToken, port } = yield* setup
      const list = yield* send(port, { path: "/runs" })
      assert.strictEqual(list.status, 401)
      assert.notInclude(list.body, "r1")
      const one = yield* send(port, { path: "/runs/r1" })
      assert.strictEqual(one.status, 401)
      const answer = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: { "content-type": "application/json" },
        body: { token: answerToken, value: { approve: true, feedback: "" } }
      })
      assert.strictEqual(answer.status, 401)
      const fork = yield* send(port, {
        method: "POST",
        path: "/runs/r1/fork",
        headers: { "content-type": "application/json" },
        body: { version: 1 }
      })
      assert.strictEqual(fork.status, 401)
      const interrupt = yield* send(port, {
        method: "POST",
        path: "/runs/r1/interrupt",
        headers: { "content-type": "application/json" },
        body: {}
      })
      assert.strictEqual(interrupt.status, 401)
      yield* unanswered
      assert.deepStrictEqual((yield* Durable.list()).runs.map((r) => r.id), ["r1"])
    }).pipe(Effect.provide(layer)))

  it.live("a wrong token gets no cookie and no access, in the URL, the cookie or the header", () =>
    Effect.gen(function*() {
      const { answerToken, port } = yield* setup
      const exchange = yield* send(port, { path: "/?token=test-token-0123456780" })
      assert.strictEqual(exchange.status, 401)
      assert.isUndefined(exchange.headers["set-cookie"])
      const byCookie = yield* send(port, { path: "/runs", headers: { cookie: `pocketflow_viewer_${port}=wrong` } })
      assert.strictEqual(byCookie.status, 401)
      const byHeader = yield* send(port, { path: "/runs", headers: { authorization: "Bearer wrong" } })
      assert.strictEqual(byHeader.status, 401)
      const answer = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: json(`pocketflow_viewer_${port}=test-token-0123456789x`),
        body: { token: answerToken, value: { approve: true, feedback: "" } }
      })
      assert.strictEqual(answer.status, 401)
      yield* unanswered
    }).pipe(Effect.provide(layer)))

  it.live("the printed URL trades the token for an HttpOnly SameSite=Strict cookie that opens the API", () =>
    Effect.gen(function*() {
      const { port, viewer } = yield* setup
      const exchange = yield* send(port, { path: "/?token=test-token-0123456789" })
      assert.strictEqual(exchange.status, 303)
      assert.strictEqual(exchange.headers["location"], "/")
      const cookie = String(exchange.headers["set-cookie"])
      assert.match(cookie, new RegExp(`^pocketflow_viewer_${port}=test-token-0123456789;`))
      assert.match(cookie, /HttpOnly/)
      assert.match(cookie, /SameSite=Strict/)
      assert.match(cookie, /Path=\//)
      const list = yield* send(port, { path: "/runs", headers: { cookie: cookie.split(";")[0]! } })
      assert.strictEqual(list.status, 200)
      assert.deepStrictEqual(JSON.parse(list.body).runs.map((r: { id: string }) => r.id), ["r1"])
      // Scripts may send the token as a bearer token instead.
      const bearer = yield* send(port, { path: "/runs", headers: { authorization: `Bearer ${viewer.token}` } })
      assert.strictEqual(bearer.status, 200)
    }).pipe(Effect.provide(layer)))

  it.live("a foreign Host is refused, even with the token (DNS rebinding)", () =>
    Effect.gen(function*() {
      const { cookie, port } = yield* setup
      const foreign = [`evil.example:${port}`, `127.0.0.1:${port + 1}`, "127.0.0.1", `localhost.evil.example:${port}`]
      for (const host of foreign) {
        const page = yield* send(port, { path: "/", headers: { host } })
        assert.strictEqual(page.status, 403, host)
        const api = yield* send(port, { path: "/runs", headers: { host, cookie } })
        assert.strictEqual(api.status, 403, host)
        assert.include(api.body, "foreign Host")
        assert.notInclude(api.body, "r1")
        const exchange = yield* send(port, { path: "/?token=test-token-0123456789", headers: { host } })
        assert.strictEqual(exchange.status, 403, host)
        assert.isUndefined(exchange.headers["set-cookie"])
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
        assert.strictEqual((yield* send(port, { path: "/runs", headers: { host, cookie } })).status, 200, host)
      }
    }).pipe(Effect.provide(layer)))

  it.live("a state-changing request from a foreign Origin is refused, even with the cookie", () =>
    Effect.gen(function*() {
      const { answerToken, cookie, port } = yield* setup
      const value = { approve: true, feedback: "ok" }
      const foreign = ["http://evil.example", `http://127.0.0.1:${port + 1}`, "null", `https://127.0.0.1:${port}`]
      for (const origin of foreign) {
        const answer = yield* send(port, {
          method: "POST",
          path: "/answers",
          headers: json(cookie, { origin }),
          body: { token: answerToken, value }
        })
        assert.strictEqual(answer.status, 403, origin)
        assert.include(answer.body, "foreign Origin")
        const fork = yield* send(port, {
          method: "POST",
          path: "/runs/r1/fork",
          headers: json(cookie, { origin }),
          body: { version: 1 }
        })
        assert.strictEqual(fork.status, 403, origin)
        const interrupt = yield* send(port, {
          method: "POST",
          path: "/runs/r1/interrupt",
          headers: json(cookie, { origin }),
          body: {}
        })
        assert.strictEqual(interrupt.status, 403, origin)
      }
      // A form post (no JSON) from anywhere is refused too.
      const form = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: { token: answerToken, value }
      })
      assert.strictEqual(form.status, 415)
      yield* unanswered
      assert.deepStrictEqual((yield* Durable.list()).runs.map((r) => r.id), ["r1"])
      // The page's own origin is accepted.
      const own = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: json(cookie, { origin: `http://127.0.0.1:${port}` }),
        body: { token: answerToken, value }
      })
      assert.strictEqual(own.status, 200, own.body)
    }).pipe(Effect.provide(layer)))

  it.live("every response forbids loading anything from elsewhere and framing", () =>
    Effect.gen(function*() {
      const { port } = yield* setup
      for (const path of ["/", "/app.js", "/runs"]) {
        const reply = yield* send(port, { path })
        assert.match(String(reply.headers["content-security-policy"]), /default-src 'self'/, path)
        assert.strictEqual(reply.headers["x-frame-options"], "DENY", path)
      }
      const page = yield* send(port, { path: "/" })
      assert.strictEqual(page.status, 200)
      assert.notMatch(page.body, /https?:\/\//)
    }).pipe(Effect.provide(layer)))
})

describe("viewer API", () => {
  it.live("lists runs with a status filter and shows one run with its highlighted diagram and history", () =>
    Effect.gen(function*() {
      const { cookie, port } = yield* setup
      const list = (status: string) => send(port, { path: `/runs?status=${status}`, headers: { cookie } })
      const suspended = JSON.parse((yield* list("suspended")).body)
      assert.deepStrictEqual(suspended.runs.map((r: { id: string }) => r.id), ["r1"])
      assert.strictEqual(suspended.runs[0].node, "review")
      assert.strictEqual(suspended.runs[0].waiting, 1)
      const done = JSON.parse((yield* list("done")).body)
      assert.deepStrictEqual(done.runs, [])
      assert.strictEqual((yield* list("nope")).status, 400)
      const one = JSON.parse((yield* send(port, { path: "/runs/r1", headers: { cookie } })).body)
      assert.strictEqual(one.status, "suspended")
      // The program drives the run (Viewer.run): an answer continues it here.
      assert.isTrue(suspended.runs[0].live)
      const diagram = JSON.parse((yield* send(port, { path: "/runs/r1/diagram", headers: { cookie } })).body)
      assert.deepStrictEqual(diagram.waiting, ["review"])
      assert.deepStrictEqual(diagram.visited, ["draft"])
      assert.include(diagram.text, "class review waiting")
      const history = JSON.parse((yield* send(port, { path: "/runs/r1/history", headers: { cookie } })).body)
      assert.deepStrictEqual(history.snapshots.map((h: { version: number }) => h.version), [1, 2, 3])
      assert.deepStrictEqual(history.snapshots.map((h: { node: string }) => h.node), ["—", "review", "review"])
      const events = yield* sse(port, "/runs/r1/events", cookie, "Suspended")
      assert.include(events.map((e) => e._tag), "Suspended")
      assert.strictEqual((yield* send(port, { path: "/runs/nope", headers: { cookie } })).status, 404)
    }).pipe(Effect.provide(layer)))

  it.live("a bad answer is refused with the decode error and changes nothing; a good one continues the run", () =>
    Effect.gen(function*() {
      const { answerToken, cookie, port } = yield* setup
      const bad = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: json(cookie),
        body: { token: answerToken, value: { approve: "yes", feedback: "" } }
      })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(JSON.parse(bad.body).kind, "decode")
      assert.include(JSON.parse(bad.body).error, "Expected boolean")
      yield* unanswered
      const good = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: json(cookie),
        body: { token: answerToken, value: { approve: true, feedback: "fine" } }
      })
      assert.deepStrictEqual(JSON.parse(good.body), { id: "r1", key: "release/review#1/review#1", continued: true })
      const end = yield* example.awaitEnd("r1")
      assert.strictEqual(end.status, "done")
      // The key is answered: a second answer is refused.
      const again = yield* send(port, {
        method: "POST",
        path: "/answers",
        headers: json(cookie),
        body: { token: answerToken, value: { approve: true, feedback: "fine" } }
      })
      assert.strictEqual(again.status, 409)
    }).pipe(Effect.provide(layer)))

  it.live("forks from a checkpoint and continues the fork in-process; interrupts a run", () =>
    Effect.gen(function*() {
      const { cookie, port } = yield* setup
      const post = (path: string, body: unknown) => send(port, { method: "POST", path, headers: json(cookie), body })
      const fork = yield* post("/runs/r1/fork", { version: 2 })
      assert.strictEqual(fork.status, 200, fork.body)
      const { continued, id } = JSON.parse(fork.body)
      assert.isTrue(continued)
      assert.match(id, /^r1\.fork-v2-[0-9a-f]{6}$/)
      // v2 stood at review before it asked: the fork asks again and waits.
      while (Option.getOrThrow(yield* Durable.get(id)).status !== "suspended") yield* Effect.sleep("20 millis")
      const missing = yield* post("/runs/r1/fork", { version: 99 })
      assert.strictEqual(missing.status, 404)
      const interrupt = yield* post("/runs/r1/interrupt", {})
      assert.strictEqual(interrupt.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("r1")).status, "interrupted")
    }).pipe(Effect.provide(layer)))
})
