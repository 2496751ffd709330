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
import * as Schema from "effect/Schema"

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
 * @category models
 * @stability stable
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
 * @category models
 * @stability stable
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
 * A store class declared with a Schema: it can be saved by a durable run. `initial(s)` and `edit(f)` name the store
 * in `Durable.run`'s and `Durable.fork`'s `stores`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const start = Store.initial({ n: 0 })
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface SchemaServiceClass<Self, Id extends string, S> extends ServiceClass<Self, Id, S> {
  readonly schema: Schema.Codec<S, any, never, never>
  /** This store with its state when a durable run starts. */
  readonly initial: (state: S) => Initial<Self, S>
  /** An edit of this store's saved state, applied by `Durable.fork`. */
  readonly edit: (f: (state: S) => S) => Edit<Self, S>
}

/**
 * A store class with a schema and its initial state, as listed in `Durable.run`'s `stores`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const initial: Shared.Initial<Store, { readonly n: number }> = Store.initial({ n: 1 })
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface Initial<Self, S> {
  readonly _tag: "Initial"
  readonly store: SchemaServiceClass<Self, string, S>
  readonly state: S
}

/**
 * A store class with a schema and an edit of its state, as listed in `Durable.fork`'s `stores`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const fix: Shared.Edit<Store, { readonly n: number }> = Store.edit((s) => ({ n: s.n + 1 }))
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface Edit<Self, S> {
  readonly _tag: "Edit"
  readonly store: SchemaServiceClass<Self, string, S>
  readonly edit: (state: S) => S
}

/**
 * Any store class declared with a schema.
 *
 * @example
 * ```ts
 * import type { Shared } from "effect-pocketflow"
 *
 * const keys = (stores: ReadonlyArray<Shared.AnySchemaService>) => stores.map((s) => s.key)
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type AnySchemaService = SchemaServiceClass<any, string, any>

/**
 * Declares a shared store: `class Store extends Shared.Service<Store, State>()("key") {}`. With a Schema,
 * `class Store extends Shared.Service<Store>()("key", { schema })` infers the state from the schema and the store can
 * be saved by a durable run.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { question: string; answer: string | undefined }>()("app/Store") {}
 *
 * const program = Store.update((s) => ({ ...s, answer: "42" })).pipe(
 *   Effect.andThen(Store.get),
 *   Effect.provide(Store.layer({ question: "?", answer: undefined }))
 * )
 *
 * const Draft = Schema.Struct({ topic: Schema.String, draft: Schema.String })
 * class Saved extends Shared.Service<Saved>()("app/Saved", { schema: Draft }) {}
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export const Service: <Self, S = never>() => {
  <const Id extends string>(key: Id): ServiceClass<Self, Id, S>
  <const Id extends string, T>(
    key: Id,
    options: { readonly schema: Schema.Codec<T, any, never, never> }
  ): SchemaServiceClass<Self, Id, T>
} = () => (key: string, options?: { readonly schema: Schema.Codec<any, any, never, never> }) => {
  const schema = options?.schema
  if (schema !== undefined && !Schema.isSchema(schema)) {
    throw new TypeError(`Shared.Service ${JSON.stringify(key)}: schema must be an effect/Schema (got ${typeof schema})`)
  }
  const Key = Context.Service<any, Store<any>>()(key)
  const make = (initial: unknown): Effect.Effect<Store<any>> => Effect.map(Ref.make(initial), (ref) => ({ ref }))
  // Each accessor is one synchronous step on the Ref's cell: nothing can interleave inside it, so
  // updates stay atomic, and a step costs one service lookup instead of a map + flatMap + Ref call.
  // It also keeps results `void`: `Ref.set` in effect 4.1 returns the cell despite its type, which
  // would reach a flow as a bogus action from a post ending in `Store.set(…)`.
  const modify = <B>(f: (state: unknown) => readonly [B, unknown]) =>
    Key.useSync((store) => {
      const [result, next] = f(Ref.getUnsafe(store.ref))
      store.ref.ref.current = next
      return result
    })
  // Statics are plain properties on the key class so that `class X extends Shared.Service<…>()(…) {}`
  // inherits them without a class hierarchy of our own.
  const statics = Object.assign(Key, {
    make,
    layer: (initial: unknown) => Layer.effect(Key, make(initial)),
    get: Key.useSync((store) => Ref.getUnsafe(store.ref)),
    set: (state: unknown) => modify(() => [undefined, state] as const),
    update: (f: (state: unknown) => unknown) => modify((s) => [undefined, f(s)] as const),
    modify
  })
  if (schema === undefined) return statics
  const withSchema: any = Object.assign(statics, {
    schema,
    initial: (state: unknown) => ({ _tag: "Initial", store: withSchema, state }),
    edit: (edit: (state: unknown) => unknown) => ({ _tag: "Edit", store: withSchema, edit })
  })
  return withSchema
}

/**
 * Checks whether a store class was declared with a schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * Shared.hasSchema(Store) // true
 * ```
 * @category guards
 * @stability stable
 * @since 0.2.0
 */
export const hasSchema = (u: unknown): u is AnySchemaService =>
  typeof u === "function" && "schema" in u && Schema.isSchema((u as { schema: unknown }).schema)

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
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type StateOf<T> = T extends ServiceClass<infer _Self, infer _Id, infer S> ? S : never
