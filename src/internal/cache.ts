/**
 * Node result caching (`cache: { key, ttl?, version? }`): exec results kept by `effect/persistence`, a `PersistedCache`
 * over the `Persistence` service the program provides (memory, a `KeyValueStore` such as the file system, SQL, Redis).
 * A result is stored under the node's name, the cache's `version` and `key(input)`, encoded with the node's
 * `resultSchema`, for `ttl` (default: until the store drops it). A hit skips exec — its retries, timeouts and limits
 * too — and reports `FlowEvent.CacheHit`. Only successes are stored: a failure (or a fallback's result) never is.
 *
 * The cache never fails a node: a store that cannot be read, or a result that cannot be encoded or written, is logged
 * and the node goes on as if it had no cache.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Hash from "effect/Hash"
import * as Persistable from "effect/persistence/Persistable"
import * as PersistedCache from "effect/persistence/PersistedCache"
import * as Persistence from "effect/persistence/Persistence"
import * as PrimaryKey from "effect/PrimaryKey"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { cacheHit } from "./observation.ts"

/** A checked `cache` option. */
export interface CacheOptions {
  readonly key: (input: any) => string
  readonly ttl: Duration.Duration | undefined
  readonly version: number
}

type Codec = Schema.Codec<any, any, never, never>

/** One lookup: its primary key and schema (what `Persistence` needs), and the exec that computes it on a miss. */
class Entry implements Persistable.Persistable<Codec, typeof Schema.Never> {
  readonly [Persistable.symbol]: { readonly success: Codec; readonly error: typeof Schema.Never }
  /** Set when this lookup ran the exec (a miss), with its result. */
  ran = false
  value: unknown = undefined
  readonly id: string
  readonly ttl: Duration.Duration | undefined
  readonly run: Effect.Effect<unknown, unknown, unknown>
  // Fields assigned here, not as parameter properties: the library's sources also run under Node's type stripping
  // (an example's child process), which refuses TypeScript-only syntax (`erasableSyntaxOnly` in tsconfig.json).
  constructor(
    id: string,
    schema: Codec,
    ttl: Duration.Duration | undefined,
    run: Effect.Effect<unknown, unknown, unknown>
  ) {
    this.id = id
    this.ttl = ttl
    this.run = run
    this[Persistable.symbol] = { success: schema, error: Schema.Never }
  }
  [PrimaryKey.symbol]() {
    return this.id
  }
  // The in-memory cache in front of the store finds entries by their primary key alone.
  [Equal.symbol](that: unknown): boolean {
    return that instanceof Entry && that.id === this.id
  }
  [Hash.symbol](): number {
    return Hash.string(this.id)
  }
}

/** An exec failure, told apart from the cache's own failures on the way out of `PersistedCache.get`. */
class ExecFailed {
  readonly error: unknown
  constructor(error: unknown) {
    this.error = error
  }
}

type Cache = PersistedCache.PersistedCache<Entry, unknown>

const timeToLive = (exit: Exit.Exit<unknown, unknown>, entry: Entry): Duration.Duration =>
  Exit.isSuccess(exit) ? entry.ttl ?? Duration.infinity : Duration.zero

// Typed as never failing (the error schema is `Schema.Never`): failures are never stored (`timeToLive` is zero for
// them), and come back out of `get` to be told apart by `ExecFailed`.
const lookup = (entry: Entry): Effect.Effect<unknown, never, unknown> =>
  Effect.mapError(
    Effect.map(entry.run, (value) => {
      entry.ran = true
      entry.value = value
      return value
    }),
    (error) => new ExecFailed(error)
  ) as Effect.Effect<unknown, never, unknown>

/**
 * The caches, one per `Persistence` service (a program's layer), made on first use and kept while the service lives.
 * Made in a context of their own (the service, the run's clock, a scope that never closes), so that no run's services
 * are captured in them.
 */
const caches = new WeakMap<Persistence.Persistence["Service"], Cache>()
const making = new WeakMap<Persistence.Persistence["Service"], Effect.Effect<Cache>>()

const cacheOf = (persistence: Persistence.Persistence["Service"], clock: Clock.Clock): Effect.Effect<Cache> => {
  let made = making.get(persistence)
  if (made === undefined) {
    const context = Context.make(Persistence.Persistence, persistence).pipe(
      Context.add(Scope.Scope, Scope.makeUnsafe()),
      Context.add(Clock.Clock, clock)
    )
    made = Effect.runSync(
      Effect.cached(
        Effect.tap(
          Effect.provideContext(
            PersistedCache.make(lookup, {
              storeId: "effect-pocketflow-cache",
              timeToLive,
              inMemoryTTL: timeToLive,
              requireServicesAt: "lookup"
            }),
            context
          ),
          (cache) => Effect.sync(() => caches.set(persistence, cache as Cache))
        )
      )
    ) as Effect.Effect<Cache>
    making.set(persistence, made)
  }
  return made
}

/**
 * Runs `exec` (the node's attempts, already wrapped with retry, timeout and limits) through the cache: the stored
 * result for `options.key(input)` when there is one, else exec's result, stored.
 */
export const cached = (
  node: string,
  options: CacheOptions,
  schema: Codec,
  input: unknown,
  exec: Effect.Effect<unknown, unknown, unknown>
): Effect.Effect<unknown, unknown, unknown> =>
  Effect.withFiber((fiber) => {
    const persistence = Context.getOrUndefined(fiber.context, Persistence.Persistence)
    if (persistence === undefined) {
      return Effect.die(
        new Error(
          `node ${JSON.stringify(node)} has a cache: provide effect's Persistence service (Persistence.layerMemory, ` +
            `Persistence.layerKvs, Persistence.layerSql, …) to the program that runs it`
        )
      )
    }
    const key = options.key(input)
    if (typeof key !== "string") {
      return Effect.die(
        new TypeError(`node ${JSON.stringify(node)}: cache.key must return a string; got ${typeof key}`)
      )
    }
    const entry = new Entry(`${node}@${options.version}:${key}`, schema, options.ttl, exec)
    const cache = caches.get(persistence)
    const get = cache === undefined
      ? Effect.flatMap(cacheOf(persistence, fiber.getRef(Clock.Clock)), (c) => c.get(entry))
      : cache.get(entry)
    return Effect.matchEffect(get, {
      onSuccess: (value) => entry.ran ? Effect.succeed(value) : Effect.as(cacheHit(node, key), value),
      onFailure: (error) => {
        if (error instanceof ExecFailed) return Effect.fail(error.error)
        // The cache's own failure: go on without it.
        return Effect.andThen(
          Effect.logWarning(`node ${JSON.stringify(node)}: cache unavailable for key ${JSON.stringify(key)}`, error),
          entry.ran ? Effect.succeed(entry.value) : exec
        )
      }
    })
  })
