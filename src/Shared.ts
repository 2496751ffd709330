/**
 * The shared store: the state a flow reads and writes, provided as a service by a Layer.
 *
 * A flow never owns its state. The caller provides a fresh store per run with `Store.layer(initial)`,
 * so a test can provide a prepared state and read the final one back.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"

/**
 * What a store service holds at run time: one `Ref` with the current state.
 *
 * Updates go through `Ref.update` / `Ref.modify`, which apply a pure function in one step, so
 * concurrent branches never lose an update.
 *
 * @example
 * ```ts
 * import { Effect, Ref } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Counter extends Shared.Service<Counter, { n: number }>()("app/Counter") {}
 * const peek = Effect.flatMap(Counter, (store) => Ref.get(store.ref))
 * ```
 * @since 0.1.0
 */
export interface Store<S> {
  readonly ref: Ref.Ref<S>
}

/**
 * The static side of a store class: its key plus the accessors every flow uses.
 *
 * @example
 * ```ts
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { count: number }>()("app/Store") {}
 * const layer = Store.layer({ count: 0 })
 * ```
 * @since 0.1.0
 */
export interface ServiceClass<Self, Id extends string, S> extends Context.ServiceClass<Self, Id, Store<S>> {
  /** A fresh store holding `initial`, for one run of a flow. */
  readonly layer: (initial: S) => Layer.Layer<Self>
  /** Makes a store value without a layer, e.g. to provide it with `Effect.provideService`. */
  readonly make: (initial: S) => Effect.Effect<Store<S>>
  /** The current state. */
  readonly get: Effect.Effect<S, never, Self>
  /** Replaces the state. */
  readonly set: (state: S) => Effect.Effect<void, never, Self>
  /** Applies `f` atomically. */
  readonly update: (f: (state: S) => S) => Effect.Effect<void, never, Self>
  /** Applies `f` atomically and returns the first element of its result. */
  readonly modify: <B>(f: (state: S) => readonly [B, S]) => Effect.Effect<B, never, Self>
}

/**
 * Declares a shared store: `class Store extends Shared.Service<Store, State>()("key") {}`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { question: string; answer: string | undefined }>()("app/Store") {}
 *
 * const program = Store.update((s) => ({ ...s, answer: "42" })).pipe(
 *   Effect.andThen(Store.get),
 *   Effect.provide(Store.layer({ question: "?", answer: undefined }))
 * )
 * ```
 * @since 0.1.0
 */
export const Service =
  <Self, S>() =>
  <const Id extends string>(key: Id): ServiceClass<Self, Id, S> => {
    const Key = Context.Service<Self, Store<S>>()(key)
    const make = (initial: S): Effect.Effect<Store<S>> => Effect.map(Ref.make(initial), (ref) => ({ ref }))
    // Each accessor is one synchronous step on the Ref's cell: nothing can interleave inside it, so
    // updates stay atomic, and a step costs one service lookup instead of a map + flatMap + Ref call.
    // It also keeps results `void`: `Ref.set` in effect 4.1 returns the cell despite its type, which
    // would reach a flow as a bogus action from a post ending in `Store.set(…)`.
    const modify = <B>(f: (state: S) => readonly [B, S]) =>
      Key.useSync((store) => {
        const [result, next] = f(Ref.getUnsafe(store.ref))
        store.ref.ref.current = next
        return result
      })
    // Statics are plain properties on the key class so that `class X extends Shared.Service<…>()(…) {}`
    // inherits them without a class hierarchy of our own.
    return Object.assign(Key, {
      make,
      layer: (initial: S) => Layer.effect(Key, make(initial)),
      get: Key.useSync((store) => Ref.getUnsafe(store.ref)),
      set: (state: S) => modify(() => [undefined, state] as const),
      update: (f: (state: S) => S) => modify((s) => [undefined, f(s)] as const),
      modify
    }) as ServiceClass<Self, Id, S>
  }

/**
 * The state type of a store class.
 *
 * @example
 * ```ts
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { n: number }>()("app/Store") {}
 * type S = Shared.StateOf<typeof Store> // { n: number }
 * ```
 * @since 0.1.0
 */
export type StateOf<T> = T extends ServiceClass<infer _Self, infer _Id, infer S> ? S : never
