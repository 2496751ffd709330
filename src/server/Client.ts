/**
 * The server's typed client, derived from the same `HttpApi` as the server (`effect/http-api`'s `HttpApiClient`):
 * `client.runs.get({ params: { id } })`, `client.answers.answer({ payload })`, …, and `client.events(id)`, a run's
 * events as a `Stream<FlowEvent>` that re-attaches by itself after a dropped connection.
 *
 * @since 0.4.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpApiClient from "effect/http-api/HttpApiClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Stream from "effect/Stream"
import type * as FlowEvent from "../FlowEvent.ts"
import { isEnded } from "../internal/checkpointer/service.ts"
import * as api from "./internal/api.ts"
import * as wire from "./internal/wire.ts"

/**
 * The client: the API's groups (`runs`, `answers`) as typed methods, and `events`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Client } from "effect-pocketflow/server"
 *
 * const waiting = (client: Client.Client) =>
 *   Effect.map(client.runs.list({ query: { status: "suspended" } }), (page) => page.runs.map((r) => r.id))
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Client {
  /** `start`, `list`, `get`, `history`, `diagram`, `interrupt`, `fork`, `delete`. */
  readonly runs: HttpApiClient.ForApi<api.Api>["runs"]
  /** `list`: the flows the server hosts, with their diagrams and the stores a run starts with. */
  readonly flows: HttpApiClient.ForApi<api.Api>["flows"]
  /** `answer`, by `{ token, value }` or `{ id, input, key?, value }`. */
  readonly answers: HttpApiClient.ForApi<api.Api>["answers"]
  /**
   * The run's events, from where the server's log starts (or after `lastEventId`), live, until the run ends. A
   * dropped connection is re-attached with `Last-Event-ID`, so no event is lost or repeated (an `EventsGap` says so
   * when the server no longer holds some); a stream the server ends before the run ended (it restarted) is
   * re-attached too. Fails with `NotFound` for an unknown run, `Unauthorized` for a bad token, or the transport's
   * error once `maxAttempts` connections in a row failed.
   */
  readonly events: (id: string, options?: EventsOptions) => Stream.Stream<
    FlowEvent.FlowEvent,
    | api.NotFound
    | api.BadRequest
    | api.Unauthorized
    | HttpClientError.HttpClientError
    | import("effect/encoding/Sse").SseError
    | import("effect/Schema").SchemaError
  >
}

/**
 * How `client.events` attaches and re-attaches.
 *
 * @example
 * ```ts
 * import type { Client } from "effect-pocketflow/server"
 *
 * const options: Client.EventsOptions = { lastEventId: "1733300000000042", retryDelay: "200 millis" }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface EventsOptions {
  /** Start after this event (the `id` of the last one a previous subscriber had). */
  readonly lastEventId?: string | undefined
  /** The first wait before re-attaching (default 100 millis), doubled after each failure up to `maxDelay`. */
  readonly retryDelay?: Duration.Input | undefined
  /** The longest wait between two attempts (default 5 seconds). */
  readonly maxDelay?: Duration.Input | undefined
  /** Connections that may fail in a row before the stream fails (default: no limit). */
  readonly maxAttempts?: number | undefined
}

/**
 * Makes a client of the server at `baseUrl` (`http://127.0.0.1:4777`), sending `token` as a bearer token. It uses
 * the program's `HttpClient` (`FetchHttpClient.layer` from `effect/http`, or `@effect/platform-node`'s).
 *
 * @example
 * ```ts
 * import { Console, Effect, Stream } from "effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import { FlowEvent } from "effect-pocketflow"
 * import { Client } from "effect-pocketflow/server"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* Client.make({ baseUrl: "http://127.0.0.1:4777", token: "…" })
 *   yield* client.events("essay-42").pipe(Stream.runForEach((e) => Console.log(FlowEvent.format(e))))
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const make = (options: {
  readonly baseUrl: string | URL
  readonly token: string
}): Effect.Effect<Client, never, HttpClient.HttpClient> =>
  Effect.map(
    HttpApiClient.make(api.make("pocketflow_token").api, {
      baseUrl: options.baseUrl,
      transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(options.token))
    }),
    (generated): Client => ({
      runs: generated.runs,
      flows: generated.flows,
      answers: generated.answers,
      events: (id, eventsOptions) => events(generated, id, eventsOptions)
    })
  )

type Generated = HttpApiClient.ForApi<api.Api>

const events = (generated: Generated, id: string, options: EventsOptions | undefined) =>
  Stream.suspend(() => {
    let last = options?.lastEventId
    let failures = 0
    const first = Duration.toMillis(options?.retryDelay ?? "100 millis")
    const max = Duration.toMillis(options?.maxDelay ?? "5 seconds")
    const maxAttempts = options?.maxAttempts ?? Infinity
    /** After a failed connection: wait, or give up (with the failure) after `maxAttempts` in a row. */
    const backoff = <E>(error: E) => {
      failures++
      if (failures >= maxAttempts) return Effect.fail(error)
      return Effect.sleep(Math.min(max, first * 2 ** (failures - 1)))
    }
    // Made at each attach: it sends the id of the last event received so far.
    const attach = () =>
      Stream.unwrap(
        Effect.suspend(() => generated.events.events({ params: { id }, headers: { "last-event-id": last } }))
      ).pipe(
        Stream.map((event): FlowEvent.FlowEvent | undefined => {
          failures = 0
          if (event.id !== undefined) last = event.id
          try {
            return wire.decode(JSON.parse(event.data))
          } catch {
            return undefined
          }
        }),
        Stream.filter((event): event is FlowEvent.FlowEvent => event !== undefined)
      )
    /** Whether to attach again: a dropped connection (after its wait), or a stream ended before the run did. */
    const again = (dropped: HttpClientError.HttpClientError | undefined): Effect.Effect<
      boolean,
      api.NotFound | api.BadRequest | api.Unauthorized | HttpClientError.HttpClientError
    > =>
      dropped !== undefined
        ? Effect.as(backoff(dropped), true)
        : generated.runs.get({ params: { id } }).pipe(
          Effect.map((run) => !isEnded(run.status)),
          // Deleted meanwhile: its stream is over.
          Effect.catchTag("NotFound", () => Effect.succeed(false)),
          Effect.catchTag("HttpClientError", (error) => Effect.as(backoff(error), true)),
          Effect.catchTag("SchemaError", () => Effect.succeed(false))
        )
    const loop: Stream.Stream<FlowEvent.FlowEvent, any> = Stream.suspend(() => {
      let dropped: HttpClientError.HttpClientError | undefined
      return Stream.concat(
        attach().pipe(
          Stream.catchTag("HttpClientError", (error) => {
            dropped = error
            return Stream.empty
          })
        ),
        Stream.unwrap(Effect.map(Effect.suspend(() => again(dropped)), (more) => more ? loop : Stream.empty))
      )
    })
    return loop
  })
