/**
 * A fake OpenAI-compatible server on 127.0.0.1 (an ephemeral port) for the provider tests. It replays the
 * replies it was given, one per request in order (the last one repeats), and records every request it
 * received so tests can check what the provider sent.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** How the server answers one request. */
export type Reply =
  /** A whole body with a status (200 unless given) and extra headers. */
  | {
    readonly _tag: "Body"
    readonly status?: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body: string
  }
  /**
   * A server-sent event stream: each chunk is written (and flushed) in order; then the response ends
   * normally (`end`), the socket is torn down (`destroy`), or nothing more happens (`hang`).
   */
  | { readonly _tag: "Stream"; readonly chunks: ReadonlyArray<string>; readonly then: "end" | "destroy" | "hang" }
  /** Never answers. */
  | { readonly _tag: "Hang" }

/** One request the server received. */
export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: any
}

/** A JSON body reply. */
export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({
  _tag: "Body",
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body)
})

/** The SSE lines for a list of chunk objects, followed by `data: [DONE]`. */
export const sse = (chunks: ReadonlyArray<unknown>, done = true): Array<string> => [
  ...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`),
  ...(done ? ["data: [DONE]\n\n"] : [])
]

/** The running fake: its base URL (ending in `/v1`), what it received, and a way to wait for the n-th request. */
export interface FakeServer {
  readonly baseUrl: string
  readonly received: ReadonlyArray<Received>
  readonly waitForRequests: (n: number) => Effect.Effect<void>
}

/**
 * Listens on an ephemeral port of 127.0.0.1 for the enclosing scope and succeeds with the port; when the scope ends the
 * server closes, dropping open connections.
 */
export const listening = (server: http.Server) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.callback<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    ),
    () => (server.address() as AddressInfo).port
  )

/** Starts the fake for the enclosing scope; it closes (dropping open connections) when the scope ends. */
export const fakeServer = (replies: ReadonlyArray<Reply>) =>
  Effect.gen(function*() {
    const received: Array<Received> = []
    const arrivals: Array<Deferred.Deferred<void>> = []
    const arrival = (n: number) => {
      while (arrivals.length < n) arrivals.push(Deferred.makeUnsafe<void>())
      return arrivals[n - 1]!
    }
    const server = http.createServer((req, res) => {
      let raw = ""
      req.setEncoding("utf8")
      req.on("data", (chunk: string) => (raw += chunk))
      req.on("end", () => {
        received.push({
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: raw.length > 0 ? JSON.parse(raw) : undefined
        })
        Deferred.doneUnsafe(arrival(received.length), Effect.void)
        const reply = replies[Math.min(received.length, replies.length) - 1]!
        switch (reply._tag) {
          case "Body": {
            res.writeHead(reply.status ?? 200, reply.headers ?? {})
            res.end(reply.body)
            return
          }
          case "Stream": {
            res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
            res.flushHeaders()
            for (const chunk of reply.chunks) res.write(chunk)
            if (reply.then === "end") res.end()
            else if (reply.then === "destroy") setTimeout(() => res.destroy(), 20)
            return
          }
          case "Hang":
            return
        }
      })
    })
    const port = yield* listening(server)
    const fake: FakeServer = {
      baseUrl: `http://127.0.0.1:${port}/v1`,
      received,
      waitForRequests: (n) => Deferred.await(arrival(n))
    }
    return fake
  })

/** The HTTP client the provider uses in tests: fetch, talking to the loopback fake only. */
export const httpClient: Layer.Layer<import("effect/http/HttpClient").HttpClient> = FetchHttpClient.layer
