/**
 * Flow-wide defaults (`Flow.make({ defaults: { retry, timeout, cache, limit } })`). Nodes are immutable values that
 * many flows share, so a default is not copied into them: the walk applies it when it runs a node under a flow. A
 * running flow with defaults puts its effective defaults — its own over those of the flows it runs in, option by
 * option — in `CurrentDefaults`; the walk runs each plain node and batch item with its policy resolved against them
 * (a node's own option wins). Resolved defs are made once per (effective defaults, node) and kept.
 *
 * Defaults apply to what a node's exec does, so a node without exec is left as it is, and a cache default applies to
 * the nodes with a `resultSchema` (the others cannot encode their result). Inside a node (its prep, exec and post)
 * the defaults are cleared: a flow that a node runs itself is not nested in the flow, and does not inherit them.
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { CacheOptions } from "./cache.ts"
import type { BatchDef, StepDef } from "./node.ts"
import { type Policy, type RetryOptions, withPolicy } from "./policy.ts"
import * as program_ from "./walk/program.ts"

/** A flow's own defaults, checked when the flow is made. */
export interface Defaults {
  readonly retry: RetryOptions | undefined
  readonly timeout: Duration.Duration | undefined
  readonly cache: CacheOptions | undefined
  readonly limit: ReadonlyArray<string> | undefined
}

/** The defaults in force in a running flow, with what was resolved against them. */
export interface Effective extends Defaults {
  /** These defaults under a nested flow's own: by the nested flow's defaults object. */
  readonly nested: WeakMap<Defaults, Effective>
  /** Plain node and batch defs resolved against these defaults. */
  readonly defs: WeakMap<StepDef | BatchDef, StepDef | BatchDef>
}

/** The defaults of the running flow; `undefined` (the default) when no flow above sets any. */
export const CurrentDefaults = Context.Reference<Effective | undefined>("effect-pocketflow/Defaults", {
  defaultValue: () => undefined
})

const topLevel = new WeakMap<Defaults, Effective>()

/** The defaults of a flow with `own` defaults running under `outer` (kept, so a flow run again finds them). */
export const merge = (outer: Effective | undefined, own: Defaults): Effective => {
  const cache = outer === undefined ? topLevel : outer.nested
  let effective = cache.get(own)
  if (effective === undefined) {
    effective = {
      retry: own.retry ?? outer?.retry,
      timeout: own.timeout ?? outer?.timeout,
      cache: own.cache ?? outer?.cache,
      limit: own.limit ?? outer?.limit,
      nested: new WeakMap(),
      defs: new WeakMap()
    }
    cache.set(own, effective)
  }
  return effective
}

/** Runs `self` (part of a node) with no defaults in force. */
const cleared = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(self, CurrentDefaults, undefined)

/** The policy of a node whose own options are `own`, under `d`; `undefined` when `d` changes nothing. */
const resolve = (own: Policy, d: Effective): Policy | undefined => {
  const retry = own.retry ?? d.retry
  const timeout = own.timeout ?? d.timeout
  const cache = own.cache ?? (own.resultSchema === undefined ? undefined : d.cache)
  const limit = own.limit ?? d.limit
  if (retry === own.retry && timeout === own.timeout && cache === own.cache && limit === own.limit) return undefined
  return { ...own, retry, timeout, cache, limit }
}

/**
 * `def` under `d`: its own exec wrapped again with the resolved policy and put in place by `rebuild`; `def` itself when
 * the defaults change nothing for it. Made once per (defaults, def) and kept.
 */
const under = <D extends StepDef | BatchDef>(
  def: D,
  d: Effective,
  rebuild: (exec: (input: unknown) => Effect.Effect<unknown, unknown, unknown>) => D
): D => {
  const { body, policy } = def
  if (policy === undefined || body === undefined) return def
  let resolved = d.defs.get(def) as D | undefined
  if (resolved === undefined) {
    const merged = resolve(policy, d)
    resolved = merged === undefined ? def : rebuild(withPolicy(body, merged))
    d.defs.set(def, resolved)
  }
  return resolved
}

/** A plain node's def under `d`: its exec wrapped with the resolved policy, and the defaults cleared inside it. */
export const step = (def: StepDef, d: Effective): StepDef =>
  under(def, d, (exec) => {
    const { post, prep } = def
    return {
      ...def,
      prep: prep === undefined ? undefined : cleared(prep),
      exec: (input) => cleared(exec(input)),
      post: post === undefined ? undefined : (input, result) => cleared(post(input, result))
    }
  })

/** A batch node's def under `d`: each item's exec wrapped with the resolved policy. */
export const batch = (def: BatchDef, d: Effective): BatchDef =>
  under(def, d, (exec) => ({ ...def, exec: (item) => cleared(exec(item)) }))

const programs = new WeakMap<StepDef, Effect.Effect<unknown, unknown, unknown>>()

/** The plain program of a resolved def (what `node.raw` is for the node's own def). */
export const program = (def: StepDef): Effect.Effect<unknown, unknown, unknown> => {
  let found = programs.get(def)
  if (found === undefined) programs.set(def, found = program_.step(def))
  return found
}
