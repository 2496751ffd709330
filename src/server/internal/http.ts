/**
 * What every request meets before and after the API: the checks in front of it, the page's files, and the shape of
 * every error.
 *
 * Checked on every request, in this order, before anything else:
 * - the `Host` header must name this server (127.0.0.1, localhost or [::1] with its port, or the host it was bound
 *   to): a page on another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name — 403;
 * - an `Origin` header, when present, must be this server's: other pages cannot act through the browser — 403;
 * - `/?token=…` trades the start-up token for an HttpOnly SameSite=Strict cookie (303 to `/`), a wrong one is a 401;
 * - the page's files (`/`, `/app.js`, …), `/openapi.json` and `/docs` need no token;
 * - a path whose percent-escapes do not decode is a 400; a state-changing request that says it is not JSON (a form
 *   post) is a 415; a body over the limit is a 413, announced or chunked;
 * - everything else goes to the API, which wants the token (bearer header or cookie) — 401 without it.
 * A client's mistake is a 4xx with a JSON body `{ _tag, error }` (a readable message), never a 500; a 500 is only the
 * server's own failure (its checkpointer failing), with the first line of the cause. Every response forbids loading
 * anything from elsewhere and framing.
 */
import * as ByteSize from "effect/ByteSize"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as HttpApiError from "effect/http-api/HttpApiError"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as SchemaIssue from "effect/SchemaIssue"
import type * as Scope from "effect/Scope"
import { timingSafeEqual } from "node:crypto"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

/** The page's files, loaded once at start-up, by path. */
export interface Assets {
  readonly [path: string]: { readonly body: Uint8Array; readonly contentType: string }
}

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8"
}

/**
 * The page's files: `viewer/assets/` of this package (src/viewer/assets, or dist/viewer/assets in the built package),
 * and Mermaid's browser bundle: copied there by the build, or from the `mermaid` package in development.
 */
export const loadAssets = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = fileURLToPath(new URL("../../viewer/assets/", import.meta.url))
  const assets: Record<string, Assets[string]> = {}
  for (const name of ["index.html", "app.js", "app.css"]) {
    const contentType = contentTypes[name.slice(name.lastIndexOf("."))]!
    assets[`/${name}`] = { body: yield* fs.readFile(dir + name), contentType }
  }
  const vendored = dir + "mermaid.min.js"
  const mermaid = (yield* fs.exists(vendored))
    ? vendored
    : yield* Effect.try(() => createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js")).pipe(
      Effect.orElseSucceed(() => undefined)
    )
  if (mermaid !== undefined) {
    assets["/mermaid.min.js"] = { body: yield* fs.readFile(mermaid), contentType: contentTypes[".js"]! }
  }
  return assets
})

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]

/** The cookie's name carries the port: cookies are shared between the ports of one host. */
export const cookieName = (port: number) => `pocketflow_viewer_${port}`

const csp = (scripts: string) =>
  `default-src 'self'; script-src ${scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; ` +
  "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const securityHeaders = {
  "content-security-policy": csp("'self'"),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store"
}

/** The docs page is HttpApi's Swagger UI, whose script is inline in the page: allowed there, and only there. */
const docsHeaders = { ...securityHeaders, "content-security-policy": csp("'self' 'unsafe-inline'") }

const json = (status: number, body: unknown) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json; charset=utf-8" })

const tags: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  500: "InternalServerError",
  503: "ServiceUnavailable"
}

/** A client error (or the server's own) as the API writes them: `{ _tag, error }`. */
export const refuse = (status: number, error: string) => json(status, { _tag: tags[status] ?? "Error", error })

/** Whether `given` is the server's token, compared in constant time (no timing hint of how much matched). */
export const sameToken = (given: string | undefined, token: string): boolean => {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The first path segment whose percent-escapes do not decode (to UTF-8), if any. */
const badSegment = (pathname: string): string | undefined => {
  for (const segment of pathname.split("/")) {
    if (!segment.includes("%")) continue
    try {
      decodeURIComponent(segment)
    } catch {
      return segment
    }
  }
  return undefined
}

const formatIssue = (issue: SchemaIssue.Issue) => SchemaIssue.makeFormatterDefault()(issue)

/** A readable message for an API's decode failure, by what failed to decode. */
const schemaErrorResponse = (error: HttpApiError.HttpApiSchemaError) => {
  const detail = formatIssue(error.cause.issue)
  switch (error.kind) {
    case "Payload":
      return detail.includes("Expected a valid JSON body")
        ? refuse(400, "the request body is not valid JSON")
        : refuse(400, `the request body does not have the expected shape: ${detail}`)
    case "Params":
      return refuse(400, `bad path parameter: ${detail}`)
    case "Query":
      return refuse(400, `bad query parameter: ${detail}`)
    case "Headers":
      return refuse(400, `bad header: ${detail}`)
    default:
      // The server's response did not encode: its own failure.
      return refuse(500, `the server could not encode its response: ${detail}`)
  }
}

/** The response for a request that failed: client mistakes as 4xx, the rest as 500 with the cause's first line. */
const failureResponse = (
  cause: Cause.Cause<unknown>,
  maxBodyBytes: number
): HttpServerResponse.HttpServerResponse | undefined => {
  for (const reason of cause.reasons) {
    const error = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
    if (error === undefined) continue
    if (HttpServerResponse.isHttpServerResponse(error)) return error
    if (HttpApiError.HttpApiSchemaError.is(error)) return schemaErrorResponse(error)
    if (HttpServerError.isHttpServerError(error)) {
      const r = error.reason
      if (r._tag === "RouteNotFound") return refuse(404, "no such endpoint")
      if (r._tag === "RequestParseError") {
        return r.reason === "BodyTooLarge"
          ? refuse(413, `the request body is larger than ${describeBytes(maxBodyBytes)}`)
          : refuse(400, `the request body could not be read: ${r.description ?? "malformed"}`)
      }
    }
  }
  // Only interruptions: the client went away (or the server is stopping); the server answers as it does.
  if (cause.reasons.every((r) => r._tag === "Interrupt")) return undefined
  return refuse(500, Cause.pretty(cause).split("\n")[0] ?? "internal error")
}

const describeBytes = (n: number) =>
  n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`

export interface GuardOptions {
  readonly host: string
  readonly port: number
  readonly token: string
  readonly assets: Assets
  readonly maxBodyBytes: number
}

/** The server's HTTP app: the checks, the page's files, then `api`; every error as JSON, every response's headers. */
export const guard = <E, R>(
  options: GuardOptions,
  api: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
> => {
  const { port, token } = options
  const hostNames = LOOPBACK.includes(options.host) || options.host === "::1"
    ? LOOPBACK
    : [options.host.includes(":") ? `[${options.host}]` : options.host]
  const hosts = new Set(hostNames.map((h) => `${h}:${port}`))
  const origins = new Set(Array.from(hosts, (h) => `http://${h}`))
  const cookie = cookieName(port)
  const limited = Effect.provideService(api, HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxBodyBytes))

  const route = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function*() {
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
        if (asset !== undefined) return HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType })
      }
      const bad = badSegment(url.pathname)
      if (bad !== undefined) {
        return refuse(
          400,
          `the path segment ${JSON.stringify(bad)} has a malformed percent-escape (it must encode UTF-8)`
        )
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        const contentType = request.headers["content-type"]
        if (contentType !== undefined && !contentType.toLowerCase().startsWith("application/json")) {
          return refuse(415, "state-changing requests must send application/json")
        }
      }
      return yield* limited
    }).pipe(
      Effect.catchCause((cause) => {
        const response = failureResponse(cause, options.maxBodyBytes)
        // Only interruptions (the client went away, the server stops): nobody reads an answer.
        return response === undefined ? Effect.failCause(cause) : Effect.succeed(response)
      }),
      Effect.map((response) => {
        const shaped = response.status >= 400 && response.body._tag === "Empty"
          ? refuse(response.status, `${response.status} ${tags[response.status] ?? "error"}`)
          : response
        return HttpServerResponse.setHeaders(shaped, request.url.startsWith("/docs") ? docsHeaders : securityHeaders)
      })
    )
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, route) as any
}

/** Whether a request carries the token (bearer header or the page's cookie): for routes outside the API. */
export const authorized = (request: HttpServerRequest.HttpServerRequest, port: number, token: string): boolean => {
  const bearer = /^Bearer (.+)$/i.exec(request.headers["authorization"] ?? "")?.[1]
  return sameToken(request.cookies[cookieName(port)] ?? bearer, token)
}
