/**
 * The viewer's HTTP application: the page's static files, and a small JSON API over the checkpointer (runs, one run,
 * answer, fork, interrupt).
 *
 * Security, checked on every request before anything else:
 * - the `Host` header must name this server (127.0.0.1, localhost or [::1] with its port, or the host it was bound
 *   to): a page on another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name;
 * - an `Origin` header, when present, must be this server's: other pages cannot read or act through the browser;
 * - the API answers only a client holding the start-up token: as the HttpOnly SameSite=Strict cookie the page gets
 *   by opening the printed URL (`/?token=…`), or as `Authorization: Bearer …` for scripts;
 * - a state-changing request must carry JSON (`content-type: application/json`), which a cross-site form cannot.
 * The page loads nothing from elsewhere (Content-Security-Policy `default-src 'self'`), and the server calls nobody.
 */
import * as ByteSize from "effect/ByteSize"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { timingSafeEqual } from "node:crypto"
import type * as Checkpointer from "../../Checkpointer.ts"
import { Checkpointer as CheckpointerService } from "../../Checkpointer.ts"
import * as Durable from "../../Durable.ts"
import { parseToken } from "../../internal/durable/ask.ts"
import { details } from "../../internal/durable/details.ts"
import { highlight, nodeAt } from "./diagram.ts"
import type { Live } from "./live.ts"

/** Where a standalone viewer finds a run's diagram: an item record the program wrote with `Viewer.record`. */
export const DIAGRAM_SCOPE = "effect-pocketflow/viewer/diagram"

/** The page's files, loaded once at start-up. */
export interface Assets {
  readonly [path: string]: { readonly body: Uint8Array; readonly contentType: string }
}

export interface Options {
  readonly token: string
  readonly port: number
  readonly host: string
  readonly cp: Checkpointer.Service
  readonly live: Live
  readonly assets: Assets
  /** Makes the id of a fork (`<id>.fork-v<version>-<random>`): randomness comes from the caller. */
  readonly forkId: (from: string, version: number) => string
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]

/** The cookie's name carries the port: cookies are shared between ports of one host. */
export const cookieName = (port: number) => `pocketflow_viewer_${port}`

const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store"
}

const json = (status: number, body: unknown) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json; charset=utf-8" })

const refuse = (status: number, error: string) => json(status, { error })

/** The largest request body the API reads (an answer, a fork request). */
export const MAX_BODY_BYTES = 1024 * 1024

/** A client's mistake: answered with its status and message, never as a 500. */
class ClientError extends Data.TaggedError("ClientError")<{ readonly status: number; readonly message: string }> {}

/** The request's JSON body, at most {@link MAX_BODY_BYTES} long (the server drains the rest of a longer one). */
const readJson = (request: HttpServerRequest.HttpServerRequest) =>
  request.json.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
    Effect.mapError((error) =>
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? new ClientError({ status: 413, message: "the request body is larger than 1 MiB" })
        : new ClientError({
          status: 400,
          message: `the request body is not valid JSON: ${
            error.cause instanceof Error ? error.cause.message : "unreadable"
          }`
        })
    )
  )

/** Decodes the percent-escapes of one path segment. */
const decodeSegment = (segment: string) =>
  Effect.try({
    try: () => decodeURIComponent(segment),
    catch: () =>
      new ClientError({
        status: 400,
        message: `the path segment ${JSON.stringify(segment)} has a malformed percent-escape (it must encode UTF-8)`
      })
  })

const sameToken = (given: string | undefined, token: string): boolean => {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

const statuses = new Set(["running", "suspended", "done", "failed", "interrupted"])

/** The run as the runs list shows it. */
const summary = (s: Checkpointer.Snapshot, live: Live) => ({
  id: s.id,
  flow: s.flow,
  status: s.status,
  steps: s.steps,
  version: s.version,
  updatedAt: s.updatedAt,
  waiting: s.waiting.length,
  node: nodeAt(s.position),
  live: live.entry(s.id) !== undefined
})

/** The HTTP app: one Effect per request. */
export const make = (
  options: Options
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> => {
  const { cp, live, port, token } = options
  const hostNames = LOOPBACK.includes(options.host) || options.host === "::1"
    ? LOOPBACK
    : [options.host.includes(":") ? `[${options.host}]` : options.host]
  const hosts = new Set(hostNames.map((h) => `${h}:${port}`))
  const origins = new Set(Array.from(hosts, (h) => `http://${h}`))
  const cookie = cookieName(port)
  const withCp = <A, E>(effect: Effect.Effect<A, E, CheckpointerService>) =>
    Effect.provideService(effect, CheckpointerService, cp)

  const api = Effect.fnUntraced(function*(request: HttpServerRequest.HttpServerRequest, url: URL) {
    const parts = yield* Effect.forEach(url.pathname.split("/").slice(3), decodeSegment) // /api/runs/<id>/<action>
    const method = request.method
    if (url.pathname === "/api/runs" && method === "GET") {
      const status = url.searchParams.get("status") ?? undefined
      if (status !== undefined && !statuses.has(status)) return refuse(400, `unknown status ${JSON.stringify(status)}`)
      const page = yield* cp.list({ status: status as Checkpointer.Status | undefined, limit: 200 })
      return json(200, { runs: page.runs.map((s) => summary(s, live)) })
    }
    if (url.pathname === "/api/answer" && method === "POST") {
      const body = (yield* readJson(request)) as { readonly token?: unknown; readonly value?: unknown } | null
      if (typeof body?.token !== "string" || !("value" in body)) return refuse(400, "expected { token, value }")
      const answered = yield* withCp(Durable.answer({ token: body.token, value: body.value })).pipe(
        Effect.map(() => undefined),
        Effect.catchTags({
          SchemaError: (e) => Effect.succeed(json(400, { error: e.message, kind: "decode" })),
          NotWaiting: (e) => Effect.succeed(json(409, { error: e.message, kind: "NotWaiting" })),
          AlreadyAnswered: (e) => Effect.succeed(json(409, { error: e.message, kind: "AlreadyAnswered" }))
        })
      )
      if (answered !== undefined) return answered
      // `answer` accepted the token, so it names a run.
      const id = parseToken(body.token)![0]
      const entry = live.entry(id)
      if (entry !== undefined) yield* entry.continue(id)
      return json(200, { ok: true, id, continued: entry !== undefined })
    }
    if (parts[0] === undefined || parts[0] === "" || url.pathname.split("/")[2] !== "runs") {
      return refuse(404, "no such endpoint")
    }
    const id = parts[0]
    if (parts.length === 1 && method === "GET") {
      const snapshot = yield* cp.load(id)
      if (snapshot === undefined) return refuse(404, `no run ${JSON.stringify(id)}`)
      const entry = live.entry(id)
      const saved = entry === undefined ? (yield* cp.items(id, DIAGRAM_SCOPE)).get(0) : undefined
      const mermaid = entry?.diagram ?? (typeof saved === "string" ? saved : undefined)
      const history = yield* cp.history(id, { limit: 100 })
      return json(200, {
        // What Durable.get returns: the snapshot with answered keys, the lease and batch item counts.
        snapshot: yield* details(cp, snapshot),
        live: entry !== undefined,
        diagram: mermaid === undefined ? null : highlight(mermaid, snapshot),
        history: history.map((s) => ({
          version: s.version,
          status: s.status,
          steps: s.steps,
          node: nodeAt(s.position),
          updatedAt: s.updatedAt
        })),
        events: live.log(id) ?? null
      })
    }
    if (parts.length === 2 && parts[1] === "fork" && method === "POST") {
      const body = (yield* readJson(request)) as { readonly version?: unknown } | null
      const version = body?.version
      if (typeof version !== "number" || !Number.isInteger(version)) return refuse(400, "expected { version }")
      const to = options.forkId(id, version)
      const forked = yield* withCp(Durable.fork({ from: id, version, to })).pipe(
        Effect.map(() => undefined),
        Effect.catchTags({
          RunExists: (e) => Effect.succeed(refuse(409, e.message)),
          CheckpointError: (e) => Effect.succeed(refuse(e.reason === "version not found" ? 404 : 500, e.message))
        })
      )
      if (forked !== undefined) return forked
      const diagram = (yield* cp.items(id, DIAGRAM_SCOPE)).get(0)
      if (diagram !== undefined) yield* cp.putItem(to, DIAGRAM_SCOPE, 0, diagram)
      const entry = live.entry(id)
      if (entry !== undefined) {
        live.register(to, entry)
        yield* entry.continue(to)
      }
      return json(200, { ok: true, id: to, continued: entry !== undefined })
    }
    if (parts.length === 2 && parts[1] === "interrupt" && method === "POST") {
      const failed = yield* withCp(Durable.interrupt(id)).pipe(
        Effect.map(() => undefined),
        Effect.catchTag("RunNotFound", (e) => Effect.succeed(refuse(404, e.message)))
      )
      return failed ?? json(200, { ok: true })
    }
    return refuse(404, "no such endpoint")
  })

  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const host = request.headers["host"]
    if (host === undefined || !hosts.has(host.toLowerCase())) return refuse(403, "forbidden: foreign Host")
    const origin = request.headers["origin"]
    if (origin !== undefined && !origins.has(origin.toLowerCase())) return refuse(403, "forbidden: foreign Origin")
    const url = new URL(request.url, `http://${host}`)

    if (url.pathname === "/" && url.searchParams.has("token")) {
      if (!sameToken(url.searchParams.get("token") ?? undefined, token)) return refuse(401, "wrong token")
      // The token leaves the address bar (and history) at once; the cookie carries it from now on.
      return yield* HttpServerResponse.redirect("/", { status: 303 }).pipe(
        HttpServerResponse.setCookie(cookie, token, { httpOnly: true, sameSite: "strict", path: "/" }),
        Effect.orDie
      )
    }
    if (request.method === "GET" || request.method === "HEAD") {
      const asset = options.assets[url.pathname === "/" ? "/index.html" : url.pathname]
      if (asset !== undefined) {
        return HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType })
      }
    }
    if (!url.pathname.startsWith("/api/")) return refuse(404, "not found")

    const bearer = /^Bearer (.+)$/.exec(request.headers["authorization"] ?? "")?.[1]
    if (!sameToken(request.cookies[cookie] ?? bearer, token)) {
      return refuse(401, "open the URL the viewer printed at start-up (it carries the token)")
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
        return refuse(415, "state-changing requests must send application/json")
      }
    }
    return yield* api(request, url).pipe(
      Effect.catchTag("ClientError", (error) => Effect.succeed(refuse(error.status, error.message)))
    )
  }).pipe(
    Effect.catchCause((cause) => Effect.succeed(refuse(500, Cause.pretty(cause).split("\n")[0] ?? "internal error"))),
    Effect.map(HttpServerResponse.setHeaders(securityHeaders))
  )
}
