/**
 * Flows: nodes wired by actions. A flow is itself a node, so flows nest.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Stream from "effect/Stream"
import type { MaxStepsExceeded } from "./Errors.ts"
import * as FlowEvent from "./FlowEvent.ts"
import { received } from "./internal/checks.ts"
import * as internal from "./internal/flow.ts"
import * as make_ from "./internal/make.ts"
import * as mermaid from "./internal/mermaid.ts"
import * as modelEvents from "./internal/model/events.ts"
import { type AnyFlow, type AnyNode, type FlowDef, isFlow as isFlowInternal, isNode } from "./internal/node.ts"
import * as observation from "./internal/observation.ts"
import * as subscriber from "./internal/subscriber.ts"
import * as observed from "./internal/walk/observed.ts"
import type * as Node from "./Node.ts"

/**
 * A flow: a node whose run walks a graph of nodes. `A` is its action (the last action of its run, or
 * what its `post` returns), `E` and `R` the union of its nodes' errors and requirements.
 *
 * `Own` is `"own"` when the flow's `post` fixes its action, so adding edges no longer widens `A`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const a = Node.make({ name: "a", exec: () => Effect.log("a") })
 * const b = Node.make({ name: "b", exec: () => Effect.log("b") })
 * const flow: Flow.Flow<"default"> = Flow.make({ name: "ab", start: a }).pipe(Flow.next(a, b))
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Flow<out A extends string, out E = never, out R = never, out Own extends "edges" | "own" = "edges">
  extends Node.Node<A, E, R>
{
  readonly kind: "flow"
  /** The node the flow starts at. */
  readonly start: Node.Any
  /** Successors by node and action. */
  readonly edges: ReadonlyMap<Node.Any, ReadonlyMap<string, Node.Any>>
  readonly maxSteps: number | undefined
  /** Phantom marker for `Own`. */
  readonly "~own"?: Own
}

/**
 * Any flow, whatever its types.
 *
 * @example
 * ```ts
 * import type { Flow } from "effect-pocketflow"
 *
 * const describe = (flow: Flow.Any) => `${flow.name} starts at ${flow.start.name}`
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export type Any = Flow<string, any, any, "edges" | "own">

// `start`, `edges` and `maxSteps` are read through the flow prototype (see internal/flow.ts).
const fromInternal = (flow: AnyFlow): Any => flow as unknown as Any

/**
 * Checks whether a value is a flow.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const n = Node.make({ name: "n", exec: () => Effect.void })
 * Flow.isFlow(Flow.make({ name: "f", start: n })) // true
 * Flow.isFlow(n) // false
 * ```
 * @category guards
 * @stability stable
 * @since 0.1.0
 */
export const isFlow = (u: unknown): u is Any => isFlowInternal(u)

/**
 * The options of `Flow.make`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, type Flow } from "effect-pocketflow"
 *
 * const start = Node.make({ name: "start", exec: () => Effect.void })
 * const options: Flow.Options<typeof start> = { name: "f", start, maxSteps: 100 }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Options<Start extends Node.Any> {
  /** Names the flow in messages, events, spans and diagrams; unique among its siblings when nested. */
  readonly name: string
  /** The first node. */
  readonly start: Start
  /** A run that would take more node steps fails with `MaxStepsExceeded`. */
  readonly maxSteps?: number | undefined
  /** Options for every node of the flow and of flows nested in it (see `Defaults`). */
  readonly defaults?: Defaults | undefined
}

/**
 * Options applied to every node of a flow and of the flows nested in it (their batch items included), in exactly the
 * forms of the node options they stand for. A nested flow's own defaults win over its parent's, option by option,
 * and a node's own option wins over both (`limit: []` on a node sets no limit). They apply to what a node's exec
 * does: a node without exec is left alone, and a `cache` default caches the nodes that have a `resultSchema`. A flow
 * that a node runs from inside its exec is not nested in the flow: it does not inherit them. Checked when the flow is
 * made.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const ask = Node.make({ name: "ask", exec: () => Effect.succeed("hi") })
 * const flow = Flow.make({
 *   name: "chat",
 *   start: ask,
 *   defaults: { retry: { times: 2, schedule: Schedule.exponential("100 millis") }, timeout: "30 seconds" }
 * })
 * // flow: Flow<"default", NodeTimeout, never>
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Defaults {
  /** Retries every node's exec (errors of any node: the schedule and `while` see `unknown`). */
  readonly retry?: Node.Retry<unknown> | undefined
  /** Fails one attempt of every node's exec with `NodeTimeout` after this long. */
  readonly timeout?: Duration.Input | undefined
  /** Caches the results of every node that has a `resultSchema`, by `key(prep)` (requires `Persistence`). */
  readonly cache?: Node.Cache<unknown> | undefined
  /** The limits every exec attempt takes a permit of (requires `Limits`). */
  readonly limit?: Node.Limit | undefined
}

/**
 * The errors a flow's `defaults` of type `D` may add: `NodeTimeout` when a default `timeout` may be set.
 *
 * @example
 * ```ts
 * import type { Flow } from "effect-pocketflow"
 *
 * type None = Flow.DefaultsError<{ readonly retry: { readonly times: 2 } }> // never
 * type Timeout = Flow.DefaultsError<{ readonly timeout: "1 second" }> // NodeTimeout
 * ```
 * @category utility types
 * @stability experimental
 * @since 0.4.0
 */
export type DefaultsError<D> = "timeout" extends keyof D ? Node.TimeoutError<D["timeout" & keyof D]> : never

/**
 * The services a flow's `defaults` of type `D` may require: `Persistence` for a `cache`, `Limits` for a `limit`.
 *
 * @example
 * ```ts
 * import type { Flow } from "effect-pocketflow"
 *
 * type R = Flow.DefaultsServices<{ readonly limit: "openai" }> // Limits
 * ```
 * @category utility types
 * @stability experimental
 * @since 0.4.0
 */
export type DefaultsServices<D> =
  | ("cache" extends keyof D ? Node.CacheServices<D["cache" & keyof D]> : never)
  | ("limit" extends keyof D ? Node.LimitServices<D["limit" & keyof D]> : never)

/**
 * Makes a flow that starts at `start`. Wire it with `Flow.on` and `Flow.next`. With `prep` and
 * `post`, the flow overrides its own action: `post` receives prep's result and the last action.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const decide = Node.make({ name: "decide", post: () => Node.action(Math.random() > 0.5 ? "search" : "answer") })
 * const search = Node.make({ name: "search", exec: () => Effect.log("searching") })
 * const answer = Node.make({ name: "answer", exec: () => Effect.log("answering") })
 *
 * const agent = Flow.make({ name: "agent", start: decide, maxSteps: 20 }).pipe(
 *   Flow.on(decide, "search", search),
 *   Flow.on(decide, "answer", answer),
 *   Flow.next(search, decide)
 * )
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export function make<
  Start extends Node.Any,
  P,
  O extends string | void,
  E1 = never,
  R1 = never,
  E2 = never,
  R2 = never,
  M extends number | undefined = undefined,
  D extends Defaults | undefined = undefined
>(
  options: Options<Start> & {
    readonly maxSteps?: M
    readonly defaults?: D
    readonly prep?: Effect.Effect<P, E1, R1> | undefined
    readonly post: (prep: P, lastAction: string) => Effect.Effect<O, E2, R2>
  }
): Flow<
  Node.ActionOf<O>,
  Node.Error<Start> | E1 | E2 | MaxStepsError<M> | DefaultsError<D>,
  Node.Services<Start> | R1 | R2 | DefaultsServices<D>,
  "own"
>
export function make<
  Start extends Node.Any,
  M extends number | undefined = undefined,
  D extends Defaults | undefined = undefined
>(
  options: Options<Start> & { readonly maxSteps?: M; readonly defaults?: D }
): Flow<
  Node.Action<Start>,
  Node.Error<Start> | MaxStepsError<M> | DefaultsError<D>,
  Node.Services<Start> | DefaultsServices<D>
>
export function make(options: {
  readonly name: string
  readonly start: Node.Any
  readonly maxSteps?: number | undefined
  readonly defaults?: Defaults | undefined
  readonly prep?: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly post?: ((prep: unknown, last: string) => Effect.Effect<string | void, unknown, unknown>) | undefined
}): Any {
  return fromInternal(internal.build(internal.define(options)))
}

type MaxStepsError<M> = M extends number ? MaxStepsExceeded : never

type Widen<Own, A, B> = Own extends "own" ? A : A | B

/**
 * Wires `from` to `to` on `action`. The action must be one of `from`'s actions, checked by the
 * compiler; a `from` whose action type widened to `string` does not compile (return `Node.action("x")`
 * from its post). Wiring costs O(1) and returns a new flow: the old value keeps its edges. Wiring the same
 * (node, action) twice, or adding a different node under a name the flow already uses, throws a
 * `FlowDefinitionError` naming the flow and the nodes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const check = Node.make({ name: "check", post: () => Node.action(Math.random() > 0.5 ? "ok" : "retry") })
 * const done = Node.make({ name: "done", exec: () => Effect.log("done") })
 * const flow = Flow.make({ name: "f", start: check }).pipe(
 *   Flow.on(check, "ok", done),
 *   Flow.on(check, "retry", check)
 *   // Flow.on(check, "oops", done) would not compile
 * )
 * ```
 * @category combinators
 * @stability stable
 * @since 0.1.0
 */
export const on: {
  <From extends Node.Any, Act extends Node.Action<From>, To extends Node.Any>(
    from: From,
    action: Act,
    to: To,
    ..._check: TypedActions<From>
  ): <A extends string, E, R, Own extends "edges" | "own">(
    self: Flow<A, E, R, Own>
  ) => Flow<
    Widen<Own, A, Node.Action<From> | Node.Action<To>>,
    E | Node.Error<From> | Node.Error<To>,
    R | Node.Services<From> | Node.Services<To>,
    Own
  >
  <
    A extends string,
    E,
    R,
    Own extends "edges" | "own",
    From extends Node.Any,
    Act extends Node.Action<From>,
    To extends Node.Any
  >(
    self: Flow<A, E, R, Own>,
    from: From,
    action: Act,
    to: To,
    ..._check: TypedActions<From>
  ): Flow<
    Widen<Own, A, Node.Action<From> | Node.Action<To>>,
    E | Node.Error<From> | Node.Error<To>,
    R | Node.Services<From> | Node.Services<To>,
    Own
  >
} = dual(
  4,
  (self: Any, from: Node.Any, action: string, to: Node.Any): Any =>
    fromInternal(
      internal.build(
        internal.addEdge(defOf(self, "Flow.on"), from as unknown as AnyNode, action, to as unknown as AnyNode)
      )
    )
)

/** The definition behind a flow value, or a TypeError when the pipe is applied to something else. */
const defOf = (self: unknown, api: string): FlowDef => {
  if (!isFlowInternal(self)) {
    throw new TypeError(`${api} must be applied to a flow made with Flow.make; got ${received(self)}`)
  }
  return self.def
}

/**
 * `[]` when `From`'s actions are string literals; an error tuple when they widened to `string`, where
 * a typo in the action would compile and silently end the flow.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, type Flow } from "effect-pocketflow"
 *
 * const typed = Node.make({ name: "typed", post: () => Node.action("go") })
 * const ok: Flow.TypedActions<typeof typed> = []
 * ```
 * @category utility types
 * @stability stable
 * @since 0.1.0
 */
export type TypedActions<From> = string extends Node.Action<From>
  ? [error: "this node's action type widened to string: return Node.action(\"x\") (or \"x\" as const) from its post"]
  : []

/**
 * Wires `from` to `to` on the `"default"` action (PocketFlow's `a >> b`). It does not compile when
 * `from` can never return `"default"`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const a = Node.make({ name: "a", exec: () => Effect.log("a") })
 * const b = Node.make({ name: "b", exec: () => Effect.log("b") })
 * const flow = Flow.make({ name: "ab", start: a }).pipe(Flow.next(a, b))
 * ```
 * @category combinators
 * @stability stable
 * @since 0.1.0
 */
export const next: {
  <From extends Node.Any, To extends Node.Any>(
    from: From,
    to: To,
    ..._check: string extends Node.Action<From> ? TypedActions<From>
      : "default" extends Node.Action<From> ? []
      : [error: "Flow.next: this node never returns \"default\""]
  ): <A extends string, E, R, Own extends "edges" | "own">(
    self: Flow<A, E, R, Own>
  ) => Flow<
    Widen<Own, A, Node.Action<From> | Node.Action<To>>,
    E | Node.Error<From> | Node.Error<To>,
    R | Node.Services<From> | Node.Services<To>,
    Own
  >
} = ((from: Node.Any, to: Node.Any) => (self: Any) =>
  fromInternal(
    internal.build(
      internal.addEdge(defOf(self, "Flow.next"), from as unknown as AnyNode, "default", to as unknown as AnyNode)
    )
  )) as any

/**
 * Declares `action` of `from` an exit of the flow: taking it ends the run, with no warning even when
 * `from` has edges for other actions (PocketFlow flows often end on "done" or "end"). `from` becomes
 * part of the flow. Declaring an exit for a wired (node, action), or wiring a declared exit, throws a
 * `FlowDefinitionError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const review = Node.make({ name: "review", post: () => Node.action(Math.random() > 0.5 ? "revise" : "done") })
 * const revise = Node.make({ name: "revise", exec: () => Effect.log("revising") })
 * const flow = Flow.make({ name: "essay", start: review }).pipe(
 *   Flow.on(review, "revise", revise),
 *   Flow.next(revise, review),
 *   Flow.end(review, "done") // ends the run quietly
 * )
 * ```
 * @category combinators
 * @stability stable
 * @since 0.1.0
 */
export const end: {
  <From extends Node.Any, Act extends Node.Action<From>>(
    from: From,
    action: Act,
    ..._check: TypedActions<From>
  ): <A extends string, E, R, Own extends "edges" | "own">(
    self: Flow<A, E, R, Own>
  ) => Flow<Widen<Own, A, Node.Action<From>>, E | Node.Error<From>, R | Node.Services<From>, Own>
  <A extends string, E, R, Own extends "edges" | "own", From extends Node.Any, Act extends Node.Action<From>>(
    self: Flow<A, E, R, Own>,
    from: From,
    action: Act,
    ..._check: TypedActions<From>
  ): Flow<Widen<Own, A, Node.Action<From>>, E | Node.Error<From>, R | Node.Services<From>, Own>
} = dual(
  3,
  (self: Any, from: Node.Any, action: string): Any =>
    fromInternal(internal.build(internal.addExit(defOf(self, "Flow.end"), from as unknown as AnyNode, action)))
)

/**
 * Runs a flow and returns its action. A flow is an Effect too, so `yield* flow` does the same.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const hello = Node.make({ name: "hello", exec: () => Effect.log("hello") })
 * Effect.runPromise(Flow.run(Flow.make({ name: "hi", start: hello }))) // "default"
 * ```
 * @category running
 * @stability stable
 * @since 0.1.0
 */
export const run = <A extends string, E, R, Own extends "edges" | "own">(
  flow: Flow<A, E, R, Own>
): Effect.Effect<A, E, R> => flow

/**
 * The options of `Flow.batch`.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Node, type Flow } from "effect-pocketflow"
 *
 * class Item extends Context.Service<Item, { readonly id: number }>()("app/Item") {}
 * const show = Node.make({ name: "show", prep: Item, exec: (item) => Effect.log(item.id) })
 * const options: Flow.BatchOptions<typeof show, Item, { readonly id: number }, never, never> = {
 *   name: "all",
 *   flow: show,
 *   params: Item,
 *   prep: Effect.succeed([{ id: 1 }, { id: 2 }])
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface BatchOptions<Inner extends Node.Any, I, S, E1, R1> {
  readonly name: string
  /** The flow (or node) run once per parameter set. */
  readonly flow: Inner
  /** The service each run gets its parameter set from. */
  readonly params: Context.Key<I, S>
  /** The parameter sets: an array or any other iterable, but not a string. */
  readonly prep: Effect.Effect<Node.Items<S>, E1, R1>
  /** How many runs at once: `1` (default, sequential), `n`, or `"unbounded"`. */
  readonly concurrency?: number | "unbounded" | undefined
}

/**
 * Runs `flow` once per parameter set from `prep`, providing each set as the `params` service (so the
 * batch flow's requirements exclude it). Nested batch flows provide theirs on top: an inner run sees
 * both. Its action is what `post` returns, or `"default"`.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * class FileParams extends Context.Service<FileParams, { readonly file: string }>()("app/FileParams") {}
 *
 * const summarize = Node.make({
 *   name: "summarize",
 *   prep: FileParams,
 *   exec: ({ file }) => Effect.log(`summarizing ${file}`)
 * })
 * const perFile = Flow.batch({
 *   name: "per-file",
 *   flow: summarize,
 *   params: FileParams,
 *   prep: Effect.succeed([{ file: "a.txt" }, { file: "b.txt" }]),
 *   concurrency: 2
 * })
 * // perFile: Node<"default", never, never>
 * ```
 * @category constructors
 * @stability stable
 * @since 0.1.0
 */
export function batch<Inner extends Node.Any, I, S, E1, R1, O extends string | void, E2 = never, R2 = never>(
  options: BatchOptions<Inner, I, S, E1, R1> & {
    /** Receives the parameter sets and each run's action, in order. */
    readonly post: (params: ReadonlyArray<S>, actions: ReadonlyArray<Node.Action<Inner>>) => Effect.Effect<O, E2, R2>
  }
): Node.Node<Node.ActionOf<O>, Node.Error<Inner> | E1 | E2, Exclude<Node.Services<Inner>, I> | R1 | R2>
export function batch<Inner extends Node.Any, I, S, E1, R1>(
  options: BatchOptions<Inner, I, S, E1, R1>
): Node.Node<"default", Node.Error<Inner> | E1, Exclude<Node.Services<Inner>, I> | R1>
export function batch(options: {
  readonly name: string
  readonly flow: Node.Any
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?:
    | ((params: ReadonlyArray<unknown>, actions: ReadonlyArray<any>) => Effect.Effect<string | void, unknown, unknown>)
    | undefined
}): Node.Any {
  return make_.batchFlow({ ...options, flow: options.flow as unknown as AnyNode }) as unknown as Node.Any
}

/**
 * The options of `Flow.parallel`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, type Flow } from "effect-pocketflow"
 *
 * const web = Node.make({ name: "web", exec: () => Effect.void })
 * const papers = Node.make({ name: "papers", exec: () => Effect.void })
 * const options: Flow.ParallelOptions<readonly [typeof web, typeof papers]> = {
 *   name: "research",
 *   branches: [web, papers],
 *   concurrency: 2
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface ParallelOptions<Branches extends ReadonlyArray<Node.Any>> {
  readonly name: string
  /** The nodes or flows to run at once: at least one, all different, with different names. */
  readonly branches: Branches
  /** How many branches run at once: `"unbounded"` (default, all of them) or `n`. */
  readonly concurrency?: number | "unbounded" | undefined
}

/**
 * The actions of a parallel block's branches, in branch order.
 *
 * @example
 * ```ts
 * import { Node, type Flow } from "effect-pocketflow"
 *
 * declare const a: Node.Node<"found" | "empty">
 * declare const b: Node.Node<"default">
 * type Actions = Flow.BranchActions<readonly [typeof a, typeof b]> // readonly ["found" | "empty", "default"]
 * ```
 * @category utility types
 * @stability stable
 * @since 0.2.0
 */
export type BranchActions<Branches extends ReadonlyArray<Node.Any>> = {
  readonly [K in keyof Branches]: Node.Action<Branches[K]>
}

/**
 * Runs different nodes or flows at once and joins them: fan-out, then fan-in. `post` receives the branches' actions
 * in branch order (whatever order they finished in) and picks the block's action; without it the action is
 * `"default"`. Errors and requirements are the union of the branches' and `post`'s. The branches share the run's
 * stores. A failing branch interrupts the others (their finalizers run) and fails the block with its error.
 * `concurrency` bounds the branches in flight (default `"unbounded"`). Events name each branch by its path
 * (`flow/research/web`), each branch runs in its own span, and a durable run records each finished branch, so a
 * resumed run does not run it again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const web = Node.make({
 *   name: "web",
 *   exec: () => Effect.succeed(3),
 *   post: (_, n) => Node.action(n > 0 ? "found" : "empty")
 * })
 * const papers = Node.make({ name: "papers", exec: () => Effect.log("searching papers") })
 * const research = Flow.parallel({
 *   name: "research",
 *   branches: [web, papers],
 *   post: ([fromWeb]) => Node.action(fromWeb === "found" ? "write" : "give-up")
 * })
 * // research: Node<"write" | "give-up", never, never>
 * ```
 * @category constructors
 * @stability stable
 * @since 0.2.0
 */
export function parallel<
  const Branches extends ReadonlyArray<Node.Any>,
  O extends string | void,
  E2 = never,
  R2 = never
>(
  options: ParallelOptions<Branches> & {
    /** Receives the branches' actions in branch order; returns the block's action. */
    readonly post: (actions: BranchActions<Branches>) => Effect.Effect<O, E2, R2>
  }
): Node.Node<Node.ActionOf<O>, Node.Error<Branches[number]> | E2, Node.Services<Branches[number]> | R2>
export function parallel<const Branches extends ReadonlyArray<Node.Any>>(
  options: ParallelOptions<Branches>
): Node.Node<"default", Node.Error<Branches[number]>, Node.Services<Branches[number]>>
export function parallel(options: {
  readonly name: string
  readonly branches: ReadonlyArray<Node.Any>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: ((actions: any) => Effect.Effect<string | void, unknown, unknown>) | undefined
}): Node.Any {
  return make_.parallel(options) as unknown as Node.Any
}

/**
 * Sends `data` to whoever observes the run, as a `FlowEvent.Custom { path, runs, node, data }` naming the node that
 * called it: a `Flow.events` subscriber, or `Durable.events`. Call it from any prep, exec or post, e.g. once per LLM
 * token. With nobody observing it does nothing (no allocation, no event built).
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Flow, FlowEvent, Node } from "effect-pocketflow"
 *
 * const count = Node.make({
 *   name: "count",
 *   exec: () => Effect.forEach([1, 2, 3], (n) => Flow.emit({ progress: n }), { discard: true })
 * })
 * const flow = Flow.make({ name: "counting", start: count })
 * const progress = Flow.events(flow).pipe(
 *   Stream.filter(FlowEvent.is("Custom")),
 *   Stream.map((event) => event.data),
 *   Stream.runCollect
 * )
 * // [{ progress: 1 }, { progress: 2 }, { progress: 3 }]
 * ```
 * @category events
 * @stability stable
 * @since 0.2.0
 */
export const emit: (data: unknown) => Effect.Effect<void> = observation.emitCustom

/**
 * The options of `Flow.events` (and `Durable.events`).
 *
 * @example
 * ```ts
 * import type { Flow } from "effect-pocketflow"
 *
 * // A monitor that must never slow the run: keep the latest 256 events, drop older ones.
 * const options: Flow.EventsOptions = { bufferSize: 256, strategy: "sliding" }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface EventsOptions {
  /** How many events the buffer between the run and its subscriber holds. Default 1024. */
  readonly bufferSize?: number | undefined
  /**
   * What a full buffer does. `"suspend"` (default, since 0.4.0): the run waits for the subscriber, so every event
   * arrives, in order. For monitors that must never slow the run: `"sliding"` drops the oldest events, keeping the
   * latest progress; `"dropping"` drops the newest, keeping the beginning of the run.
   */
  readonly strategy?: "suspend" | "sliding" | "dropping" | undefined
  /**
   * Also report every `LanguageModel` call in any node: `ModelDelta`, `ToolCalled`, `ToolResult`, `ModelFinished`,
   * with the node's path (the run's `LanguageModel` is wrapped for it; nodes call no `Flow.emit`). Default `false`.
   */
  readonly model?: boolean | undefined
}

/**
 * Runs a flow (or any node) and streams what happens: `FlowEvent`s for nodes starting and
 * finishing, retries, fallbacks, transitions, unmatched actions, batch progress, the `Custom` events nodes send
 * with `Flow.emit`, and the flow's end. A parallel block's branches report under its path (`flow/block/branch`).
 * The stream ends when the flow ends and fails with the flow's error (after its `FlowFailed` event).
 * Stopping the stream early interrupts the flow. With `{ model: true }` every `LanguageModel` call in any node is
 * reported too (`ModelDelta`, `ToolCalled`, `ToolResult`, `ModelFinished`), without the nodes calling `Flow.emit`.
 *
 * Events go through a buffer of `bufferSize` events (1024 by default). By default (`strategy: "suspend"`) a full
 * buffer makes the run wait for its subscriber — before its next step, its next batch item or branch, or in
 * `Flow.emit` — so a stream consumed at any speed gets every event, tokens included, in order, the run's final event
 * (`FlowFinished`/`FlowFailed`, or the node's own end) last. A monitor that must never slow the run picks
 * `"sliding"` or `"dropping"` (see `EventsOptions`): a full buffer then loses events, and an `EventsDropped` with
 * how many were lost comes just before the run's final event, which still ends the stream.
 *
 * @example
 * ```ts
 * import { Console, Effect, Stream } from "effect"
 * import { Flow, FlowEvent, Node } from "effect-pocketflow"
 *
 * const a = Node.make({ name: "a", post: () => Node.action("next") })
 * const b = Node.make({ name: "b", exec: () => Effect.log("b") })
 * const flow = Flow.make({ name: "ab", start: a }).pipe(Flow.on(a, "next", b))
 *
 * const program = Flow.events(flow).pipe(
 *   Stream.runForEach((event) => Console.log(FlowEvent.format(event)))
 * )
 * // ab: flow started
 * // ab/a: started (node)
 * // ab/a: finished with "next" in 0ms
 * // ab: a --next--> b
 * // ...
 * ```
 * @category events
 * @stability stable
 * @since 0.1.0
 */
export const events: {
  (
    options?: EventsOptions
  ): <A extends string, E, R>(flow: Node.Node<A, E, R>) => Stream.Stream<FlowEvent.FlowEvent, E, R>
  <A extends string, E, R>(flow: Node.Node<A, E, R>, options?: EventsOptions): Stream.Stream<FlowEvent.FlowEvent, E, R>
} = dual(
  // Data-last only for `Flow.events()` and `Flow.events(options)`: `Flow.events(undefined)` is a missing flow.
  (args) =>
    args.length > 0 &&
    !(typeof args[0] === "object" && args[0] !== null && !isNode(args[0]) && !Effect.isEffect(args[0])),
  <A extends string, E, R>(
    flow: Node.Node<A, E, R>,
    options?: EventsOptions
  ): Stream.Stream<FlowEvent.FlowEvent, E, R> => {
    if (!isNode(flow)) {
      throw new TypeError(`Flow.events: the first argument must be a flow or node to run; got ${received(flow)}`)
    }
    const root = flow as unknown as AnyNode
    const checked = subscriber.check(`Flow.events(${JSON.stringify(root.name)})`, options)
    const model = options?.model === true
    return subscriber.stream(
      { ...checked, path: root.name },
      (emit) =>
        Effect.withFiber((fiber) => {
          const run = observation.subscribing(observed.runRoot(root, observation.root(fiber, root, emit)))
          return model ? modelEvents.install(run) : run
        })
    ) as Stream.Stream<FlowEvent.FlowEvent, E, R>
  }
)

/**
 * Renders a flow as a Mermaid flowchart (`flowchart TD`): nodes by name, edges labelled with their
 * action (`"default"` edges unlabelled), nested flows and batch flows as subgraphs, batch nodes as
 * subroutine shapes, parallel blocks as subgraphs with their branches side by side above a `join`; batch
 * nodes, batch flows and parallel blocks show their concurrency. Names are escaped with
 * Mermaid's `#code;` entities, and node ids are built from the path below the flow, so nested flows
 * may reuse names.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const decide = Node.make({ name: "decide", post: () => Node.action(Math.random() > 0.5 ? "search" : "answer") })
 * const search = Node.make({ name: "search", exec: () => Effect.void })
 * const answer = Node.make({ name: "answer", exec: () => Effect.void })
 * const agent = Flow.make({ name: "agent", start: decide }).pipe(
 *   Flow.on(decide, "search", search),
 *   Flow.on(decide, "answer", answer),
 *   Flow.next(search, decide)
 * )
 * console.log(Flow.toMermaid(agent))
 * // flowchart TD
 * //   decide["decide"]
 * //   search["search"]
 * //   answer["answer"]
 * //   decide -->|"search"| search
 * //   decide -->|"answer"| answer
 * //   search --> decide
 * ```
 * @category rendering
 * @stability stable
 * @since 0.1.0
 */
export const toMermaid = (flow: Node.Any): string => mermaid.render(flow as unknown as AnyNode)
