/**
 * The server: durable runs over HTTP. One `effect/http-api` `HttpApi` (groups `runs`, `answers`, `events`) over the
 * program's `Checkpointer`, the run viewer's page at `/`, the OpenAPI document at `/openapi.json` and a docs page at
 * `/docs`. It listens on 127.0.0.1 by default and wants its token on every API request.
 *
 * @since 0.4.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiSwagger from "effect/http-api/HttpApiSwagger"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Layer from "effect/Layer"
import type * as PlatformError from "effect/PlatformError"
import * as Schema from "effect/Schema"
import { randomBytes } from "node:crypto"
import type { Checkpointer } from "../Checkpointer.ts"
import * as Durable from "../Durable.ts"
import * as Flow from "../Flow.ts"
import { CurrentRunObserver } from "../internal/durable/observer.ts"
import type { Json } from "../internal/json.ts"
import type * as Node from "../Node.ts"
import * as api from "./internal/api.ts"
import * as handlers from "./internal/handlers.ts"
import { heldUntilServed } from "./internal/held.ts"
import { refusal } from "./internal/host.ts"
import { cookieName, guard, loadAssets, sameToken } from "./internal/http.ts"
import { Hub } from "./internal/hub.ts"
import { Live } from "./internal/live.ts"

/**
 * Where and how the server listens, and what it hosts.
 *
 * @example
 * ```ts
 * import type { Server } from "effect-pocketflow/server"
 *
 * const options: Server.Options<never> = { port: 4777 }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Options<R = never> {
  /**
   * The flows whose runs the server starts (`POST /runs`) and its worker continues, each `Durable.register(flow, {
   * stores })`; `R` is what their nodes need (none: a read-and-answer server, as `view` is).
   */
  readonly flows?: ReadonlyArray<Durable.Registered<R>> | undefined
  /** The port (default 0: any free port; the URL printed at start-up says which). */
  readonly port?: number | undefined
  /**
   * The address to bind (default 127.0.0.1). Only loopback (`127.0.0.0/8`, `::1`, `localhost`) is accepted unless
   * `allowRemote` is set: any other address, and the empty string (every interface), fails with {@link HostRefused}.
   */
  readonly host?: string | undefined
  /** Listen on a `host` that is not loopback (default false): anyone who can reach it may then try the token. */
  readonly allowRemote?: boolean | undefined
  /** The access token (default: 32 random bytes, new at every start). */
  readonly token?: string | undefined
  /** Print the URL (with the token) at start-up (default true). */
  readonly announce?: boolean | undefined
  /** The largest request body read, in bytes (default 1 MiB): a larger one is a 413. */
  readonly maxBodyBytes?: number | undefined
  /** Events kept per run for clients that re-attach (default 2048): older ones become an `EventsGap`. */
  readonly eventBuffer?: number | undefined
  /** How often an event stream looks at a run nobody walks in this process, to end when it ended (default 1s). */
  readonly poll?: Duration.Input | undefined
  /**
   * The worker the server runs in its own process for the hosted `flows` (`Durable.worker`): it starts the runs queued
   * through `POST /runs` and continues them after an answer. Its `concurrency`, `poll` and `lease` are the worker's
   * (defaults 10, 1 second, 30 seconds); none runs when no flows are hosted.
   */
  readonly worker?: {
    readonly concurrency?: number | undefined
    readonly poll?: Duration.Input | undefined
    readonly lease?: Duration.Input | undefined
    readonly name?: string | undefined
  } | undefined
}

/**
 * The running server: its address, its token, and the URL (carrying the token) to open in a browser.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Server } from "effect-pocketflow/server"
 *
 * const printUrl = Effect.flatMap(Effect.service(Server.Server), (server) => Console.log(server.url))
 * ```
 * @category services
 * @stability experimental
 * @since 0.4.0
 */
export class Server extends Context.Service<Server, {
  /** `http://127.0.0.1:<port>/?token=<token>`: opening it gives the browser its cookie. */
  readonly url: string
  /** `http://127.0.0.1:<port>`: what `Client.make` takes as `baseUrl`. */
  readonly baseUrl: string
  readonly host: string
  readonly port: number
  readonly token: string
  /** @internal The event log the event streams read, and the observer that feeds it. */
  readonly hub: Hub
  /** @internal Runs a program drives in-process (`Viewer.run`) and how to continue them. */
  readonly live: Live
  /** @internal Runs an effect in the background for as long as the server is up. */
  readonly background: (effect: Effect.Effect<void>) => Effect.Effect<void>
}>()("effect-pocketflow/server/Server") {}

/**
 * The server (or the viewer) was asked to listen on an address that is not loopback — another machine's interface,
 * or the empty string, which means every interface — without `allowRemote: true`. The message says how to allow it
 * on purpose.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Server } from "effect-pocketflow/server"
 *
 * const program = Layer.launch(Server.layer({ host: process.env.HOST })).pipe(
 *   Effect.provide(Checkpointer.layerMemory),
 *   Effect.catchTag("HostRefused", (error) => Effect.logError(error.message))
 * )
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export class HostRefused extends Data.TaggedError("HostRefused")<{
  /** The address refused, as given. */
  readonly host: string
  readonly message: string
}> {}

/** What the server's layer is built with besides the public options (the viewer's wording). */
interface Internal {
  readonly label?: string | undefined
  readonly allow?: string | undefined
  readonly who?: string | undefined
}

const start = Effect.fnUntraced(function*(options: Options<unknown> & Internal) {
  const server = yield* HttpServer.HttpServer
  const scope = yield* Effect.scope
  const host = options.host ?? "127.0.0.1"
  const port = (server.address as { readonly port?: number }).port ?? 0
  const token = options.token ?? randomBytes(32).toString("base64url")
  const hub = new Hub(yield* Clock.currentTimeMillis, options.eventBuffer ?? 2048, 256)
  const live = new Live()
  const assets = yield* loadAssets
  const flows = new Map<string, handlers.Hosted>()
  const registered = options.flows ?? []
  for (const hosted of registered) {
    const name = hosted.name
    if (flows.has(name)) {
      return yield* Effect.die(new Error(`Server.layer: two hosted flows are named ${JSON.stringify(name)}`))
    }
    flows.set(name, {
      name,
      diagram: Flow.toMermaid(hosted.hosted.flow as Node.Any),
      stores: hosted.stores,
      storeSchemas: hosted.stores.map((store) => ({
        key: store.key,
        schema: Schema.toJsonSchemaDocument(store.schema) as unknown as Json
      })),
      start: (id, stores) => Effect.asVoid(Durable.start(hosted.hosted.flow as Node.Any, { id, stores }))
    })
  }
  const { Authorization, api: theApi } = api.make(cookieName(port))
  const cookie = cookieName(port)
  /**
   * The token, from either scheme. HttpApi tries the bearer header, then the cookie, and reports the last refusal: so
   * both look at the whole request, and a wrong token in either is "wrong token", not "no token".
   */
  const check = Effect.fnUntraced(function*(effect: Effect.Effect<void, unknown, unknown>) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const bearer = /^Bearer (.*)$/i.exec(request.headers["authorization"] ?? "")?.[1]
    const given = [bearer, request.cookies[cookie]].filter((t): t is string => t !== undefined && t !== "")
    if (given.some((t) => sameToken(t, token))) return yield* effect
    return yield* new api.Unauthorized(
      given.length === 0
        ? {
          error: "no token: send Authorization: Bearer <token> (the token printed at start-up), or open the URL it " +
            "printed to get the cookie",
          kind: "NoToken"
        }
        : { error: "wrong token", kind: "WrongToken" }
    )
  })
  const authorization = Layer.succeed(Authorization, {
    bearer: (effect) => check(effect) as typeof effect,
    cookie: (effect) => check(effect) as typeof effect
  })
  const env: handlers.Env = {
    hub,
    live,
    flows,
    poll: options.poll ?? "1 second",
    random: () => randomBytes(3).toString("hex")
  }
  const app = yield* HttpRouter.toHttpEffect(
    Layer.mergeAll(
      HttpApiBuilder.layer(theApi, { openapiPath: "/openapi.json" }),
      HttpApiSwagger.layer(theApi, { path: "/docs" })
    ).pipe(
      Layer.provide(handlers.layers(theApi, env)),
      Layer.provide(Layer.merge(authorization, handlers.requestErrors))
    )
  )
  if (registered.length > 0) {
    // The worker walks the hosted runs here, under the hub's observer: their events reach the event streams as they
    // happen. Forked in the server's scope, it shuts down (releasing its leases) with the server.
    yield* Effect.forkIn(
      Durable.worker({ ...options.worker, flows: registered }).pipe(
        Effect.provideService(CurrentRunObserver, hub.observer)
      ),
      scope
    )
  }
  yield* server.serve(guard({ host, port, token, assets, maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024 }, app))
  // Open event streams end first, so the server's graceful shutdown does not wait for them.
  yield* Effect.addFinalizer(() => Effect.sync(() => hub.close()))
  const shown = host.includes(":") ? `[${host}]` : host
  const baseUrl = `http://${shown}:${port}`
  const url = `${baseUrl}/?token=${token}`
  if (options.announce !== false) yield* Console.log(`${options.label ?? "effect-pocketflow server"}: ${url}`)
  return Server.of({
    url,
    baseUrl,
    host,
    port,
    token,
    hub,
    live,
    background: (effect) => Effect.asVoid(Effect.forkIn(effect, scope))
  })
})

/**
 * Serves the API (and the page) for as long as the layer lives, over the `Checkpointer` the program uses, and prints
 * its URL. Runs of the flows it hosts are started through `POST /runs`; every run walked in this process streams its
 * events at `GET /runs/:id/events`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Server } from "effect-pocketflow/server"
 *
 * const layer = Server.layer({ port: 4777 }).pipe(Layer.provideMerge(Checkpointer.layerMemory))
 * const program = Effect.never.pipe(Effect.provide(layer))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layer = <R = never>(
  options?: Options<R>
): Layer.Layer<Server, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer | R> =>
  layerWith(options ?? {})

/**
 * @internal The server's layer with the viewer's wording (`Viewer.layer` is built on it).
 *
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layerWith = <R>(
  options: Options<R> & Internal
): Layer.Layer<Server, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer | R> => {
  const host = options.host ?? "127.0.0.1"
  // Checked before the server layer is built: a refused address is never bound, not even for a moment.
  const refused = refusal(
    host,
    options.allowRemote === true,
    options.allow ?? "pass allowRemote: true to Server.layer",
    options.who ?? "The server"
  )
  if (refused !== undefined) return Layer.effect(Server, Effect.fail(new HostRefused({ host, message: refused })))
  // The hosted flows' requirements (R) are the worker's: `start` sees them erased.
  return Layer.effect(Server, start(options as Options<unknown> & Internal)).pipe(
    Layer.provide(NodeHttpServer.layer(heldUntilServed, { port: options.port ?? 0, host }))
  ) as Layer.Layer<Server, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer | R>
}

/**
 * Serves until interrupted (`Layer.launch` of {@link layer}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Server } from "effect-pocketflow/server"
 *
 * const program = Server.serve({ port: 4777 }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category running
 * @stability experimental
 * @since 0.4.0
 */
export const serve = <R = never>(
  options?: Options<R>
): Effect.Effect<never, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer | R> =>
  Layer.launch(layer(options))
