/**
 * One step of a flow: `prep` reads the shared store, `exec` does the (retryable) work, `post` writes
 * back and picks the next action.
 *
 * @since 0.1.0
 */
import type * as AiError from "effect/ai/AiError"
import type * as LanguageModel from "effect/ai/LanguageModel"
import type * as Prompt from "effect/ai/Prompt"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Persistence from "effect/persistence/Persistence"
import type * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import type { NodeTimeout, StructuredOutputFailed } from "./Errors.ts"
import type { Limits } from "./internal/limits.ts"
import * as make_ from "./internal/make.ts"
import * as internal from "./internal/node.ts"
import type { RetryOptions } from "./internal/policy.ts"
import * as structured_ from "./internal/structured.ts"

/**
 * A node: an Effect that runs prep → exec → post and succeeds with the action that picks the next
 * node. `A` is the union of its actions, `E` its errors, `R` its requirements.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const hello = Node.make({ name: "hello", exec: () => Effect.log("hello") })
 * const program = Effect.gen(function*() {
 *   const action = yield* hello // "default"
 * })
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Node<out A extends string, out E = never, out R = never> extends Effect.Effect<A, E, R> {
  readonly [internal.TypeId]: typeof internal.TypeId
  /** Unique within a flow; used in messages, events, spans and diagrams. */
  readonly name: string
  readonly kind: Kind
}

/**
 * `"node"`, `"batch"`, `"flow"`, `"batch-flow"` or `"parallel"` (`Flow.parallel`).
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * const isBatch = (kind: Node.Kind) => kind === "batch" || kind === "batch-flow"
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Kind = internal.Kind

/**
 * Any node, whatever its types.
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * const names = (nodes: ReadonlyArray<Node.Any>) => nodes.map((n) => n.name)
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Any = Node<string, any, any>

/**
 * The action union of a node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const pick = Node.make({ name: "pick", post: () => Node.action(Math.random() > 0.5 ? "left" : "right") })
 * type A = Node.Action<typeof pick> // "left" | "right"
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type Action<N> = N extends Node<infer A, infer _E, infer _R> ? A : never

/**
 * The error union of a node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const fails = Node.make({ name: "fails", exec: () => Effect.fail("boom" as const) })
 * type E = Node.Error<typeof fails> // "boom"
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type Error<N> = N extends Node<infer _A, infer E, infer _R> ? E : never

/**
 * The requirements of a node.
 *
 * @example
 * ```ts
 * import { Node } from "effect-pocketflow"
 *
 * declare const n: Node.Node<"default", never, "Store">
 * type R = Node.Services<typeof n> // "Store"
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type Services<N> = N extends Node<infer _A, infer _E, infer R> ? R : never

/**
 * The actions a `post` result stands for: its string literals, plus `"default"` when it may return
 * nothing.
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * type A = Node.ActionOf<"retry" | void> // "retry" | "default"
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type ActionOf<O> = [O] extends [never] ? never
  : Extract<O, string> | (void extends O ? "default" : undefined extends O ? "default" : never)

/**
 * Checks whether a value is a node (including flows and batch nodes).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * Node.isNode(Node.make({ name: "n", exec: () => Effect.void })) // true
 * Node.isNode(Effect.void) // false
 * ```
 * @category guards
 * @stability stable
 * @since 0.1.0
 */
export const isNode: (u: unknown) => u is Any = internal.isNode as (u: unknown) => u is Any

/**
 * The attempt number of the running `exec`: 1 on the first attempt, 2 on the first retry, …
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const flaky = Node.make({
 *   name: "flaky",
 *   exec: () => Effect.flatMap(Node.CurrentAttempt, (n) => n < 3 ? Effect.fail("not yet") : Effect.succeed(n)),
 *   retry: { times: 5 }
 * })
 * ```
 * @category references
 * @stability stable
 * @since 0.1.0
 */
export const CurrentAttempt: Context.Reference<number> = internal.CurrentAttempt

/**
 * A retry policy for `exec`: a `Schedule` fed with exec's errors, or options in the shape of
 * `Effect.retry`'s. Only typed failures are retried; defects never are.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import type { Node } from "effect-pocketflow"
 *
 * const threeTimes: Node.Retry<string> = { times: 3, schedule: Schedule.spaced("1 second") }
 * const backoff: Node.Retry<string> = Schedule.exponential("100 millis").pipe(Schedule.upTo({ times: 3 }))
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Retry<E> =
  | Schedule.Schedule<unknown, E, never, never>
  | {
    /** At most this many retries (so `times + 1` attempts). */
    readonly times?: number | undefined
    /** Waits between attempts; the default retries at once. */
    readonly schedule?: Schedule.Schedule<unknown, E, never, never> | undefined
    /** Retries only while this holds for the error. */
    readonly while?: ((error: E) => boolean) | undefined
  }

/**
 * The options of `Node.make` that every overload shares.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Node } from "effect-pocketflow"
 *
 * const options: Node.Options<void, string, "done", never, never, never, never, never, never> = {
 *   name: "greet",
 *   exec: () => Effect.succeed("hi"),
 *   post: () => Effect.succeed("done")
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Options<P, X, O extends string | void, E1, R1, E2, R2, E3, R3> {
  /** Unique within a flow. */
  readonly name: string
  /** Reads what exec needs, usually from the shared store. Runs once per node run. */
  readonly prep?: Effect.Effect<P, E1, R1> | undefined
  /** The work. It is what `retry`, `timeout` and `fallback` apply to, so it must be safe to repeat. */
  readonly exec?: ((prep: P) => Effect.Effect<X, E2, R2>) | undefined
  /** Writes results back and returns the next action (nothing means `"default"`). */
  readonly post?: ((prep: P, exec: X) => Effect.Effect<O, E3, R3>) | undefined
  /** Retries exec's typed failures (including `NodeTimeout`). */
  readonly retry?: Retry<E2 | NodeTimeout> | undefined
  /** Fails one attempt of exec with `NodeTimeout` after this long. */
  readonly timeout?: Duration.Input | undefined
  /** The limits each attempt of exec takes a permit of (requires `Limits`). */
  readonly limit?: Limit | undefined
  /** The Schema of exec's result: how `cache` stores it (required with `cache`). */
  readonly resultSchema?: Schema.Codec<X, any, never, never> | undefined
}

/**
 * A node's result cache: exec's result is kept under `key(input)` — `input` is prep's result (a batch item for
 * `Node.batch`) — with the node's name and `version`, for `ttl` (default: as long as the store keeps it), encoded with
 * the node's `resultSchema`, in effect's `Persistence` service (`Persistence.layerMemory`, `layerKvs` over
 * `KeyValueStore.layerFileSystem`, `layerSql`, `layerRedis`, …). A hit skips exec, its retries and limits, and
 * reports `FlowEvent.CacheHit`; only successes are kept (never a fallback's result). Bump `version` when exec
 * changes, so older results are not used. A store that fails is logged, and the node runs as if it had no cache.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const embed = Node.make({
 *   name: "embed",
 *   prep: Effect.succeed("hello world"),
 *   exec: (text) => Effect.succeed(text.length),
 *   resultSchema: Schema.Number,
 *   cache: { key: (text) => text, ttl: "1 day", version: 2 }
 * })
 * // embed: Node<"default", never, Persistence>
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Cache<in P> {
  /** The key of a result: the same key, the same result (keep it short; hash long inputs). */
  readonly key: (input: P) => string
  /** How long a result is kept. */
  readonly ttl?: Duration.Input | undefined
  /** Part of the key: bump it to stop using the results of an older exec. Default 0. */
  readonly version?: number | undefined
}

/**
 * The limits an exec attempt takes a permit of: a name configured in `Limits.layer`, or several. `[]` sets no limit
 * (over a flow's default).
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * const one: Node.Limit = "openai"
 * const both: Node.Limit = ["openai", "embeddings"]
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export type Limit = string | ReadonlyArray<string>

/**
 * effect's `Persistence` when a `cache` of type `C` may be set.
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * type None = Node.CacheServices<undefined> // never
 * type Some = Node.CacheServices<Node.Cache<string>> // Persistence
 * ```
 * @category utility types
 * @stability experimental
 * @since 0.4.0
 */
export type CacheServices<C> = [C] extends [undefined] ? never : Persistence.Persistence

/**
 * The `Limits` service when a `limit` of type `L` may be set.
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * type None = Node.LimitServices<undefined> // never
 * type Some = Node.LimitServices<"openai"> // Limits
 * ```
 * @category utility types
 * @stability experimental
 * @since 0.4.0
 */
export type LimitServices<L> = [L] extends [undefined] ? never : Limits

/**
 * What the overloads with `cache` add to the options: the cache (its key takes `P`, prep's result or a batch item)
 * and the Schema of exec's result `X`, which the cache stores results with.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Node } from "effect-pocketflow"
 *
 * const options: Node.Cached<string, number> = { cache: { key: (text) => text }, resultSchema: Schema.Number }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Cached<P, X> {
  readonly cache: Cache<P>
  readonly resultSchema: Schema.Codec<X, any, never, never>
}

/**
 * What the overloads without `cache` say about it: a `cache` is accepted only with `resultSchema` (the type error
 * names it).
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * const options: Node.Uncached = {}
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Uncached {
  readonly cache?: { readonly "a cache needs resultSchema: the Schema of exec's result": never } | undefined
}

/**
 * `NodeTimeout` when a `timeout` of type `T` may be set: a conditional `timeout: cfg.timeout` (typed
 * `Duration.Input | undefined`) can fail with it at run time, so it stays in the error type.
 *
 * @example
 * ```ts
 * import type { Duration } from "effect"
 * import type { Node } from "effect-pocketflow"
 *
 * type None = Node.TimeoutError<undefined> // never
 * type Maybe = Node.TimeoutError<Duration.Input | undefined> // NodeTimeout
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type TimeoutError<T> = [T] extends [undefined] ? never : NodeTimeout

/**
 * Makes a node. The action union is inferred from `post` (string literals, no `as const`); with no
 * `post`, or a `post` returning nothing, the action is `"default"`. With `cache` (and `resultSchema`) exec's results
 * are kept in effect's `Persistence` (see `Cache`); with `limit` each attempt of exec holds a permit of the named
 * limits (see the `Limits` module). A flow's `defaults` may set `retry`, `timeout`, `cache` and `limit` for the nodes
 * that do not set them.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { question: string; answer?: string }>()("app/Store") {}
 *
 * const answer = Node.make({
 *   name: "answer",
 *   prep: Store.get.pipe(Effect.map((s) => s.question)),
 *   exec: (question) => Effect.succeed(`You asked: ${question}`),
 *   post: (_question, text) => Store.update((s) => ({ ...s, answer: text })).pipe(Node.as("done")),
 *   retry: Schedule.exponential("100 millis").pipe(Schedule.upTo({ times: 3 })),
 *   timeout: "30 seconds",
 *   fallback: () => Effect.succeed("unknown")
 * })
 * // answer: Node<"done", never, Store>
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export function make<
  P = void,
  X = void,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  Ef = never,
  Rf = never,
  L extends Limit | undefined = undefined
>(
  options: Options<P, X, O, E1, R1, E2, R2, E3, R3> & Cached<P, X> & {
    /** Replaces exec's result after its last failed attempt; its errors replace exec's. */
    readonly fallback: (prep: P, error: E2 | NodeTimeout) => Effect.Effect<X, Ef, Rf>
    readonly limit?: L
  }
): Node<ActionOf<O>, E1 | E3 | Ef, R1 | R2 | R3 | Rf | Persistence.Persistence | LimitServices<L>>
export function make<
  P = void,
  X = void,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  T extends Duration.Input | undefined = undefined,
  L extends Limit | undefined = undefined
>(
  options: Options<P, X, O, E1, R1, E2, R2, E3, R3> & Cached<P, X> & { readonly timeout?: T; readonly limit?: L }
): Node<ActionOf<O>, E1 | E2 | TimeoutError<T> | E3, R1 | R2 | R3 | Persistence.Persistence | LimitServices<L>>
export function make<
  P = void,
  X = void,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  Ef = never,
  Rf = never,
  L extends Limit | undefined = undefined
>(
  options: Options<P, X, O, E1, R1, E2, R2, E3, R3> & Uncached & {
    /** Replaces exec's result after its last failed attempt; its errors replace exec's. */
    readonly fallback: (prep: P, error: E2 | NodeTimeout) => Effect.Effect<X, Ef, Rf>
    readonly limit?: L
  }
): Node<ActionOf<O>, E1 | E3 | Ef, R1 | R2 | R3 | Rf | LimitServices<L>>
export function make<
  P = void,
  X = void,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  T extends Duration.Input | undefined = undefined,
  L extends Limit | undefined = undefined
>(
  options: Options<P, X, O, E1, R1, E2, R2, E3, R3> & Uncached & { readonly timeout?: T; readonly limit?: L }
): Node<ActionOf<O>, E1 | E2 | TimeoutError<T> | E3, R1 | R2 | R3 | LimitServices<L>>
export function make(options: {
  readonly name: string
  readonly prep?: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly exec?: ((prep: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly post?: ((prep: unknown, exec: unknown) => Effect.Effect<string | void, unknown, unknown>) | undefined
  readonly retry?: RetryOptions | undefined
  readonly timeout?: Duration.Input | undefined
  readonly fallback?: ((prep: unknown, error: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly cache?: unknown
  readonly limit?: Limit | undefined
  readonly resultSchema?: Schema.Codec<unknown, any, never, never> | undefined
}): Any {
  return make_.step(options) as Any
}

/**
 * The items a batch `prep` may produce: any iterable but a string (iterating a string batches its
 * characters, which is almost always a missing `[ ]`). A string has `charAt`; no collection does.
 *
 * @example
 * ```ts
 * import type { Node } from "effect-pocketflow"
 *
 * const files: Node.Items<string> = ["a.txt", "b.txt"]
 * // const chars: Node.Items<string> = "a.txt" // does not compile
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Items<I> = Iterable<I> & { readonly charAt?: never }

/**
 * The options of `Node.batch` that every overload shares.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Node } from "effect-pocketflow"
 *
 * const options: Node.BatchOptions<number, number, void, never, never, never, never, never, never> = {
 *   name: "double",
 *   prep: Effect.succeed([1, 2, 3]),
 *   exec: (n) => Effect.succeed(n * 2)
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface BatchOptions<I, X, O extends string | void, E1, R1, E2, R2, E3, R3> {
  readonly name: string
  /** Produces the items: an array or any other iterable, but not a string. */
  readonly prep: Effect.Effect<Items<I>, E1, R1>
  /** Runs once per item, with its own retry, timeout and fallback. */
  readonly exec: (item: I) => Effect.Effect<X, E2, R2>
  /** Receives the items and the results, both in item order. */
  readonly post?: ((items: ReadonlyArray<I>, results: ReadonlyArray<X>) => Effect.Effect<O, E3, R3>) | undefined
  /** How many items run at once: `1` (default, sequential), `n`, or `"unbounded"`. */
  readonly concurrency?: number | "unbounded" | undefined
  readonly retry?: Retry<E2 | NodeTimeout> | undefined
  readonly timeout?: Duration.Input | undefined
  /**
   * The Schema of exec's result. A durable run then saves each finished item (one record per item), so a resumed
   * batch runs only the items that had not finished; `cache` stores results with it.
   */
  readonly resultSchema?: Schema.Codec<X, any, never, never> | undefined
  /** The limits each item's exec attempt takes a permit of (requires `Limits`). */
  readonly limit?: Limit | undefined
}

/**
 * Makes a batch node: `exec` is mapped over the items of `prep` with `Effect.forEach`, sequentially or
 * with `concurrency`. An empty batch runs `post` with `[]`; a failing item (after its retries and
 * fallback) interrupts the others and fails the node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const squares = Node.batch({
 *   name: "squares",
 *   prep: Effect.succeed([1, 2, 3]),
 *   exec: (n) => Effect.succeed(n * n),
 *   post: (_items, results) => Effect.log(results), // [1, 4, 9]
 *   concurrency: 2
 * })
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export function batch<
  I,
  X,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  Ef = never,
  Rf = never,
  L extends Limit | undefined = undefined
>(
  options: BatchOptions<I, X, O, E1, R1, E2, R2, E3, R3> & Cached<I, X> & {
    readonly fallback: (item: I, error: E2 | NodeTimeout) => Effect.Effect<X, Ef, Rf>
    readonly limit?: L
  }
): Node<ActionOf<O>, E1 | E3 | Ef, R1 | R2 | R3 | Rf | Persistence.Persistence | LimitServices<L>>
export function batch<
  I,
  X,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  T extends Duration.Input | undefined = undefined,
  L extends Limit | undefined = undefined
>(
  options: BatchOptions<I, X, O, E1, R1, E2, R2, E3, R3> & Cached<I, X> & { readonly timeout?: T; readonly limit?: L }
): Node<ActionOf<O>, E1 | E2 | TimeoutError<T> | E3, R1 | R2 | R3 | Persistence.Persistence | LimitServices<L>>
export function batch<
  I,
  X,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  Ef = never,
  Rf = never,
  L extends Limit | undefined = undefined
>(
  options: BatchOptions<I, X, O, E1, R1, E2, R2, E3, R3> & Uncached & {
    readonly fallback: (item: I, error: E2 | NodeTimeout) => Effect.Effect<X, Ef, Rf>
    readonly limit?: L
  }
): Node<ActionOf<O>, E1 | E3 | Ef, R1 | R2 | R3 | Rf | LimitServices<L>>
export function batch<
  I,
  X,
  O extends string | void = void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  E3 = never,
  R3 = never,
  T extends Duration.Input | undefined = undefined,
  L extends Limit | undefined = undefined
>(
  options: BatchOptions<I, X, O, E1, R1, E2, R2, E3, R3> & Uncached & { readonly timeout?: T; readonly limit?: L }
): Node<ActionOf<O>, E1 | E2 | TimeoutError<T> | E3, R1 | R2 | R3 | LimitServices<L>>
export function batch(options: {
  readonly name: string
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly exec: (item: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post?:
    | ((
      items: ReadonlyArray<unknown>,
      results: ReadonlyArray<unknown>
    ) => Effect.Effect<string | void, unknown, unknown>)
    | undefined
  readonly concurrency?: number | "unbounded" | undefined
  readonly retry?: RetryOptions | undefined
  readonly timeout?: Duration.Input | undefined
  readonly fallback?: ((item: unknown, error: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly resultSchema?: Schema.Codec<unknown, any, never, never> | undefined
  readonly cache?: unknown
  readonly limit?: Limit | undefined
}): Any {
  return make_.batch(options) as Any
}

/**
 * An Effect that succeeds with an action, typed as its string literal. `Effect.succeed("x")` and
 * `Effect.as("x")` widen the literal to `string` (TypeScript's inference for generic calls), which
 * would let any action through `Flow.on`; `Node.action("x")` keeps it (so does `return "x" as const`
 * from `Effect.gen`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const route = Node.make({
 *   name: "route",
 *   post: () => (Math.random() > 0.5 ? Node.action("left") : Node.action("right"))
 * })
 * // route: Node<"left" | "right">
 * ```
 * @category actions
 * @stability stable
 * @since 0.1.0
 */
export const action = <const A extends string>(action: A): Effect.Effect<A> => Effect.succeed(action)

/**
 * Replaces an effect's result with an action, keeping the action's literal type (see `Node.action`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const save = Node.make({
 *   name: "save",
 *   post: () => Effect.log("saved").pipe(Node.as("done"))
 * })
 * // save: Node<"done">
 * ```
 * @category actions
 * @stability stable
 * @since 0.1.0
 */
export const as: {
  <const A extends string>(action: A): <X, E, R>(self: Effect.Effect<X, E, R>) => Effect.Effect<A, E, R>
  <X, E, R, const A extends string>(self: Effect.Effect<X, E, R>, action: A): Effect.Effect<A, E, R>
} = dual(2, <X, E, R, A extends string>(self: Effect.Effect<X, E, R>, action: A) => Effect.as(self, action))

/**
 * Runs a node on its own and returns its action. A node is also an Effect, so `yield* node` does
 * the same.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-pocketflow"
 *
 * const ping = Node.make({ name: "ping", post: () => Node.action("pong") })
 * Effect.runPromise(Node.run(ping)).then(console.log) // "pong"
 * ```
 * @category running
 * @stability stable
 * @since 0.1.0
 */
export const run = <A extends string, E, R>(node: Node<A, E, R>): Effect.Effect<A, E, R> => node

/**
 * Makes a node that asks the model (`LanguageModel.generateObject`) for an object of `schema`: `prompt` is an Effect
 * of the request (like a prep), `post` gets the decoded object. A reply that does not decode goes back to the model
 * with the decode error, up to `repair` re-asks after the first (default 1); then the node fails with
 * `StructuredOutputFailed { node, text, error }` carrying the last reply. Other model failures are retried like an
 * agent's (retry-after on 429, back-off on 5xx and dropped connections, none on other 4xx).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Node, Shared } from "effect-pocketflow"
 *
 * const Contact = Schema.Struct({ name: Schema.String, email: Schema.String })
 * class Store extends Shared.Service<Store, { text: string; contact?: typeof Contact.Type }>()("app/Store") {}
 *
 * const extract = Node.structured({
 *   name: "extract",
 *   schema: Contact,
 *   prompt: Effect.map(Store.get, (s) => `Extract the contact from: ${s.text}`),
 *   repair: 2,
 *   post: (contact) => Store.update((s) => ({ ...s, contact }))
 * })
 * ```
 * @category constructors
 * @stability experimental
 * @since 0.4.0
 */
export const structured = <
  A,
  I extends Record<string, any>,
  RD = never,
  RE = never,
  EP = never,
  RP = never,
  O extends string | void = void,
  E3 = never,
  R3 = never
>(options: {
  /** The node's name. */
  readonly name: string
  /** The object's schema (sent to the model as the response format, then used to decode its reply). */
  readonly schema: Schema.Codec<A, I, RD, RE>
  /** The request: a string or an `effect/ai` prompt. */
  readonly prompt: Effect.Effect<Prompt.RawInput, EP, RP>
  /** Re-asks after a reply that does not decode (default 1). */
  readonly repair?: number | undefined
  /** Writes the object to the stores and picks the action. */
  readonly post?: ((value: A) => Effect.Effect<O, E3, R3>) | undefined
}): Node<
  ActionOf<O>,
  EP | AiError.AiError | StructuredOutputFailed | E3,
  RP | LanguageModel.LanguageModel | RD | RE | R3
> => structured_.make(options as Parameters<typeof structured_.make>[0]) as never
