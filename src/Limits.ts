/**
 * Rate and concurrency limits shared by everything that runs under one layer. A node, batch or flow's defaults names
 * the limits its exec needs (`limit: "openai"`, or several names); each exec attempt — each retry, each batch item —
 * takes a permit of every one of them while it runs. A limit bounds the attempts in flight (`concurrency`) and the
 * attempts started per window (`rate`). Branches of a parallel block, items of a batch and concurrent runs of any
 * flows share the same permits when they run under the same layer.
 *
 * `Limits.layer` keeps the limits in this process (`effect/persistence`'s `RateLimiter` on its memory store, and a
 * semaphore for the attempts in flight). `Limits.layerStore` keeps them in a `RateLimiterStore` — `RateLimiter`'s
 * Redis store shares them across processes.
 *
 * @since 0.4.0
 */
import type * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import type * as RateLimiter from "effect/persistence/RateLimiter"
import * as internal from "./internal/limits.ts"

/**
 * One limit: at most `concurrency` exec attempts in flight, and at most `rate.limit` started per `rate.window` (an
 * attempt over the rate waits for a later window). Either or both.
 *
 * @example
 * ```ts
 * import type { Limits } from "effect-pocketflow"
 *
 * const openai: Limits.Options = { concurrency: 8, rate: { limit: 500, window: "1 minute" } }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Options {
  /** At most this many exec attempts in flight at once. */
  readonly concurrency?: number | undefined
  /** At most `limit` exec attempts started per `window`. */
  readonly rate?: { readonly limit: number; readonly window: Duration.Input } | undefined
}

/**
 * The limits of a layer, by name: the names nodes give in `limit`.
 *
 * @example
 * ```ts
 * import type { Limits } from "effect-pocketflow"
 *
 * const config: Limits.Config = { openai: { concurrency: 8 }, search: { rate: { limit: 10, window: "1 second" } } }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type Config = Readonly<Record<string, Options>>

/**
 * What the `Limits` service does: `withPermits(names)(effect)` runs `effect` holding a permit of each named limit,
 * taken in name order. An unknown name is a defect naming the limits the layer has.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limits } from "effect-pocketflow"
 *
 * const call = Effect.flatMap(Effect.service(Limits.Limits), (limits) =>
 *   Effect.log("calling the API").pipe(limits.withPermits(["openai"])))
 * ```
 * @category services
 * @stability experimental
 * @since 0.4.0
 */
export type Service = internal.Service

/**
 * The `Limits` service key: what a node with `limit` requires.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limits } from "effect-pocketflow"
 *
 * const program = Effect.gen(function*() {
 *   const limits = yield* Limits.Limits
 *   return yield* Effect.succeed("ok").pipe(limits.withPermits(["openai"]))
 * }).pipe(Effect.provide(Limits.layer({ openai: { concurrency: 2 } })))
 * ```
 * @category services
 * @stability experimental
 * @since 0.4.0
 */
export const Limits = internal.Limits
/**
 * The `Limits` service key's type (see `Limits`): the requirement of a node with `limit`.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import type { Limits } from "effect-pocketflow"
 *
 * declare const program: Effect.Effect<void, never, Limits.Limits>
 * ```
 * @category services
 * @stability experimental
 * @since 0.4.0
 */
export type Limits = internal.Limits

/**
 * The limits of `config`, kept in this process: everything that runs under the layer shares them. The options are
 * checked when the layer is made (a wrong one throws, naming the limit).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Limits } from "effect-pocketflow"
 *
 * const ask = Node.batch({
 *   name: "ask",
 *   prep: Effect.succeed(["a", "b", "c"]),
 *   exec: (q) => Effect.succeed(`answer to ${q}`),
 *   concurrency: 3,
 *   limit: "openai"
 * })
 * const program = Node.run(ask).pipe(
 *   Effect.provide(Limits.layer({ openai: { concurrency: 2, rate: { limit: 500, window: "1 minute" } } }))
 * )
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layer: (config: Config) => Layer.Layer<Limits> = internal.layer

/**
 * The limits of `config`, kept in a `RateLimiterStore`: with `RateLimiter.layerStoreRedis()` every process on the
 * same Redis shares them. A permit held by a process that died comes back after ten minutes.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { RateLimiter } from "effect/persistence"
 * import { NodeRedis } from "@effect/platform-node"
 * import { Limits } from "effect-pocketflow"
 *
 * const shared = Limits.layerStore({ openai: { concurrency: 8 } }).pipe(
 *   Layer.provide(RateLimiter.layerStoreRedis()),
 *   Layer.provide(NodeRedis.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const layerStore: (config: Config) => Layer.Layer<Limits, never, RateLimiter.RateLimiterStore> =
  internal.layerStore
