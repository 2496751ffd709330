/**
 * effect-pocketflow/server: durable runs over HTTP — the server (`Server`: an `effect/http-api` API with Server-Sent
 * Events, the run viewer's page, OpenAPI) and its typed client (`Client`). The server needs `@effect/platform-node`.
 *
 * @since 0.4.0
 */

/**
 * The server: start, list, read, answer, interrupt, fork and delete durable runs over HTTP, and stream their events.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Server } from "effect-pocketflow/server"
 *
 * const program = Server.serve({ port: 4777 }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as Server from "./server/Server.ts"

/**
 * The server's typed client, derived from the same `HttpApi`: typed calls, and `client.events(id)` as a
 * `Stream<FlowEvent>` that re-attaches by itself after a dropped connection.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import { Client } from "effect-pocketflow/server"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* Client.make({ baseUrl: "http://127.0.0.1:4777", token: "…" })
 *   return yield* client.runs.list({ query: {} })
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as Client from "./server/Client.ts"
