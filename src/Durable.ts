/**
 * Durable runs: a flow run that saves its position and its stores after every completed step, so it survives a crash
 * (`kill -9`), a deploy, or a wait of days for a human, and continues where it stopped.
 *
 * Run ids are non-empty, well-formed strings (no lone surrogates) of at most 512 characters
 * (`Checkpointer.maxRunIdLength`). An invalid id is a programming error: every function here that takes a run id
 * throws a `TypeError` at the call, naming the function and the id (checkpointers die with the same `TypeError`). The
 * one exception is an answer token, which comes from outside: one naming an invalid id fails with `NotWaiting`.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Cron from "effect/Cron"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaRepresentation from "effect/SchemaRepresentation"
import * as Stream from "effect/Stream"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import * as Workflow from "effect/workflow/Workflow"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { Checkpointer } from "./Checkpointer.ts"
import type * as CheckpointerNs from "./Checkpointer.ts"
import {
  AlreadyAnswered,
  CheckpointError,
  type ChildFailed,
  type InputTimeout,
  NotWaiting,
  RunExists,
  RunFailed,
  type RunLocked,
  RunNotFound
} from "./Errors.ts"
import type { EventsOptions } from "./Flow.ts"
import type * as FlowEvent from "./FlowEvent.ts"
import { checkRunId, isWaiting, kindOf, runIdProblem } from "./internal/checkpointer/service.ts"
import * as ask from "./internal/durable/ask.ts"
import * as details from "./internal/durable/details.ts"
import * as executor from "./internal/durable/executor.ts"
import * as snapshot from "./internal/durable/snapshot.ts"
import * as step from "./internal/durable/step.ts"
import * as waits from "./internal/durable/waits.ts"
import { wake } from "./internal/durable/wake.ts"
import * as workerNs from "./internal/durable/worker.ts"
import * as workflowHost from "./internal/durable/workflow.ts"
import type { Json } from "./internal/json.ts"
import * as modelEvents from "./internal/model/events.ts"
import type { AnyNode } from "./internal/node.ts"
import * as subscriber from "./internal/subscriber.ts"
import type * as Node from "./Node.ts"
import type * as Shared from "./Shared.ts"

// ---------------------------------------------------------------------------------------------------
// human input
// ---------------------------------------------------------------------------------------------------

/**
 * The service `ask` needs: `Durable.run` provides it to the steps it runs; `Durable.layerAnswers` provides one that
 * answers inline, for tests and terminal programs running a plain `Flow.run`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const Ok = Durable.input("ok", { answer: Schema.Boolean })
 * const asked: Effect.Effect<boolean, never, Durable.Run> = Ok.ask()
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export const Run = ask.Run
/**
 * The `Durable.Run` service key's type (see `Run`): the requirement of an effect that asks for human input.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import type { Durable } from "effect-pocketflow"
 *
 * declare const review: Effect.Effect<boolean, never, Durable.Run>
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export type Run = ask.Run

/**
 * Options of `ask`: `key` names one of several concurrent asks of the same input inside one exec (sequential asks
 * are numbered for you); `timeout` fails the ask with `InputTimeout` when nobody answered in time.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const options: Durable.AskOptions = { key: "left", timeout: "2 days" }
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export interface AskOptions {
  readonly key?: string | undefined
  readonly timeout?: Duration.Input | undefined
}

/**
 * A human input: its name, the answer's schema, and the prompt's schema (`void` when declared without one).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })
 * const step = Effect.gen(function*() {
 *   const { ok } = yield* Approval.ask("Publish this draft?")
 *   return ok
 * })
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export interface Input<out Name extends string, A, P> {
  readonly name: Name
  readonly answer: Schema.Codec<A, any, never, never>
  readonly prompt: Schema.Codec<P, any, never, never> | undefined
  /** The answer's JSON Schema document, kept in waiting records. */
  readonly answerSchema: Json
  readonly ask: [P] extends [void] ? {
      (options: AskOptions & { readonly timeout: Duration.Input }): Effect.Effect<A, InputTimeout, Run>
      (options?: AskOptions): Effect.Effect<A, never, Run>
    }
    : {
      (prompt: P, options: AskOptions & { readonly timeout: Duration.Input }): Effect.Effect<A, InputTimeout, Run>
      (prompt: P, options?: AskOptions): Effect.Effect<A, never, Run>
    }
}

/**
 * Declares a human input. Inside any prep, exec or post of a durable run, `yield* Input.ask(prompt)` returns the
 * answer when the run's inbox has one for this position and prompt; otherwise the run suspends (saved with its waiting
 * inputs) and `Durable.run` returns `Suspended`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const Approval = Durable.input("approval", {
 *   answer: Schema.Struct({ ok: Schema.Boolean, note: Schema.String }),
 *   prompt: Schema.String
 * })
 * const Confirm = Durable.input("confirm", { answer: Schema.Boolean }) // asked with Confirm.ask()
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export const input = <const Name extends string, A, P = void>(
  name: Name,
  options: {
    readonly answer: Schema.Codec<A, any, never, never>
    readonly prompt?: Schema.Codec<P, any, never, never> | undefined
  }
): Input<Name, A, P> => {
  if (typeof name !== "string" || name.length === 0 || /[/#]/.test(name)) {
    throw new TypeError(
      `Durable.input: the name must be a non-empty string without "/" or "#" (got ${JSON.stringify(name)})`
    )
  }
  if (!Schema.isSchema(options?.answer)) {
    throw new TypeError(`Durable.input ${JSON.stringify(name)}: answer must be an effect/Schema`)
  }
  if (options.prompt !== undefined && !Schema.isSchema(options.prompt)) {
    throw new TypeError(`Durable.input ${JSON.stringify(name)}: prompt must be an effect/Schema when given`)
  }
  const def: step.InputDef = {
    name,
    answer: options.answer,
    prompt: options.prompt,
    answerSchema: Schema.toJsonSchemaDocument(options.answer) as unknown as Json
  }
  ask.declare(def)
  const hasPrompt = options.prompt !== undefined
  const asking = (...args: ReadonlyArray<unknown>) => {
    const prompt = hasPrompt ? args[0] : undefined
    const opts = (hasPrompt ? args[1] : args[0]) as AskOptions | undefined
    const timeout = opts?.timeout === undefined ? undefined : Duration.toMillis(opts.timeout)
    return Effect.flatMap(Effect.service(Run), (run) => run.ask(def, prompt, { key: opts?.key, timeout }))
  }
  return { ...def, name, ask: asking } as unknown as Input<Name, A, P>
}

/**
 * Answers `input` inline with `f(prompt)`, providing `Durable.Run` for a plain `Flow.run` (tests, terminal programs).
 * Layers for different inputs stack when provided one over the other; an input nobody answers is a defect naming it.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable, Flow, Node } from "effect-pocketflow"
 *
 * const Ok = Durable.input("ok", { answer: Schema.Boolean, prompt: Schema.String })
 * const check = Node.make({ name: "check", exec: () => Ok.ask("Go on?") })
 * const program = Flow.run(Flow.make({ name: "f", start: check })).pipe(
 *   Effect.provide(Durable.layerAnswers(Ok, () => Effect.succeed(true)))
 * )
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export const layerAnswers = <Name extends string, A, P, E = never, R = never>(
  input: Input<Name, A, P>,
  answer: (prompt: P) => Effect.Effect<A, E, R>
): Layer.Layer<Run, never, R> =>
  Layer.effect(
    Run,
    Effect.map(
      Effect.zip(Effect.serviceOption(Run), Effect.context<R>()),
      ([outer, context]) =>
        inline(outer, "Durable.layerAnswers", {
          ask: (def, prompt, options) => {
            if (def.name === input.name) return Effect.provideContext(Effect.orDie(answer(prompt as P)), context)
            if (Option.isSome(outer)) return outer.value.ask(def, prompt, options)
            return Effect.die(new Error(`Durable.layerAnswers: nobody answers the input ${JSON.stringify(def.name)}`))
          }
        })
    )
  )

/**
 * A `Durable.Run` for plain runs (`layerAnswers`, `layerTimers`): `own` handles what it handles, the rest goes to the
 * layer below, if any; with none, it is a defect naming what was asked.
 */
const inline = (
  outer: Option.Option<Run["Service"]>,
  who: string,
  own: Partial<Run["Service"]>
): Run["Service"] => ({
  ask: own.ask ?? ((def, prompt, options) =>
    Option.isSome(outer)
      ? outer.value.ask(def, prompt, options)
      : Effect.die(new Error(`${who}: nobody answers the input ${JSON.stringify(def.name)}`))),
  sleep: own.sleep ?? ((wake) =>
    Option.isSome(outer)
      ? outer.value.sleep(wake)
      : Effect.die(
        new Error(`${who}: Durable.sleep needs a durable run, or Durable.layerTimers under a plain Flow.run`)
      )),
  child: own.child ?? ((request) =>
    Option.isSome(outer)
      ? outer.value.child(request)
      : Effect.die(
        new Error(
          `${who}: Durable.child ${JSON.stringify(request.id)} needs a durable run (Durable.run, or a worker): ` +
            `a plain Flow.run cannot wait for another run`
        )
      ))
})

// ---------------------------------------------------------------------------------------------------
// timers
// ---------------------------------------------------------------------------------------------------

/**
 * A durable timer inside any prep, exec or post: the run suspends with status "sleeping" and a wake-up time (the
 * waiting record's `until`), saved, so the sleep survives a crash or a restart; continuing the run before that time
 * suspends it again without running anything, and after it the sleep returns. The wake-up time is fixed by the first
 * sleep of its key (`path#visit/sleep#n`, numbered like an input's asks): a step that runs again does not start its
 * timer over. A worker (`Durable.worker`) continues the run when it is due; under a plain `Flow.run`,
 * `Durable.layerTimers` sleeps in process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Durable, Node } from "effect-pocketflow"
 *
 * const remind = Node.make({
 *   name: "remind",
 *   exec: () => Effect.andThen(Durable.sleep("3 days"), Effect.log("three days later"))
 * })
 * ```
 * @category timers
 * @stability experimental
 * @since 0.4.0
 */
export const sleep = (duration: Duration.Input): Effect.Effect<void, never, Run> => {
  const millis = Duration.toMillis(Duration.fromInputUnsafe(duration))
  if (!(millis >= 0) || !Number.isFinite(millis)) {
    throw new RangeError(`Durable.sleep: the duration must be finite and not negative (got ${String(duration)})`)
  }
  return Effect.flatMap(Effect.service(Run), (run) => run.sleep({ duration: millis }))
}

/**
 * A durable timer until a point in time (a `Date` or a `DateTime`): like `Durable.sleep`; a time already past returns
 * at once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Durable, Node } from "effect-pocketflow"
 *
 * const waitForDeadline = Node.make({
 *   name: "wait",
 *   exec: () => Durable.sleepUntil(new Date("2030-01-01T09:00:00Z"))
 * })
 * ```
 * @category timers
 * @stability experimental
 * @since 0.4.0
 */
export const sleepUntil = (date: Date | DateTime.DateTime): Effect.Effect<void, never, Run> => {
  const until = date instanceof Date ? date.getTime() : DateTime.toEpochMillis(date)
  if (!Number.isFinite(until)) throw new RangeError(`Durable.sleepUntil: not a valid time (got ${String(date)})`)
  return Effect.flatMap(Effect.service(Run), (run) => run.sleep({ until }))
}

/**
 * Provides `Durable.Run` for a plain `Flow.run` whose nodes sleep: `Durable.sleep` sleeps on the `Clock` in process
 * (`TestClock` in tests). It stacks with `Durable.layerAnswers` (either over the other).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Durable, Flow, Node } from "effect-pocketflow"
 *
 * const nap = Node.make({ name: "nap", exec: () => Durable.sleep("1 second") })
 * const program = Flow.run(Flow.make({ name: "f", start: nap })).pipe(Effect.provide(Durable.layerTimers))
 * ```
 * @category timers
 * @stability experimental
 * @since 0.4.0
 */
export const layerTimers: Layer.Layer<Run> = Layer.effect(
  Run,
  Effect.map(Effect.serviceOption(Run), (outer) =>
    inline(outer, "Durable.layerTimers", {
      sleep: (wake) =>
        "duration" in wake
          ? Effect.sleep(wake.duration)
          : Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Math.max(0, wake.until - now)))
    }))
)

/**
 * The step key of the running exec: run id, step position and visit (e.g. `essay-42:essay/publish#1`). Use it as an
 * idempotency key for side effects: a step in flight at a crash runs again, with the same key. `undefined` outside a
 * durable run.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Durable, Node } from "effect-pocketflow"
 *
 * const publish = Node.make({
 *   name: "publish",
 *   exec: () => Effect.flatMap(Durable.StepKey, (key) => Effect.log(`publishing with idempotency key ${key}`))
 * })
 * ```
 * @category running
 * @stability stable
 * @since 0.2.0
 */
export const StepKey: Context.Reference<string | undefined> = step.StepKey

// ---------------------------------------------------------------------------------------------------
// outcomes
// ---------------------------------------------------------------------------------------------------

/**
 * An input a suspended run waits for, as returned in `Outcome.Suspended`.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const show = (w: Durable.WaitingInput) => `${w.input} at ${w.path}: ${JSON.stringify(w.prompt)}`
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type WaitingInput = executor.WaitingInput

/**
 * How a call to `Durable.run` / `resume` ended: the run is done, suspended waiting for input, or interrupted.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const say = (o: Durable.Outcome<string>) =>
 *   o._tag === "Done"
 *     ? `done: ${o.action}`
 *     : o._tag === "Suspended" ? `waiting for ${o.waiting.length}` : "interrupted"
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Outcome<A> = executor.Outcome<A>

/**
 * A saved version of a run (see `Checkpointer.Snapshot`).
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const line = (s: Durable.Snapshot) => `${s.id} v${s.version}: ${s.status}`
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type Snapshot = CheckpointerNs.Snapshot

type SelfOf<T> = T extends Shared.Initial<infer Self, infer _S> ? Self
  : T extends Shared.SchemaServiceClass<infer Self, infer _Id, infer _S> ? Self
  : never

/**
 * Options of `Durable.run` and `Durable.resume`.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const options: Durable.LeaseOptions = { lease: "1 minute", takeover: "force" }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface LeaseOptions {
  /** How long the run's claim lasts without a heartbeat (default 30 seconds); renewed every third of it. */
  readonly lease?: Duration.Input | undefined
  /** `"force"` takes the run from a live owner (after a known crash). */
  readonly takeover?: "force" | undefined
}

/**
 * The options of `Durable.run`, `resume` and `events`: the run id, its stores (`Store.initial(state)` to start,
 * the store classes to resume) and its lease.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const options: Durable.RunOptions<readonly [Shared.Initial<Store, { readonly n: number }>]> = {
 *   id: "count-1",
 *   stores: [Store.initial({ n: 0 })]
 * }
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface RunOptions<Stores> extends LeaseOptions {
  readonly id: string
  readonly stores: Stores
}

/** What a durable run needs: the flow's services but `Durable.Run` and the listed stores, plus a checkpointer. */
type RunServices<R, Stores extends ReadonlyArray<unknown>> = Exclude<R, Run | SelfOf<Stores[number]>> | Checkpointer

const checkStores = (where: string, stores: ReadonlyArray<Shared.AnySchemaService>) => {
  const seen = new Set<string>()
  for (const store of stores) {
    if (typeof store !== "function" || !Schema.isSchema((store as { schema?: unknown }).schema)) {
      throw new TypeError(
        `${where}: every store in "stores" must be declared with a schema (Shared.Service<Self>()(key, { schema }))`
      )
    }
    if (seen.has(store.key)) throw new TypeError(`${where}: the store ${JSON.stringify(store.key)} is listed twice`)
    seen.add(store.key)
  }
}

// ---------------------------------------------------------------------------------------------------
// run, resume
// ---------------------------------------------------------------------------------------------------

/**
 * Starts the durable run `id` if it does not exist (its stores built from the given initial states) and otherwise
 * continues it from its checkpoint (the initial states are then ignored). A done run returns its `Done` outcome and
 * runs nothing; an interrupted one returns `Interrupted`; a failed one fails with `RunFailed` and is not re-executed
 * (use `Durable.resume`). The listed stores are built and saved by the run, and leave the flow's requirements.
 * A run belongs to the flow that started it: under a flow of another name every call fails with `CheckpointError`
 * (reason "flow mismatch"), and every call checks the saved position against the flow ("wiring mismatch"), a poll of
 * a waiting run included.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const flow = Flow.make({ name: "count", start: inc })
 *
 * const program = Durable.run(flow, { id: "count-1", stores: [Store.initial({ n: 0 })] }).pipe(
 *   Effect.provide(Checkpointer.layerMemory)
 * )
 * ```
 * @category running
 * @stability stable
 * @since 0.2.0
 */
export const run = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.Initial<any, any>>
>(
  flow: Node.Node<A, E, R>,
  options: RunOptions<Stores>
): Effect.Effect<Outcome<A>, E | CheckpointError | RunLocked | RunFailed, RunServices<R, Stores>> => {
  checkStarting("Durable.run", options)
  return executor.execute(flow as unknown as AnyNode, {
    id: options.id,
    mode: "run",
    initial: options.stores,
    stores: [],
    lease: options.lease,
    takeover: options.takeover,
    emit: undefined
  }) as any
}

/**
 * Continues an existing run from its checkpoint, including a failed run (from the step that failed). `stores` lists
 * the store classes (their states come from the checkpoint). `RunNotFound` when there is no such run.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * declare const flow: Flow.Flow<"default", never, Store>
 * const again = Durable.resume(flow, { id: "count-1", stores: [Store] })
 * ```
 * @category running
 * @stability stable
 * @since 0.2.0
 */
export const resume = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.AnySchemaService>
>(
  flow: Node.Node<A, E, R>,
  options: RunOptions<Stores>
): Effect.Effect<Outcome<A>, E | CheckpointError | RunLocked | RunNotFound, RunServices<R, Stores>> => {
  checkId("Durable.resume", options?.id)
  checkStores(`Durable.resume ${JSON.stringify(options.id)}`, options.stores)
  return executor.execute(flow as unknown as AnyNode, {
    id: options.id,
    mode: "resume",
    initial: [],
    stores: options.stores,
    lease: options.lease,
    takeover: options.takeover,
    emit: undefined
  }) as any
}

/** Run ids are checked at every call that takes one (see `maxRunIdLength`): an invalid one throws a TypeError. */
const checkId = checkRunId

/** The options of a call that may start a run: an id, and the stores as `Store.initial(state)`. */
const checkStarting = (
  where: string,
  options: { readonly id: string; readonly stores: ReadonlyArray<Shared.Initial<any, any>> }
) => {
  checkId(where, options?.id)
  const call = `${where} ${JSON.stringify(options.id)}`
  if (!Array.isArray(options.stores)) throw new TypeError(`${call}: stores must be an array`)
  for (const initial of options.stores) {
    if (initial?._tag !== "Initial") {
      throw new TypeError(`${call}: list stores as Store.initial(state) (a store declared with a schema)`)
    }
  }
  checkStores(call, options.stores.map((i) => i.store))
}

/**
 * The run as a stream of `FlowEvent`s (like `Flow.events`): node events, transitions, and the durable ones
 * (`CheckpointSaved`, `Suspended`, `Resumed`, `AnswerStale`, `AnswerRejected`); with `model: true` also the model
 * events (`ModelDelta`, `ToolCalled`, `ToolResult`, `ModelFinished`). It starts or continues the run like
 * `Durable.run`. `bufferSize` and `strategy` work as in `Flow.events`: by default (`"suspend"`) a full buffer makes
 * the run wait for the subscriber, so every event arrives, in order; `"sliding"`/`"dropping"` are for monitors that
 * must never slow the run.
 *
 * @example
 * ```ts
 * import { Console, Effect, Schema, Stream } from "effect"
 * import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const flow = Flow.make({ name: "count", start: inc })
 * const program = Durable.events(flow, { id: "c", stores: [Store.initial({ n: 0 })] }).pipe(
 *   Stream.runForEach((e) => Console.log(FlowEvent.format(e))),
 *   Effect.provide(Checkpointer.layerMemory)
 * )
 * ```
 * @category running
 * @stability stable
 * @since 0.2.0
 */
export const events = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.Initial<any, any>>
>(
  flow: Node.Node<A, E, R>,
  options: RunOptions<Stores> & EventsOptions & {
    /** Also report every `LanguageModel` call in any node, as `Flow.events(flow, { model: true })` does. */
    readonly model?: boolean | undefined
  }
): Stream.Stream<FlowEvent.FlowEvent, E | CheckpointError | RunLocked | RunFailed, RunServices<R, Stores>> => {
  checkStarting("Durable.events", options)
  const checked = subscriber.check(`Durable.events ${JSON.stringify(options.id)}`, options)
  const withModel = options.model === true ? modelEvents.install : <X>(self: X) => self
  return subscriber.stream(
    { ...checked, path: flow.name },
    (emit) =>
      withModel(executor.execute(flow as unknown as AnyNode, {
        id: options.id,
        mode: "run",
        initial: options.stores,
        stores: [],
        lease: options.lease,
        takeover: options.takeover,
        emit
      }))
  ) as any
}

// ---------------------------------------------------------------------------------------------------
// child runs, starting, workers, schedules
// ---------------------------------------------------------------------------------------------------

/** The stores' encodings by key (a state its schema cannot encode is a programming error: a defect). */
const encodeInitial = (stores: ReadonlyArray<Shared.Initial<any, any>>) =>
  Effect.sync(() => {
    const out: Record<string, Json> = {}
    for (const initial of stores) {
      const store = initial.store as Shared.AnySchemaService
      out[store.key] = Schema.encodeSync(store.schema as Schema.Codec<unknown, unknown, never, never>)(
        initial.state
      ) as Json
    }
    return out
  })

/**
 * Starts (or joins) the child run `id` of `flow` from inside a node of a durable run, and waits for its outcome: the
 * parent suspends with status "waiting" (its waiting record has `kind: "child"` and the child's id) until the child
 * ends; then this returns the child's `Done` or `Interrupted` outcome, or fails with `ChildFailed` when the child
 * failed. The child is queued (like `Durable.start`) with this run as its `parent`; a worker hosting its flow runs it,
 * and its last save makes the parent due. The id makes it idempotent: a parent that runs the step again (after a
 * crash, or a later suspension) joins the child it started instead of starting a second one. Interrupting the parent
 * interrupts its children. An id of an existing run of another flow is `CheckpointError` ("flow mismatch"); one of a
 * run still going that is not this run's child is `ChildFailed`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable, Flow, Node, Shared } from "effect-pocketflow"
 *
 * class Mail extends Shared.Service<Mail>()("app/Mail", { schema: Schema.Struct({ to: Schema.String }) }) {}
 * declare const send: Flow.Flow<"default", never, Mail>
 *
 * const notify = Node.make({
 *   name: "notify",
 *   exec: () => Durable.child(send, { id: "digest-1/alice", stores: [Mail.initial({ to: "alice" })] })
 * })
 * ```
 * @category child runs
 * @stability experimental
 * @since 0.4.0
 */
export const child = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.Initial<any, any>>
>(
  flow: Node.Node<A, E, R>,
  options: { readonly id: string; readonly stores: Stores }
): Effect.Effect<Outcome<A>, ChildFailed | CheckpointError, Run> => {
  checkStarting("Durable.child", options)
  const name = flow.name
  return Effect.flatMap(
    encodeInitial(options.stores),
    (stores) => Effect.flatMap(Effect.service(Run), (run) => run.child({ flow: name, id: options.id, stores }))
  ) as Effect.Effect<Outcome<A>, ChildFailed | CheckpointError, Run>
}

/**
 * What `Durable.start` did: created the run, or found it (`created: false`; the call changed nothing).
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const say = (s: Durable.Started) => s.created ? `queued ${s.id}` : `${s.id} exists already`
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export interface Started {
  readonly id: string
  readonly created: boolean
}

/**
 * Records the run `id` of `flow` as queued (status "running", version 1, nobody holding it, its stores from the given
 * initial states) and returns at once: a worker hosting the flow (`Durable.worker`) runs it. Idempotent by id: when
 * the run exists it changes nothing and says so (`created: false`); a run of another flow under that id is
 * `CheckpointError` ("flow mismatch"). For servers and schedulers.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable, Flow, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ topic: Schema.String }) }) {}
 * declare const essay: Flow.Flow<"default", never, Store>
 * const queued = Durable.start(essay, { id: "essay-43", stores: [Store.initial({ topic: "cron" })] })
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const start = <A extends string, E, R, const Stores extends ReadonlyArray<Shared.Initial<any, any>>>(
  flow: Node.Node<A, E, R>,
  options: { readonly id: string; readonly stores: Stores }
): Effect.Effect<Started, CheckpointError, Checkpointer> => {
  checkStarting("Durable.start", options)
  const name = flow.name
  return Effect.gen(function*() {
    const cp = yield* Checkpointer
    const stores = yield* encodeInitial(options.stores)
    const now = yield* Clock.currentTimeMillis
    const found = yield* waits.startRun(cp, waits.queued(options.id, name, stores, now, undefined))
    if (found === undefined) return { id: options.id, created: true }
    if (found.flow !== name) return yield* waits.flowMismatch(options.id, found.flow, name)
    return { id: options.id, created: false }
  })
}

/**
 * A flow a worker may host (`Durable.register`): the flow, and the store classes its runs are restored with. `R` is
 * what its nodes need besides those stores and `Durable.Run`: the worker's requirements.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const named = (r: Durable.Registered<unknown>) => r.name
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export interface Registered<out R = never> {
  readonly _tag: "Registered"
  /** The flow's name: a worker hosts the runs saved under it. */
  readonly name: string
  readonly stores: ReadonlyArray<Shared.AnySchemaService>
  /** What the worker runs (the flow and its stores). */
  readonly hosted: workerNs.Hosted
  /** Type-level only: what the flow's nodes need. */
  readonly "~requirements"?: R | undefined
}

/**
 * Makes `flow` one a worker may host: `stores` lists its store classes (declared with a schema), from which its runs
 * are restored. A worker refuses two different flows of one name (a run records only its flow's name); a run continues
 * only under the flow of its name (`CheckpointError`, "flow mismatch", otherwise).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable, Flow, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ topic: Schema.String }) }) {}
 * declare const essay: Flow.Flow<"default", never, Store>
 * const hosted = Durable.register(essay, { stores: [Store] })
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const register = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.AnySchemaService>
>(
  flow: Node.Node<A, E, R>,
  options: { readonly stores: Stores }
): Registered<Exclude<R, Run | StoreSelf<Stores[number]>>> => {
  const root = flow as unknown as AnyNode
  if (typeof root?.name !== "string") throw new TypeError("Durable.register: the first argument must be a flow")
  if (!Array.isArray(options?.stores)) {
    throw new TypeError(`Durable.register ${JSON.stringify(root.name)}: stores must be an array of store classes`)
  }
  checkStores(`Durable.register ${JSON.stringify(root.name)}`, options.stores)
  return { _tag: "Registered", name: root.name, stores: options.stores, hosted: { flow: root, stores: options.stores } }
}

/**
 * A cron schedule a worker runs (`Durable.schedule`): at every tick it starts one run of the flow, whose id is
 * `${name}@${tick.toISOString()}`. It registers its flow too.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const named = (s: Durable.Scheduled<unknown>) => `${s.name} runs ${s.flow}`
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export interface Scheduled<out R = never> {
  readonly _tag: "Scheduled"
  /** The schedule's name: the prefix of its runs' ids. */
  readonly name: string
  /** The flow's name. */
  readonly flow: string
  readonly cron: Cron.Cron
  /** What the worker runs (the flow and its stores). */
  readonly hosted: workerNs.Hosted
  /** How the worker starts a tick's run. */
  readonly schedule: workerNs.ScheduleDef
  /** Type-level only: what the flow's nodes need. */
  readonly "~requirements"?: R | undefined
}

/**
 * A run of `flow` at every tick of an effect `Cron`, started by the workers that list the schedule in `flows`: the run
 * id is `${name}@${tick.toISOString()}` and its stores are `stores(tick)`, so of any number of workers exactly one
 * creates each tick's run (the others find it). A worker that starts catches up the latest tick at or before its
 * start, once, and every tick after it. `stores` is also called once here, with the epoch, to learn the store classes
 * (as `Durable.register` takes them).
 *
 * @example
 * ```ts
 * import { Cron, Schema } from "effect"
 * import { Durable, Flow, Shared } from "effect-pocketflow"
 *
 * class Day extends Shared.Service<Day>()("app/Day", { schema: Schema.Struct({ date: Schema.String }) }) {}
 * declare const digest: Flow.Flow<"default", never, Day>
 * const daily = Durable.schedule(digest, {
 *   name: "digest",
 *   cron: Cron.parseUnsafe("0 8 * * *", "UTC"),
 *   stores: (tick) => [Day.initial({ date: tick.toISOString().slice(0, 10) })]
 * })
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const schedule = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.Initial<any, any>>
>(
  flow: Node.Node<A, E, R>,
  options: { readonly name: string; readonly cron: Cron.Cron; readonly stores: (tick: Date) => Stores }
): Scheduled<Exclude<R, Run | SelfOf<Stores[number]>>> => {
  const root = flow as unknown as AnyNode
  const name = options?.name
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("Durable.schedule: name must be a non-empty string (it prefixes the runs' ids)")
  }
  const where = `Durable.schedule ${JSON.stringify(name)}`
  if (!Cron.isCron(options.cron)) throw new TypeError(`${where}: cron must be an effect Cron (Cron.parse, Cron.make)`)
  if (typeof options.stores !== "function") {
    throw new TypeError(`${where}: stores must be a function of the tick's Date returning [Store.initial(state), …]`)
  }
  const sample = options.stores(new Date(0))
  checkStarting(where, { id: workerNs.tickId(name, new Date(0)), stores: sample })
  const stores = sample.map((i) => i.store as Shared.AnySchemaService)
  const hosted = { flow: root, stores }
  return {
    _tag: "Scheduled",
    name,
    flow: root.name,
    cron: options.cron,
    hosted,
    schedule: {
      name,
      cron: options.cron,
      flow: root,
      stores: (tick) => options.stores(tick).map((i) => ({ store: i.store as executor.SchemaStore, state: i.state }))
    }
  }
}

/**
 * What a worker reports to `onEvent`: `Claimed`, `Continued` (the call's `outcome`, or its `failure` rendered),
 * `Released`, `Scheduled` (it created a cron tick's run), and, with `observe: true`, `RunEvent` (every `FlowEvent` of
 * the runs it hosts, with the run id). Each carries the worker's name and the run id.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const line = (e: Durable.WorkerEvent) => e._tag === "RunEvent" ? `${e.id}: ${e.event._tag}` : `${e._tag} ${e.id}`
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export type WorkerEvent = workerNs.WorkerEvent

/**
 * The constructors and matchers of `WorkerEvent` (`Data.taggedEnum`).
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const isClaim = Durable.WorkerEvent.$is("Claimed")
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const WorkerEvent = workerNs.WorkerEvent

/**
 * Options of `Durable.worker` and `Durable.layerWorker`.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * declare const hosted: Durable.Registered<never>
 * const options: Durable.WorkerOptions<readonly [Durable.Registered<never>]> = {
 *   flows: [hosted],
 *   concurrency: 4,
 *   poll: "500 millis",
 *   onEvent: (e) => console.log(e._tag, e.id)
 * }
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export interface WorkerOptions<Flows extends ReadonlyArray<Registered<any> | Scheduled<any>>> {
  /** The flows it hosts (`Durable.register`) and the schedules it runs (`Durable.schedule`). */
  readonly flows: Flows
  /** How many runs it continues at once (default 10). */
  readonly concurrency?: number | undefined
  /** How often it asks for due runs when nothing wakes it sooner (default 1 second). */
  readonly poll?: Duration.Input | undefined
  /** The lease of each run it continues (default 30 seconds), renewed every third of it. */
  readonly lease?: Duration.Input | undefined
  /** Its name, in lease owners (`<name>#<n>`), events, logs and spans (default `worker-<random>`). */
  readonly name?: string | undefined
  /** Called, synchronously, for each `WorkerEvent`: keep it quick and let it not throw. */
  readonly onEvent?: ((event: WorkerEvent) => void) | undefined
  /** Also report every `FlowEvent` of the runs it hosts, as `RunEvent` (default false: runs are not observed). */
  readonly observe?: boolean | undefined
}

type WorkerRequirements<F> = F extends Registered<infer R> ? R : F extends Scheduled<infer R> ? R : never

const positive = (where: string, option: string, value: Duration.Input | undefined, fallback: Duration.Input) => {
  const millis = Duration.toMillis(Duration.fromInputUnsafe(value ?? fallback))
  if (!(millis > 0) || !Number.isFinite(millis)) {
    throw new RangeError(`${where}: ${option} must be a positive, finite duration (got ${String(value)})`)
  }
  return millis
}

/** The worker's configuration from its options, checked (a bad option throws at the call). */
const workerConfig = (options: WorkerOptions<ReadonlyArray<Registered<any> | Scheduled<any>>>): workerNs.Config => {
  const where = "Durable.worker"
  if (!Array.isArray(options?.flows)) {
    throw new TypeError(`${where}: flows must be an array of Durable.register(…) and Durable.schedule(…) values`)
  }
  const hosted = new Map<string, workerNs.Hosted>()
  const schedules: Array<workerNs.ScheduleDef> = []
  const host = (h: workerNs.Hosted) => {
    const name = h.flow.name
    const known = hosted.get(name)
    if (known === undefined) return void hosted.set(name, h)
    if (known.flow !== h.flow) {
      throw new TypeError(
        `${where}: two different flows are named ${JSON.stringify(name)}; a run records only its flow's name, so ` +
          `the flows a worker hosts must have different names`
      )
    }
    const keys = (stores: ReadonlyArray<executor.SchemaStore>) => stores.map((s) => s.key).sort().join("\n")
    if (keys(known.stores) !== keys(h.stores)) {
      throw new TypeError(`${where}: flow ${JSON.stringify(name)} is listed twice with different stores`)
    }
  }
  for (const entry of options.flows) {
    if (entry?._tag === "Registered") host(entry.hosted)
    else if (entry?._tag === "Scheduled") {
      host(entry.hosted)
      if (schedules.some((s) => s.name === entry.name)) {
        throw new TypeError(`${where}: two schedules are named ${JSON.stringify(entry.name)}`)
      }
      schedules.push(entry.schedule)
    } else {
      throw new TypeError(`${where}: flows lists Durable.register(…) and Durable.schedule(…) values`)
    }
  }
  const concurrency = options.concurrency ?? 10
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`${where}: concurrency must be a positive integer (got ${String(options.concurrency)})`)
  }
  if (options.name !== undefined && (typeof options.name !== "string" || options.name.length === 0)) {
    throw new TypeError(`${where}: name must be a non-empty string`)
  }
  positive(where, "lease", options.lease, "30 seconds")
  return {
    hosted,
    schedules,
    concurrency,
    pollMillis: positive(where, "poll", options.poll, "1 second"),
    lease: options.lease ?? "30 seconds",
    name: options.name,
    onEvent: options.onEvent,
    observe: options.observe === true
  }
}

/**
 * The worker: an Effect you fork (or `Durable.layerWorker`) that never ends by itself. It asks the checkpointer for
 * runs that can move (`due`) and continues each under its registered flow, with a lease, at most `concurrency` at
 * once: runs queued by `Durable.start` or `Durable.child`, runs whose input was answered, whose timer or input deadline
 * came, whose child ended, runs whose owner stopped without finishing them (its lease expired, or it released it: a
 * `Durable.run` interrupted midway is hosted too), and the runs of its schedules' cron ticks. Any number of workers,
 * in any number of processes, may share one checkpointer: each run is claimed by one. It looks at least every `poll`
 * (what other processes write is found then), at once when a run it hosts returns or when its own process starts,
 * answers or releases a run in the same checkpointer (a `Durable.start` or `Durable.answer` next to a worker, as in
 * the server, moves at once), and at the time the next timer comes due. Interrupting it (or releasing its
 * layer) is a graceful shutdown: the runs it hosts are interrupted (finalizers run, the step in flight runs again on
 * the next worker) and their leases released, so they move at once elsewhere. A failure of its own (a storage error)
 * is logged and retried at the next poll; a run that fails is saved "failed" (and logged). Spans:
 * `durable.worker.poll`, `durable.worker.run` (around the run's `durable.claim`, `durable.save`, …) and
 * `durable.worker.schedule`; logs carry `pocketflow.worker` and `pocketflow.run`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Checkpointer, Durable, Flow, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ topic: Schema.String }) }) {}
 * declare const essay: Flow.Flow<"default", never, Store>
 *
 * const program = Effect.gen(function*() {
 *   yield* Effect.forkChild(Durable.worker({ flows: [Durable.register(essay, { stores: [Store] })] }))
 *   yield* Durable.start(essay, { id: "essay-44", stores: [Store.initial({ topic: "workers" })] })
 * }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const worker = <const Flows extends ReadonlyArray<Registered<any> | Scheduled<any>>>(
  options: WorkerOptions<Flows>
): Effect.Effect<never, never, Checkpointer | WorkerRequirements<Flows[number]>> =>
  workerNs.run(workerConfig(options)) as Effect.Effect<never, never, Checkpointer | WorkerRequirements<Flows[number]>>

/**
 * `Durable.worker` as a Layer: the worker runs while the layer is alive; releasing it shuts the worker down gracefully
 * (its runs' leases are released, so they move at once to another worker).
 *
 * @example
 * ```ts
 * import { Layer, Schema } from "effect"
 * import { Checkpointer, Durable, Flow, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ topic: Schema.String }) }) {}
 * declare const essay: Flow.Flow<"default", never, Store>
 *
 * const WorkerLive = Durable.layerWorker({ flows: [Durable.register(essay, { stores: [Store] })] }).pipe(
 *   Layer.provide(Checkpointer.layerMemory)
 * )
 * ```
 * @category workers
 * @stability experimental
 * @since 0.4.0
 */
export const layerWorker = <const Flows extends ReadonlyArray<Registered<any> | Scheduled<any>>>(
  options: WorkerOptions<Flows>
): Layer.Layer<never, never, Checkpointer | WorkerRequirements<Flows[number]>> => {
  const config = workerConfig(options)
  return Layer.effectDiscard(Effect.forkScoped(workerNs.run(config))) as Layer.Layer<
    never,
    never,
    Checkpointer | WorkerRequirements<Flows[number]>
  >
}

// ---------------------------------------------------------------------------------------------------
// answers
// ---------------------------------------------------------------------------------------------------

/**
 * Writes an answer to a run's inbox, once per key. With `{ id, input, value, key? }` the value is typed and encoded
 * with the input's schema; with `{ token, value }` it is the answer's JSON encoding, checked against the JSON Schema
 * kept in the waiting record and, when this process declared the input (`Durable.input`), decoded with the input's own
 * schema (filters and brands included) before anything is written; a bad value fails with `Schema.SchemaError`. An
 * answer that reaches the inbox anyway (written by a program without the app's schemas) and does not decode is taken
 * out of it when the run reads it (`FlowEvent.AnswerRejected`): the run keeps waiting, it never fails on it. The run
 * continues on its next `Durable.run`/`resume`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })
 * const yes = Durable.answer({ id: "essay-42", input: Approval, value: { ok: true } })
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export const answer: {
  <Name extends string, A, P>(options: {
    readonly id: string
    readonly input: Input<Name, A, P>
    readonly value: A
    readonly key?: string | undefined
  }): Effect.Effect<void, NotWaiting | AlreadyAnswered | CheckpointError | Schema.SchemaError, Checkpointer>
  (options: {
    readonly token: string
    readonly value: unknown
  }): Effect.Effect<void, NotWaiting | AlreadyAnswered | CheckpointError | Schema.SchemaError, Checkpointer>
} = ((options: AnswerOptions) => {
  if (options?.token === undefined) checkId("Durable.answer", options?.id)
  return answerRun(options)
}) as any

interface AnswerOptions {
  readonly id?: string
  readonly token?: string
  readonly input?: Input<string, unknown, unknown>
  readonly value: unknown
  readonly key?: string | undefined
}

const answerRun = Effect.fnUntraced(function*(options: AnswerOptions) {
  const cp = yield* Checkpointer
  let id: string
  let key: string | undefined
  if (options.token !== undefined) {
    const parsed = ask.parseToken(options.token)
    // A token comes from outside (a page, another service): a bad one is a typed failure, not a programming error.
    if (parsed === undefined || runIdProblem(parsed[0]) !== undefined) {
      const reason = "the token is not a valid answer token"
      return yield* new NotWaiting({ id: "?", key: undefined, waiting: [], reason })
    }
    ;[id, key] = parsed
  } else {
    id = options.id!
    key = options.key
  }
  const snapshot = yield* cp.load(id)
  if (snapshot === undefined) return yield* new NotWaiting({ id, key, waiting: [], reason: "no such run" })
  // Timers and children are not answered: only inputs are candidates.
  const inputs = snapshot.waiting.filter((w) => kindOf(w) === "input")
  const keys = inputs.map((w) => w.key)
  if (!isWaiting(snapshot.status) && snapshot.status !== "running") {
    return yield* new NotWaiting({ id, key, waiting: [], reason: `the run is ${snapshot.status}` })
  }
  const inputName = options.input?.name
  // Without a key, keys that already have an answer for their prompt are not candidates.
  const inbox = key === undefined ? yield* cp.answers(id) : []
  const answeredKeys = new Set(
    inbox.filter((a) => {
      const w = snapshot.waiting.find((w) => w.key === a.key)
      return w !== undefined && JSON.stringify(w.prompt) === JSON.stringify(a.prompt)
    }).map((a) => a.key)
  )
  const matching = inputs.filter((w) =>
    (key === undefined || w.key === key) && (inputName === undefined || w.input === inputName)
  )
  const open = matching.filter((w) => !answeredKeys.has(w.key))
  // With every match answered already, the single match still names the key (and fails with AlreadyAnswered below).
  const candidates = open.length > 0 ? open : matching
  if (candidates.length !== 1) {
    return yield* new NotWaiting({
      id,
      key,
      waiting: keys,
      reason: candidates.length === 0 ? "no such waiting input" : "several inputs wait: pass key"
    })
  }
  const waiting = candidates[0]!
  let encoded: Json
  if (options.input !== undefined) {
    encoded = (yield* Schema.encodeEffect(options.input.answer)(options.value)) as Json
  } else {
    const schema = SchemaRepresentation.fromJsonSchemaDocument(waiting.answerSchema as never)
    yield* Schema.decodeUnknownEffect(schema as Schema.Codec<unknown, unknown, never, never>)(options.value)
    // The JSON Schema cannot say everything (filters, brands): when this process declared the input, its own schema
    // decides too. A value every such declaration refuses is refused here, before anything is written.
    const declared = ask.declared(waiting.input, waiting.answerSchema)
    if (declared.length > 0) {
      const results = yield* Effect.forEach(
        declared,
        (def) => Effect.result(Schema.decodeUnknownEffect(def.answer)(options.value))
      )
      const refusals = results.filter(Result.isFailure)
      if (refusals.length === results.length) return yield* Effect.fail(refusals[0]!.failure)
    }
    encoded = options.value as Json
  }
  const now = yield* Clock.currentTimeMillis
  const record: CheckpointerNs.Answer = { key: waiting.key, value: encoded, prompt: waiting.prompt, answeredAt: now }
  let written = yield* cp.putAnswer(id, record)
  if (!written) {
    // An answer for an older prompt of this key no longer counts: replace it.
    const previous = (yield* cp.answers(id)).find((a) => a.key === waiting.key)
    if (previous !== undefined && JSON.stringify(previous.prompt) !== JSON.stringify(waiting.prompt)) {
      yield* cp.removeAnswer(id, waiting.key)
      written = yield* cp.putAnswer(id, record)
    }
  }
  if (!written) return yield* new AlreadyAnswered({ id, key: waiting.key })
  // The run can move: this process's workers of the store continue it now rather than at their next poll.
  yield* wake(cp)
})

// ---------------------------------------------------------------------------------------------------
// reading and managing runs
// ---------------------------------------------------------------------------------------------------

/**
 * The latest saved state of one store of a run (decoded with the store's schema).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const n = Durable.state("count-1", Store)
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const state = <Self, Id extends string, S>(
  id: string,
  store: Shared.SchemaServiceClass<Self, Id, S>
): Effect.Effect<S, CheckpointError | RunNotFound, Checkpointer> => {
  checkId("Durable.state", id)
  return Effect.flatMap(
    Effect.service(Checkpointer),
    (cp) =>
      Effect.flatMap(cp.load(id), (snapshot): Effect.Effect<S, CheckpointError | RunNotFound> =>
        snapshot === undefined
          ? Effect.fail(new RunNotFound({ id }))
          : (executor.decodeStore(store, snapshot.stores[store.key], id) as Effect.Effect<S, CheckpointError>))
  )
}

/**
 * What `Durable.get` returns: the latest snapshot with what an operator needs besides it — `answered` (waiting keys
 * that have an answer for the prompt now waiting: the run moves on at its next `Durable.run`, no human is needed),
 * `lease` (`{ owner, expiresAt, heartbeatAt }`, epoch millis, as recorded until its owner releases it: live while an
 * owner runs the run, past its expiry when that owner stopped without releasing it) and `items` (`{ done, total }` per
 * durable batch in progress, by its scope).
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const who = (r: Durable.RunDetails, now: number) =>
 *   r.lease === undefined ? "nobody" : r.lease.expiresAt > now ? `held by ${r.lease.owner}` : "abandoned"
 * ```
 * @category models
 * @stability stable
 * @since 0.4.0
 */
export interface RunDetails extends details.Details {}

/**
 * Item counts of a durable batch in progress: items saved (`done`) of the items its prep produced (`total`).
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const percent = (c: Durable.ItemCount) => c.total === 0 ? 100 : Math.round((100 * c.done) / c.total)
 * ```
 * @category models
 * @stability stable
 * @since 0.4.0
 */
export type ItemCount = details.ItemCount

/**
 * The latest snapshot of a run, if there is one, with the keys answered and waiting for a program to continue, the
 * lease, and the item counts of its durable batches (see `RunDetails`).
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const status = Durable.get("count-1").pipe(Effect.map(Option.map((s) => s.status)))
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const get = (id: string): Effect.Effect<Option.Option<RunDetails>, CheckpointError, Checkpointer> => {
  checkId("Durable.get", id)
  return Effect.flatMap(
    Effect.service(Checkpointer),
    (cp) =>
      Effect.flatMap(cp.load(id), (snapshot) =>
        snapshot === undefined
          ? Effect.succeed(Option.none())
          : Effect.map(details.details(cp, snapshot), Option.some))
  )
}

/**
 * A page of a run's saved versions: the `limit` newest versions older than `before` (default: all), oldest first,
 * with `before` set for the next (older) page when there is one.
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const lastTen = Durable.history("count-1", { limit: 10 })
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const history = (
  id: string,
  options?: { readonly limit?: number | undefined; readonly before?: number | undefined }
): Effect.Effect<
  { readonly snapshots: ReadonlyArray<Snapshot>; readonly before?: number | undefined },
  CheckpointError,
  Checkpointer
> => {
  checkId("Durable.history", id)
  return Effect.flatMap(Effect.service(Checkpointer), (cp) => {
    const limit = options?.limit ?? 20
    return Effect.map(cp.history(id, { limit: limit + 1, before: options?.before }), (newestFirst) => {
      const page = newestFirst.slice(0, limit).reverse()
      return newestFirst.length > limit && page.length > 0
        ? { snapshots: page, before: page[0]!.version }
        : { snapshots: page }
    })
  })
}

/**
 * Lists runs, newest first: by status, by flow, or suspended runs with an input whose deadline is before a time
 * (for a sweeper). `cursor` continues a previous page.
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const waiting = Durable.list({ status: "suspended", limit: 50 })
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const list = (
  query?: CheckpointerNs.ListQuery
): Effect.Effect<
  { readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined },
  CheckpointError,
  Checkpointer
> => Effect.flatMap(Effect.service(Checkpointer), (cp) => cp.list(query ?? {}))

/**
 * Time travel: a new run `to` that continues from version `version` of run `from`, with edits to its stores on the
 * way (`stores: [Store.edit((s) => …)]`). The fork's history starts at version 1; its inbox is empty and its waiting
 * inputs get new tokens.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ draft: Schema.String }) }) {}
 * const retry = Durable.fork({
 *   from: "essay-42",
 *   version: 3,
 *   to: "essay-42b",
 *   stores: [Store.edit(() => ({ draft: "better" }))]
 * })
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const fork = (options: {
  readonly from: string
  readonly version: number
  readonly to: string
  readonly stores?: ReadonlyArray<Shared.Edit<any, any>> | undefined
}): Effect.Effect<Snapshot, CheckpointError | RunExists, Checkpointer> => {
  checkId("Durable.fork (from)", options?.from)
  checkId("Durable.fork (to)", options.to)
  return forkRun(options)
}

const forkRun = Effect.fnUntraced(function*(options: {
  readonly from: string
  readonly version: number
  readonly to: string
  readonly stores?: ReadonlyArray<Shared.Edit<any, any>> | undefined
}) {
  const cp = yield* Checkpointer
  const source = yield* cp.loadVersion(options.from, options.version)
  if (source === undefined) {
    return yield* new CheckpointError({
      reason: "version not found",
      detail: `run ${JSON.stringify(options.from)} has no version ${options.version}`
    })
  }
  if ((yield* cp.load(options.to)) !== undefined) return yield* new RunExists({ id: options.to })
  const stores: Record<string, Json> = { ...source.stores }
  for (const edit of options.stores ?? []) {
    const before: unknown = yield* executor.decodeStore(edit.store, source.stores[edit.store.key], options.from)
    const encode = Schema.encodeEffect(edit.store.schema as Schema.Codec<unknown, unknown, never, never>)
    stores[edit.store.key] = (yield* Effect.mapError(
      encode(edit.edit(before)),
      (e) => new CheckpointError({ reason: "store decode failed", detail: `store ${edit.store.key}: ${e.message}` })
    )) as Json
  }
  const now = yield* Clock.currentTimeMillis
  const status: CheckpointerNs.Status = isWaiting(source.status) || source.status === "done"
    ? source.status
    : "running"
  const snapshot: CheckpointerNs.Snapshot = {
    ...source,
    id: options.to,
    version: 1,
    status,
    stores,
    waiting: source.waiting.map((w) => ({ ...w, token: ask.tokenOf(options.to, w.key) })),
    updatedAt: now
  }
  if (status !== "done") delete (snapshot as { action?: string }).action
  delete (snapshot as { failure?: string }).failure
  // A fork is nobody's child, and the children of the run it copies are not its own.
  delete (snapshot as { parent?: string }).parent
  delete (snapshot as { children?: ReadonlyArray<string> }).children
  yield* Effect.catchTag(
    cp.save(snapshot),
    "CheckpointError",
    (e): Effect.Effect<never, CheckpointError | RunExists> =>
      e.reason === "version conflict" ? Effect.fail(new RunExists({ id: options.to })) : Effect.fail(e)
  )
  // A fork that can move (running, or answered already) is taken by this process's workers now.
  yield* wake(cp)
  return snapshot
})

/**
 * Stops a run for good: a waiting (or ownerless) run becomes "interrupted" at once; a running one is stopped by its
 * owner at its next save or heartbeat, whichever comes first (a step in flight at the heartbeat is interrupted,
 * finalizers run), also when it was about to suspend. The run is marked first and claimed after, and an owner looks
 * at the mark again once it released the run, so the interrupt is never lost between the two. Later `run`/`resume`
 * calls return `Interrupted`, and late answers fail with `NotWaiting`.
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const stop = Durable.interrupt("essay-42")
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const interrupt = (id: string): Effect.Effect<void, CheckpointError | RunNotFound, Checkpointer> => {
  checkRunId("Durable.interrupt", id)
  return interruptRun(id)
}

const interruptRun = Effect.fnUntraced(function*(id: string) {
  const cp = yield* Checkpointer
  const snapshot = yield* cp.load(id)
  if (snapshot === undefined) return yield* new RunNotFound({ id })
  if (snapshot.status === "done" || snapshot.status === "failed" || snapshot.status === "interrupted") return
  // The mark first, then the claim: an owner that releases the run after its last look at the mark looks again after
  // its release (and our claim fails only while it holds the run), so one of us always sees the other.
  yield* cp.requestInterrupt(id)
  yield* executor.interruptIdle(cp, id)
  // Its children too (`interruptIdle` stops those of a run it stopped; a running parent's owner stops its children
  // when it stops, and these are the ones it has now).
  yield* executor.interruptChildren(cp, snapshot.children)
})

/**
 * Removes a run with its history, items and answers (retention, deletion requests).
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const forget = Durable.delete("essay-42")
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
const delete_ = (id: string): Effect.Effect<void, CheckpointError, Checkpointer> => {
  checkId("Durable.delete", id)
  return Effect.flatMap(Effect.service(Checkpointer), (cp) => Effect.asVoid(cp.delete(id)))
}
export { delete_ as delete }

/**
 * Removes finished runs ("done", "failed", "interrupted", or the given `status`) last updated more than `olderThan`
 * ago. Returns how many were removed. A run is removed only if, when its turn comes, nobody holds it and its latest
 * version is still the one listed (the checkpointer's compare-and-delete, under a lease of the prune's): a run resumed
 * since the listing is kept.
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const cleanup = Durable.prune({ olderThan: "30 days" })
 * ```
 * @category managing runs
 * @stability stable
 * @since 0.2.0
 */
export const prune = Effect.fnUntraced(function*(options: {
  readonly olderThan: Duration.Input
  readonly status?: "done" | "failed" | "interrupted" | undefined
}) {
  const cp = yield* Checkpointer
  const cutoff = (yield* Clock.currentTimeMillis) - Duration.toMillis(options.olderThan)
  const statuses = options.status === undefined ? (["done", "failed", "interrupted"] as const) : [options.status]
  let removed = 0
  for (const status of statuses) {
    let cursor: string | undefined
    const doomed: Array<{ readonly id: string; readonly version: number }> = []
    do {
      const page: { readonly runs: ReadonlyArray<Snapshot>; readonly cursor?: string | undefined } = yield* cp.list({
        status,
        cursor,
        limit: 100
      })
      for (const s of page.runs) if (s.updatedAt < cutoff) doomed.push({ id: s.id, version: s.version })
      cursor = page.cursor
    } while (cursor !== undefined)
    // A run listed as finished may have been resumed since: it is removed only while nobody holds it and its latest
    // version is still the one listed (compare-and-delete), under a lease of ours so no owner saves in between.
    for (const { id, version } of doomed) {
      // Moved on (or gone) since the listing: not claimed at all, so a deleted run gets no lease record back.
      if ((yield* cp.load(id))?.version !== version) continue
      const now = yield* Clock.currentTimeMillis
      const owner = `prune-${(yield* Random.nextInt).toString(36)}`
      if ((yield* cp.claim(id, { owner, now, expiresAt: now + 60_000, force: false })) !== undefined) continue
      if (yield* cp.delete(id, { version })) removed++
      else yield* cp.release(id, owner)
    }
  }
  return removed
})

// ---------------------------------------------------------------------------------------------------
// scale-out: Durable.toWorkflow
// ---------------------------------------------------------------------------------------------------

const EncodedStores = Schema.Record(Schema.String, Schema.Json)

/** The workflow's payload: the run id (its idempotency key) and the encoded initial stores. */
const Payload = Schema.Struct({ id: Schema.String, stores: EncodedStores })

/** The workflow's success: the flow's last action and the encoded final stores. */
const Final = Schema.Struct({ action: Schema.String, stores: EncodedStores })

type StoreSelf<T> = T extends Shared.SchemaServiceClass<infer Self, infer _Id, infer _S> ? Self : never

type InitialOf<T> = T extends Shared.SchemaServiceClass<infer Self, infer _Id, infer S> ? Shared.Initial<Self, S>
  : never

/**
 * The payload schema of a `Durable.toWorkflow` workflow: `{ id, stores }`, the run id (its idempotency key) and the
 * initial stores as their schemas' JSON encodings.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const payload: Durable.PayloadSchema["Type"] = { id: "run-1", stores: { "app/Store": { n: 0 } } }
 * ```
 * @category scale-out
 * @stability experimental
 * @since 0.3.0
 */
export type PayloadSchema = typeof Payload

/**
 * The success schema of a `Durable.toWorkflow` workflow: `{ action, stores }`, the flow's last action and the final
 * stores as their schemas' JSON encodings.
 *
 * @example
 * ```ts
 * import type { Durable } from "effect-pocketflow"
 *
 * const final: Durable.FinalSchema["Type"] = { action: "default", stores: { "app/Store": { n: 1 } } }
 * ```
 * @category scale-out
 * @stability experimental
 * @since 0.3.0
 */
export type FinalSchema = typeof Final

/**
 * A flow as an `effect/workflow` workflow (made by `Durable.toWorkflow`): the `Workflow` itself, the layer that
 * registers its body with a `WorkflowEngine`, and start, poll, answer and interrupt by run id.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { WorkflowEngine } from "effect/workflow"
 * import { Durable, Flow, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const counter: Durable.DurableWorkflow<"counter", "default", never, Store, typeof Store> = Durable.toWorkflow(
 *   Flow.make({ name: "count", start: inc }),
 *   { name: "counter", stores: [Store] }
 * )
 * ```
 * @category scale-out
 * @stability experimental
 * @since 0.3.0
 */
export interface DurableWorkflow<Name extends string, A extends string, E, R, Stores extends Shared.AnySchemaService> {
  readonly workflow: Workflow.Workflow<Name, PayloadSchema, FinalSchema, Schema.Codec<E, any>>
  /** Registers the body with the engine; the flow's other services come from the layer's context. */
  readonly layer: Layer.Layer<never, never, WorkflowEngine | Exclude<R, Run | StoreSelf<Stores>>>
  /** Starts the run `id` (or joins it when it exists: the id is the idempotency key); returns its execution id. */
  readonly start: (options: {
    readonly id: string
    readonly stores: ReadonlyArray<InitialOf<Stores>>
  }) => Effect.Effect<string, never, WorkflowEngine>
  /** The run's result: `Complete` with the last action and the encoded stores, `Suspended`, or none yet. */
  readonly poll: (
    id: string
  ) => Effect.Effect<
    Option.Option<Workflow.Result<{ readonly action: A; readonly stores: { readonly [key: string]: Json } }, E>>,
    never,
    WorkflowEngine
  >
  /** Answers the input waiting under `key` (`<step id>/<input>#<n>`, as in `Durable.run`'s waiting records). */
  readonly answer: <Name2 extends string, Answer, P>(options: {
    readonly id: string
    readonly input: Input<Name2, Answer, P>
    readonly key: string
    readonly value: Answer
  }) => Effect.Effect<void, never, WorkflowEngine>
  /** Stops the run for good. */
  readonly interrupt: (id: string) => Effect.Effect<void, never, WorkflowEngine>
  /** The engine's execution id of the run `id`. */
  readonly executionId: (id: string) => Effect.Effect<string>
}

/** `error` is required when the flow can fail, and its schema must cover every error of the flow. */
type ErrorOption<E, ES extends Schema.Top> = [E] extends [never] ? { readonly error?: ES | undefined }
  : { readonly error: ES & Covers<E, ES> }

type Covers<E, ES extends Schema.Top> = [E] extends [ES["Type"]] ? unknown
  : { readonly "the error schema does not cover": Exclude<E, ES["Type"]> }

/**
 * Turns a flow into an `effect/workflow` workflow: one `Activity` per node step (named by its step id, with the node's
 * retry, timeout and fallback inside it), `{ action, seq, patch }` journaled per step, and each `ask` a
 * `DurableDeferred` named by the input key. The flow's errors cross processes: `error` is a schema covering all of
 * them (required when the flow can fail). Run it on `WorkflowEngine.layerMemory` or the cluster engine.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { WorkflowEngine } from "effect/workflow"
 * import { Durable, Flow, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const counter = Durable.toWorkflow(Flow.make({ name: "count", start: inc }), { name: "counter", stores: [Store] })
 *
 * const program = Effect.gen(function*() {
 *   yield* counter.start({ id: "run-1", stores: [Store.initial({ n: 0 })] })
 *   return yield* counter.poll("run-1")
 * }).pipe(Effect.provide(counter.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory))))
 * ```
 * @category scale-out
 * @stability experimental
 * @since 0.3.0
 */
export const toWorkflow = <
  const Name extends string,
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.AnySchemaService>,
  ES extends Schema.Codec<any, any, never, never> = Schema.Never
>(
  flow: Node.Node<A, E, R>,
  options: { readonly name: Name; readonly stores: Stores } & ErrorOption<E, ES>
): DurableWorkflow<Name, A, E, R, Stores[number]> => {
  const root = flow as unknown as AnyNode
  if (typeof options?.name !== "string" || options.name.length === 0) {
    throw new TypeError("Durable.toWorkflow: name must be a non-empty string")
  }
  if (!Array.isArray(options.stores)) {
    throw new TypeError(`Durable.toWorkflow ${JSON.stringify(options.name)}: stores must be an array`)
  }
  for (const store of options.stores) {
    if (typeof store !== "function" || !Schema.isSchema((store as { schema?: unknown }).schema)) {
      throw new TypeError(
        `Durable.toWorkflow ${JSON.stringify(options.name)}: every store must be declared with a schema ` +
          `(Shared.Service<Self>()(key, { schema }))`
      )
    }
  }
  const error = ((options as { readonly error?: Schema.Top | undefined }).error ?? Schema.Never) as Schema.Codec<E, any>
  const stores = options.stores as ReadonlyArray<Shared.AnySchemaService>
  const workflow = Workflow.make(options.name, {
    payload: Payload,
    success: Final,
    error,
    idempotencyKey: (payload) => payload.id
  })

  const body = (payload: typeof Payload.Type) =>
    Effect.suspend(() => {
      const slots: Array<snapshot.Slot> = []
      let services = Context.empty()
      for (const store of stores) {
        const encoded = payload.stores[store.key]
        if (encoded === undefined) {
          return Effect.die(
            new Error(`Durable.toWorkflow ${JSON.stringify(options.name)}: no initial state for ${store.key}`)
          )
        }
        const s = snapshot.slot(store.key, store.schema, Schema.decodeUnknownSync(store.schema)(encoded), encoded)
        slots.push(s)
        services = Context.add(services, store, s.cell)
      }
      const ctx: workflowHost.Ctx = {
        id: payload.id,
        slots,
        error,
        applied: 0,
        pending: 0,
        locked: false,
        waiters: [],
        fresh: new Set(),
        answers: new Map()
      }
      return Effect.map(
        workflowHost.body(ctx, root, services),
        (action) => ({ action, stores: snapshot.encodeAll(slots) })
      )
    })

  const executionId = (id: string) => workflow.executionId({ id, stores: {} })
  return {
    workflow,
    layer: workflow.toLayer((payload) => body(payload) as Effect.Effect<typeof Final.Type, E, never>) as Layer.Layer<
      never,
      never,
      any
    >,
    start: (start) =>
      Effect.suspend(() => {
        const encoded: { [key: string]: Json } = {}
        for (const initial of start.stores) {
          const store = initial.store as Shared.AnySchemaService
          encoded[store.key] = Schema.encodeSync(store.schema)(initial.state) as Json
        }
        return workflow.execute({ id: start.id, stores: encoded }, { discard: true })
      }),
    poll: (id) => Effect.flatMap(executionId(id), (eid) => workflow.poll(eid)) as any,
    answer: (answer) =>
      Effect.flatMap(executionId(answer.id), (eid) => {
        const deferred = workflowHost.deferredOf(answer.key)
        const token = DurableDeferred.tokenFromExecutionId(deferred, { workflow, executionId: eid })
        const value = Schema.encodeSync(answer.input.answer)(answer.value) as Schema.Json
        return DurableDeferred.succeed(deferred, { token, value })
      }),
    interrupt: (id) => Effect.flatMap(executionId(id), (eid) => workflow.interrupt(eid)),
    executionId
  }
}
