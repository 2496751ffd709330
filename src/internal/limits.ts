/**
 * Shared limits on exec attempts (`limit: "openai"` on a node, a batch or a flow's defaults): the `Limits` service and
 * its two builds. Each attempt holds a permit of every limit it names while it runs; a limit bounds the attempts in
 * flight (`concurrency`) and the attempts started per window (`rate`). Everything that runs under one `Limits` layer
 * — branches, batch items, concurrent runs — shares its permits.
 *
 * In one process the in-flight count is a first-come-first-served gate and the rate `effect/persistence`'s
 * `RateLimiter` on its memory store. Across processes (`layerStore`, e.g. over Redis) the in-flight count is also kept in the store, as a token
 * bucket that an attempt takes a token from and gives it back to; a local gate in front of it keeps a process
 * from asking the store for more permits than the limit has, and a process polls the store while the others hold
 * every permit.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as RateLimiter from "effect/persistence/RateLimiter"
import { received } from "./checks.ts"

/** One limit's options (`Limits.layer({ name: options })`). */
export interface LimitOptions {
  /** At most this many exec attempts in flight at once. */
  readonly concurrency?: number | undefined
  /** At most `limit` exec attempts started per `window`; the others wait for the next window. */
  readonly rate?: { readonly limit: number; readonly window: Duration.Input } | undefined
}

/** What the `Limits` service does: run an effect holding a permit of each named limit. */
export interface Service {
  readonly withPermits: (
    names: ReadonlyArray<string>
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** The `Limits` service (re-exported by the public `Limits` module). */
export class Limits extends Context.Service<Limits, Service>()("effect-pocketflow/Limits") {}

/**
 * How long a store-kept permit lasts without being given back: a permit held by a process that died comes back after
 * this long (the token bucket refills one token per lease). An attempt that holds one longer may let one more start.
 */
const lease = Duration.minutes(10)

/** How often a process asks the store again while the other processes hold every permit (first, then at most). */
const pollFirst = 2
const pollMost = 50

/** A checked limit: how to take and give back one permit, each undefined when the limit has no such part. */
interface Gate {
  readonly name: string
  /** Runs `self` holding an in-flight permit. */
  readonly inFlight: (<A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) | undefined
  /** Waits until the rate lets one more attempt start. */
  readonly started: Effect.Effect<void> | undefined
}

const where = (api: string, name: string) => `${api}: limit ${JSON.stringify(name)}`

/** Checks one limit's options when the layer is made. */
const check = (api: string, name: string, options: unknown): {
  readonly concurrency: number | undefined
  readonly rate: { readonly limit: number; readonly window: Duration.Duration } | undefined
} => {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where(api, name)} must be an object { concurrency?, rate? }; got ${received(options)}`)
  }
  const { concurrency, rate } = options as { concurrency?: unknown; rate?: unknown }
  if (concurrency === undefined && rate === undefined) {
    throw new TypeError(`${where(api, name)} needs "concurrency", "rate" or both; got ${received(options)}`)
  }
  if (
    concurrency !== undefined && (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1)
  ) {
    throw new RangeError(`${where(api, name)}: "concurrency" must be a positive integer; got ${received(concurrency)}`)
  }
  if (rate === undefined) return { concurrency: concurrency as number, rate: undefined }
  const { limit, window } = (typeof rate === "object" && rate !== null ? rate : {}) as {
    limit?: unknown
    window?: unknown
  }
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `${where(api, name)}: "rate.limit" must be a positive integer (attempts per window); got ${received(limit)}`
    )
  }
  const decoded = Duration.fromInput(window as Duration.Input)
  if (
    decoded._tag === "None" || !Duration.isFinite(decoded.value) ||
    !Duration.isGreaterThan(decoded.value, Duration.zero)
  ) {
    throw new RangeError(
      `${where(api, name)}: "rate.window" must be a finite positive duration (e.g. "1 minute"); got ${received(window)}`
    )
  }
  return { concurrency: concurrency as number | undefined, rate: { limit, window: decoded.value } }
}

/**
 * At most `n` holders at once, served first come, first served. Taking and giving back a permit is O(1): effect's
 * `Semaphore` wakes by scanning every waiter on each release, which made a batch of 100 items under a limit of 10 cost
 * ~14 µs of CPU per item (2 µs without the limit).
 */
const gate = (n: number) => {
  interface Waiter {
    resume: ((effect: Effect.Effect<void>) => void) | undefined
  }
  let free = n
  let queue: Array<Waiter | undefined> = []
  let head = 0
  /**
   * Hands the permit to the first waiter still waiting, or puts it back. The waiter resumes in a task of its own, not
   * inline: a holder that gives its permit back because it is being interrupted (a sibling failed) must not start a
   * waiter that the same failure is about to interrupt.
   */
  const release = (fiber: Fiber.Fiber<unknown, unknown>) => {
    while (head < queue.length) {
      const waiter = queue[head]!
      queue[head++] = undefined
      const resume = waiter.resume
      if (resume !== undefined) {
        waiter.resume = undefined
        fiber.currentDispatcher.scheduleTask(() => resume(Effect.void), 0)
        return
      }
    }
    queue = []
    head = 0
    free++
  }
  const take = Effect.callback<void>((resume) => {
    if (free > 0) {
      free--
      resume(Effect.void)
      return
    }
    const waiter: Waiter = { resume }
    queue.push(waiter)
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    // Interrupted while waiting: leave the queue; or, when the permit was handed over just as the interruption came
    // (the hand-over was then ignored), pass it on.
    return Effect.withFiber((fiber) => {
      if (waiter.resume !== undefined) waiter.resume = undefined
      else release(fiber)
      return Effect.void
    })
  })
  const give = Effect.withFiber((fiber) => {
    release(fiber)
    return Effect.void
  })
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) => Effect.andThen(restore(take), Effect.ensuring(restore(self), give)))
}

type Store = RateLimiter.RateLimiterStore["Service"]

const storeFailed = (name: string, what: string) => (error: RateLimiter.RateLimiterError) =>
  Effect.die(new Error(`limit ${JSON.stringify(name)}: ${what} failed: ${error.message}`, { cause: error }))

/** In-flight permits kept in `store` (shared with other processes), behind a local gate. */
const shared = (store: Store, name: string, concurrency: number) => {
  const local = gate(concurrency)
  const key = `effect-pocketflow:${name}:in-flight`
  const bucket = (tokens: number) =>
    store.tokenBucket({ key, tokens, limit: concurrency, refillRate: lease, allowOverflow: tokens < 0 })
  const take = Effect.catch(bucket(1), storeFailed(name, "taking a permit"))
  // Polling backs off while the other processes keep every permit, and starts over when this process gets one.
  const acquire = (restore: <X, Y, Z>(self: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>) => {
    const attempt = (wait: number): Effect.Effect<void> =>
      Effect.flatMap(take, ([remaining]) =>
        remaining >= 0
          ? Effect.void
          : Effect.andThen(restore(Effect.sleep(Duration.millis(wait))), attempt(Math.min(wait * 2, pollMost))))
    return attempt(pollFirst)
  }
  const release = Effect.catch(
    Effect.asVoid(bucket(-1)),
    (error) => Effect.logWarning(`limit ${JSON.stringify(name)}: giving a permit back failed`, error)
  )
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    local(
      Effect.uninterruptibleMask((restore) =>
        Effect.andThen(acquire(restore), Effect.onExit(restore(self), () => release))
      )
    )
}

type Checked = ReadonlyArray<readonly [name: string, options: ReturnType<typeof check>]>

/** Checks every limit of `config` when the layer is made, so a wrong option throws where it was written. */
const checkAll = (api: string, config: unknown): Checked => {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(`${api} needs an object of limits by name; got ${received(config)}`)
  }
  return Object.entries(config).map(([name, options]) => [name, check(api, name, options)] as const)
}

/** Builds the gates: in-flight permits from `store` when given (several processes), else in this process. */
const gates = (checked: Checked, limiter: RateLimiter.RateLimiter, store: Store | undefined) => {
  const out = new Map<string, Gate>()
  for (const [name, { concurrency, rate }] of checked) {
    let inFlight: Gate["inFlight"]
    if (concurrency !== undefined) {
      if (store === undefined) {
        inFlight = gate(concurrency)
      } else {
        inFlight = shared(store, name, concurrency)
      }
    }
    const started = rate === undefined ? undefined : Effect.catch(
      Effect.flatMap(
        limiter.consume({
          key: `effect-pocketflow:${name}:rate`,
          limit: rate.limit,
          window: rate.window,
          algorithm: "fixed-window",
          onExceeded: "delay"
        }),
        ({ delay }) => Duration.isZero(delay) ? Effect.void : Effect.sleep(delay)
      ),
      storeFailed(name, "counting a start")
    )
    out.set(name, { name, inFlight, started })
  }
  return out
}

/** The service over `gates`: a permit of each named limit, taken in name order (so two callers never deadlock). */
const service = (byName: ReadonlyMap<string, Gate>): Service => {
  const resolved = new WeakMap<ReadonlyArray<string>, ReadonlyArray<Gate>>()
  const lookup = (names: ReadonlyArray<string>): ReadonlyArray<Gate> | Error => {
    let found = resolved.get(names)
    if (found !== undefined) return found
    const sorted = Array.from(new Set(names)).sort()
    const list: Array<Gate> = []
    for (const name of sorted) {
      const gate = byName.get(name)
      if (gate === undefined) {
        const known = Array.from(byName.keys(), (k) => JSON.stringify(k)).join(", ")
        return new Error(
          `limit ${JSON.stringify(name)} is not configured: the Limits layer has ${known === "" ? "no limits" : known}`
        )
      }
      list.push(gate)
    }
    resolved.set(names, found = list)
    return found
  }
  const hold = <A, E, R>(
    list: ReadonlyArray<Gate>,
    i: number,
    self: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> => {
    if (i === list.length) return self
    const { inFlight, started } = list[i]!
    // The start is counted once an in-flight permit is held, so a waiting attempt does not use up a window.
    const inner = hold(list, i + 1, self)
    const timed = started === undefined ? inner : Effect.andThen(started, inner)
    return inFlight === undefined ? timed : inFlight(timed)
  }
  return {
    withPermits: (names) => (self) => {
      const list = lookup(names)
      return list instanceof Error ? Effect.die(list) : hold(list, 0, self)
    }
  }
}

/** `Limits.layer`: every limit kept in this process. */
export const layer = (config: Readonly<Record<string, LimitOptions>>): Layer.Layer<Limits> => {
  const checked = checkAll("Limits.layer", config)
  return Layer.effect(
    Limits,
    Effect.map(
      Effect.provide(RateLimiter.make, RateLimiter.layerStoreMemory),
      (limiter) => service(gates(checked, limiter, undefined))
    )
  )
}

/** `Limits.layerStore`: every limit kept in the `RateLimiterStore` (Redis: shared by processes). */
export const layerStore = (
  config: Readonly<Record<string, LimitOptions>>
): Layer.Layer<Limits, never, RateLimiter.RateLimiterStore> => {
  const checked = checkAll("Limits.layerStore", config)
  return Layer.effect(
    Limits,
    Effect.gen(function*() {
      const store = yield* RateLimiter.RateLimiterStore
      const limiter = yield* RateLimiter.make
      return service(gates(checked, limiter, store))
    })
  )
}

/**
 * Runs `self` (one exec attempt of `node`) holding a permit of each limit in `names`, from the `Limits` service in
 * the context. For agents and other code that makes its own attempts.
 */
export const withPermits = <A, E, R>(
  node: string,
  names: ReadonlyArray<string>,
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | Limits> =>
  Effect.withFiber((fiber) => {
    const limits = Context.getOrUndefined(fiber.context, Limits)
    if (limits === undefined) {
      return Effect.die(
        new Error(
          `node ${JSON.stringify(node)} has limit ${names.map((n) => JSON.stringify(n)).join(", ")}: provide a ` +
            `Limits layer (Limits.layer({ ... })) to the program that runs it`
        )
      )
    }
    return limits.withPermits(names)(self)
  })
