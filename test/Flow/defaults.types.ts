/**
 * Type-level guarantees of flow defaults, node caches and limits (issue 21), checked by `tsc` (not run by vitest).
 * Each `// @ts-expect-error` marks a line that must not compile.
 */
import { Data, type Duration, Effect, Schedule, Schema } from "effect"
import type { Persistence } from "effect/persistence"
import { Flow, type Limits, Node, type NodeTimeout } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

class Boom extends Data.TaggedError("Boom")<{}> {}
declare const cfg: { readonly timeout: Duration.Input | undefined }

const plain = Node.make({ name: "plain", exec: () => Effect.fail(new Boom()) })

// ---------------------------------------------------------------------------------------------------
// defaults: NodeTimeout in E when a default timeout may be set
// ---------------------------------------------------------------------------------------------------

const noDefaults = Flow.make({ name: "none", start: plain })
check<Equals<Flow.Flow<"default", Boom, never>, typeof noDefaults>>()

const retryOnly = Flow.make({ name: "retry", start: plain, defaults: { retry: { times: 2 } } })
check<Equals<Effect.Error<typeof retryOnly>, Boom>>()

const retrySchedule = Flow.make({
  name: "schedule",
  start: plain,
  defaults: { retry: Schedule.exponential("1 second") }
})
check<Equals<Effect.Error<typeof retrySchedule>, Boom>>()

const timed = Flow.make({ name: "timed", start: plain, defaults: { timeout: "1 second" } })
check<Equals<Effect.Error<typeof timed>, Boom | NodeTimeout>>()

// A timeout that may be set at run time keeps NodeTimeout.
const maybeTimed = Flow.make({ name: "maybe", start: plain, defaults: { timeout: cfg.timeout } })
check<Equals<Effect.Error<typeof maybeTimed>, Boom | NodeTimeout>>()

// A declared `Flow.Defaults` value may hold a timeout.
declare const someDefaults: Flow.Defaults
const declared = Flow.make({ name: "declared", start: plain, defaults: someDefaults })
check<Equals<Effect.Error<typeof declared>, Boom | NodeTimeout>>()
check<Equals<Effect.Services<typeof declared>, Persistence.Persistence | Limits.Limits>>()

// With prep and post (the overload that fixes the flow's action).
const timedOwn = Flow.make({
  name: "timed-own",
  start: plain,
  defaults: { timeout: 5000 },
  post: () => Node.action("done")
})
check<Equals<typeof timedOwn, Flow.Flow<"done", Boom | NodeTimeout, never, "own">>>()

// An outer flow's default timeout reaches its nested flows' nodes: the outer flow fails with NodeTimeout.
const outer = Flow.make({ name: "outer", start: noDefaults, defaults: { timeout: "1 minute" } })
check<Equals<Effect.Error<typeof outer>, Boom | NodeTimeout>>()

// ---------------------------------------------------------------------------------------------------
// defaults: services for cache and limit; forms of the node options
// ---------------------------------------------------------------------------------------------------

const cachedDefaults = Flow.make({ name: "cached", start: plain, defaults: { cache: { key: String } } })
check<Equals<Effect.Services<typeof cachedDefaults>, Persistence.Persistence>>()

const limitedDefaults = Flow.make({ name: "limited", start: plain, defaults: { limit: ["a", "b"] } })
check<Equals<Effect.Services<typeof limitedDefaults>, Limits.Limits>>()

// @ts-expect-error a default retry sees every node's errors: its predicate takes `unknown`
Flow.make({ name: "narrow", start: plain, defaults: { retry: { while: (e: Boom) => e._tag === "Boom" } } })

// @ts-expect-error defaults take the node options' forms only
Flow.make({ name: "unknown", start: plain, defaults: { fallback: () => Effect.void } })

// @ts-expect-error a timeout is a duration
Flow.make({ name: "bad-timeout", start: plain, defaults: { timeout: true } })

// ---------------------------------------------------------------------------------------------------
// cache on nodes: needs resultSchema, requires Persistence; the key takes prep's result
// ---------------------------------------------------------------------------------------------------

const embed = Node.make({
  name: "embed",
  prep: Effect.succeed("text"),
  exec: (text) => Effect.succeed(text.length),
  resultSchema: Schema.Number,
  cache: { key: (text) => text.toUpperCase(), ttl: "1 hour", version: 2 }
})
check<Equals<typeof embed, Node.Node<"default", never, Persistence.Persistence>>>()

Node.make({
  name: "no-schema",
  prep: Effect.succeed("text"),
  exec: (text) => Effect.succeed(text.length),
  // @ts-expect-error a cache needs the Schema of exec's result
  cache: { key: (text) => text }
})

const text = Effect.succeed("text")
const length = (t: string) => Effect.succeed(t.length)
// @ts-expect-error the Schema must be exec's result's
Node.make({ name: "wrong-schema", prep: text, exec: length, resultSchema: Schema.String, cache: { key: String } })

Node.make({
  name: "wrong-key",
  prep: Effect.succeed(1),
  exec: (n) => Effect.succeed(n),
  resultSchema: Schema.Number,
  // @ts-expect-error the key is a string
  cache: { key: (n) => n }
})

// With a fallback too.
const withFallback = Node.make({
  name: "with-fallback",
  prep: Effect.succeed("q"),
  exec: (q) => Effect.fail(new Boom()).pipe(Effect.as(q)),
  fallback: () => Effect.succeed("unknown"),
  resultSchema: Schema.String,
  cache: { key: (q) => q }
})
check<Equals<typeof withFallback, Node.Node<"default", never, Persistence.Persistence>>>()

// Batch nodes: the key takes an item.
const items = Node.batch({
  name: "items",
  prep: Effect.succeed([1, 2, 3]),
  exec: (n) => Effect.succeed(`${n}`),
  resultSchema: Schema.String,
  cache: { key: (n) => `${n.toFixed(0)}` },
  limit: "api"
})
check<Equals<Effect.Services<typeof items>, Persistence.Persistence | Limits.Limits>>()

Node.batch({
  name: "items-no-schema",
  prep: Effect.succeed([1, 2, 3]),
  exec: (n) => Effect.succeed(`${n}`),
  // @ts-expect-error a cache needs the Schema of exec's result
  cache: { key: (n) => `${n}` }
})

// ---------------------------------------------------------------------------------------------------
// limit on nodes: requires Limits
// ---------------------------------------------------------------------------------------------------

const limited = Node.make({ name: "limited", exec: () => Effect.succeed(1), limit: "openai" })
check<Equals<typeof limited, Node.Node<"default", never, Limits.Limits>>>()

const limitedTimed = Node.make({ name: "limited-timed", exec: () => Effect.succeed(1), limit: ["a"], timeout: 10 })
check<Equals<typeof limitedTimed, Node.Node<"default", NodeTimeout, Limits.Limits>>>()

// @ts-expect-error a limit is a name or names
Node.make({ name: "bad-limit", exec: () => Effect.succeed(1), limit: 3 })
