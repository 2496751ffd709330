/**
 * `Durable.toWorkflow`: the same flow as an `effect/workflow` `Workflow`, for the cluster engine.
 *
 * The workflow body walks the flow with the graph logic of `graph.ts`. Every node step (a plain node's
 * prep → exec →
 * post, a batch node, a composite's post) is one `Activity` named by its step id (`root/node#visit`, the same ids as
 * the local engine's), so a replay returns journaled steps without running them. An activity's result is
 * `{ action, seq, patch }`: `patch` is the JSON patch of the encoded stores over the step's post and `seq` the order
 * in which posts finished. Posts are serialized from their start until their result is journaled, so the journaled
 * `seq`s have no gaps, and a replay applies the patches in `seq` order: parallel branches replay deterministically.
 *
 * `ask` inside a step: with no answer the activity ends with `Asked { key }` (the step's fiber is interrupted, as in
 * the local engine); the body then awaits the `DurableDeferred` named by the input key (suspending the run) and runs
 * the step again from its prep as the next attempt (`<step id>@2`, …), now with the answer.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as JsonPatch from "effect/JsonPatch"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Activity from "effect/workflow/Activity"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import * as Workflow from "effect/workflow/Workflow"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import type { Input, Run } from "../Durable.ts"
import { MaxStepsExceeded } from "../Errors.ts"
import type * as Node from "../Node.ts"
import type * as Shared from "../Shared.ts"
import type { Store } from "../Shared.ts"
import * as durable from "./durable.ts"
import * as graph from "./graph.ts"
import type { Json } from "./json.ts"
import type { AnyNode } from "./node.ts"

// `Durable.Run` by its key: Durable.ts re-exports this module, so importing the class here would be a cycle.
const RunKey = Context.Service<Run, Run["Service"]>("effect-pocketflow/Durable/Run")

// ---------------------------------------------------------------------------------------------------
// schemas
// ---------------------------------------------------------------------------------------------------

const EncodedStores = Schema.Record(Schema.String, Schema.Json)

/** The workflow's payload: the run id (its idempotency key) and the encoded initial stores. */
const Payload = Schema.Struct({ id: Schema.String, stores: EncodedStores })

/** The workflow's success: the flow's last action and the encoded final stores. */
const Final = Schema.Struct({ action: Schema.String, stores: EncodedStores })

/**
 * What one step's activity journals. The activity's schema is plain `Schema.Json`: effect/workflow builds the codecs
 * again for every activity, and a union of structs costs more per step to build and check.
 */
type StepResult =
  | { readonly _tag: "Done"; readonly action: string; readonly seq: number; readonly patch: Json }
  | { readonly _tag: "Asked"; readonly key: string; readonly input: string }

/** Answers travel as their schema's JSON encoding: the deferred is named by the input key alone. */
const deferredOf = (key: string) => DurableDeferred.make(key, { success: Schema.Json })

// ---------------------------------------------------------------------------------------------------
// one execution of the body
// ---------------------------------------------------------------------------------------------------

interface Slot {
  readonly key: string
  readonly encode: (state: unknown) => unknown
  readonly decode: (encoded: unknown) => unknown
  readonly store: Store<unknown>
  /** States are immutable: the last encoding is reused while the state is the same object. */
  lastState: unknown
  lastEncoded: Json
}

interface Ctx {
  readonly id: string
  readonly slots: ReadonlyArray<Slot>
  readonly error: Schema.Top
  /** Patches applied so far (journaled or made here): the last `seq`. */
  applied: number
  /** Activities called and not yet known to be fresh or applied: a fresh post waits for them (see `commit`). */
  pending: number
  /** A post is running or its result is not journaled yet. */
  locked: boolean
  waiters: Array<Deferred.Deferred<void>>
  /** Activities that ran in this execution of the body (their patches are already in the stores). */
  readonly fresh: Set<string>
  readonly answers: Map<string, Json>
}

const notify = (ctx: Ctx) => {
  const waiters = ctx.waiters
  ctx.waiters = []
  for (const w of waiters) Deferred.doneUnsafe(w, Exit.void)
}

/** Waits until `cond` holds and the lock is free, then takes the lock (check and take in one synchronous step). */
const claim = (ctx: Ctx, cond: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!ctx.locked && cond()) {
      ctx.locked = true
      return Effect.void
    }
    const w = Deferred.makeUnsafe<void>()
    ctx.waiters.push(w)
    return Effect.andThen(Deferred.await(w), claim(ctx, cond))
  })

const unlock = (ctx: Ctx) => {
  ctx.locked = false
  notify(ctx)
}

const encodeAll = (ctx: Ctx): { [key: string]: Json } => {
  const out: { [key: string]: Json } = {}
  for (const slot of ctx.slots) {
    const state = slot.store.ref.ref.current
    if (state !== slot.lastState) {
      slot.lastEncoded = slot.encode(state) as Json
      slot.lastState = state
    }
    out[slot.key] = slot.lastEncoded
  }
  return out
}

const applyPatch = (ctx: Ctx, patch: JsonPatch.JsonPatch) => {
  const next = JsonPatch.apply(patch, encodeAll(ctx)) as { [key: string]: Json }
  for (const slot of ctx.slots) {
    const encoded = next[slot.key]!
    if (encoded === slot.lastEncoded) continue
    slot.store.ref.ref.current = slot.lastState = slot.decode(encoded)
    slot.lastEncoded = encoded
  }
}

/** The step running in the current fiber of an activity: what `ask` and `Durable.StepKey` read. */
interface StepCell {
  readonly ctx: Ctx
  readonly id: string
  readonly counters: Map<string, number>
  asked: { readonly key: string; readonly input: string } | undefined
}

const CurrentStep = Context.Reference<StepCell | undefined>("effect-pocketflow/Durable/WorkflowStep", {
  defaultValue: () => undefined
})

/** Interrupts the asking fiber from the outside, so no `catchCause` in user code can swallow the suspension. */
const suspendStep: Effect.Effect<never> = Effect.interruptible(Effect.callback<never>(() => {
  const fiber = Fiber.getCurrent()!
  fiber.interruptUnsafe(fiber.id)
}))

/** `Durable.Run` inside an activity: the answer collected by the body for this key, or end the step with `Asked`. */
const askInStep: Run["Service"] = {
  ask: (input, _prompt, options) =>
    Effect.withFiber((fiber) => {
      const step = fiber.getRef(CurrentStep)
      if (step === undefined) {
        return Effect.die(
          new Error(
            `Durable input ${JSON.stringify(input.name)} was asked outside a node step: Durable.toWorkflow supports ` +
              `ask in a node's prep, exec or post and in a composite's post, not in a flow's or batch flow's prep`
          )
        )
      }
      if (options?.timeout !== undefined) {
        return Effect.die(
          new Error(
            `Durable input ${JSON.stringify(input.name)} was asked with a timeout: ` +
              `Durable.toWorkflow does not support ` +
              `ask timeouts (Durable.run does); ask without one, or put a deadline in the node`
          )
        )
      }
      const key = graph.inputKey(step.id, input.name, graph.askSuffix(step.counters, input.name, options?.key))
      const answer = step.ctx.answers.get(key)
      if (answer !== undefined) return Effect.orDie(Schema.decodeUnknownEffect(input.answer)(answer))
      if (step.asked === undefined) step.asked = { key, input: input.name }
      return suspendStep
    })
}

/** `Durable.Run` in the body (a flow's or batch flow's prep): asking there is not journaled, so it is refused. */
const askInBody: Run["Service"] = {
  ask: (input) =>
    Effect.die(
      new Error(
        `Durable input ${JSON.stringify(input.name)} was asked in a flow's or batch flow's prep: Durable.toWorkflow ` +
          `runs those preps in the workflow body, where asking is not supported; ask in a node instead`
      )
    )
}

type Work = (
  commit: (post: Effect.Effect<string | void, unknown, unknown>) => Effect.Effect<void, unknown, unknown>
) => Effect.Effect<void, unknown, unknown>

/**
 * Runs one step as activities: attempt 1 is named by the step id; each `Asked` waits for its answer (suspending the
 * run until it comes) and runs the step again as the next attempt.
 */
const runStep = (ctx: Ctx, stepId: string, work: Work): Effect.Effect<string, unknown, unknown> => {
  const attempt = (n: number): Effect.Effect<string, unknown, unknown> => {
    const name = n === 1 ? stepId : `${stepId}@${n}`
    const execute = Effect.suspend(() => {
      // The engine may run an interrupted activity again: it stops counting as pending once.
      if (!ctx.fresh.has(name)) {
        ctx.fresh.add(name)
        ctx.pending--
        notify(ctx)
      }
      const step: StepCell = { ctx, id: stepId, counters: new Map(), asked: undefined }
      let done: StepResult | undefined
      let held = false
      // A post starts when no replayed result is still on its way (so its seq follows every journaled one), and keeps
      // the lock until the body has its journaled result (so journaled seqs have no gaps).
      const commit = (post: Effect.Effect<string | void, unknown, unknown>) =>
        Effect.andThen(
          claim(ctx, () => ctx.pending === 0),
          Effect.suspend(() => {
            held = true
            const before = encodeAll(ctx)
            return Effect.map(post, (a) => {
              const seq = ++ctx.applied
              const patch = JsonPatch.get(before, encodeAll(ctx)) as Json
              done = { _tag: "Done", action: graph.normalize(a), seq, patch }
            })
          })
        )
      const body = work(commit).pipe(
        // A step that fails, asks or is interrupted after its post started gives the lock back; a finished one keeps
        // it until the body has its journaled result.
        Effect.onExit((exit) =>
          Exit.isFailure(exit) && held
            ? Effect.sync(() => {
              held = false
              unlock(ctx)
            })
            : Effect.void
        ),
        Effect.provideService(CurrentStep, step),
        Effect.provideService(durable.StepKey, `${ctx.id}:${stepId}`),
        Effect.provideService(RunKey, askInStep)
      )
      return Effect.flatMap(Effect.forkChild(body, { startImmediately: true }), (fiber) =>
        Effect.flatMap(Fiber.await(fiber), (exit): Effect.Effect<Json, unknown> => {
          if (Exit.isSuccess(exit) && done !== undefined) return Effect.succeed(done as unknown as Json)
          if (Exit.isSuccess(exit)) return Effect.die(new Error(`step ${stepId} finished without its post`))
          if (step.asked !== undefined && Cause.hasInterruptsOnly(exit.cause)) {
            return Effect.succeed({ _tag: "Asked", ...step.asked } as Json)
          }
          return Effect.failCause(exit.cause)
        }))
    })
    const activity = Activity.make({ name, success: Schema.Json, error: ctx.error as Schema.Codec<unknown>, execute })
    return Effect.suspend(() => {
      ctx.pending++
      return Effect.flatMap(
        Effect.onExit(activity as unknown as Effect.Effect<StepResult, unknown, unknown>, (exit) =>
          Effect.sync(() => {
            // A failed or replayed call is no longer pending; a fresh one stopped counting when it started.
            if (!ctx.fresh.has(name) && (Exit.isFailure(exit) || exit.value._tag === "Asked")) {
              ctx.pending--
              notify(ctx)
            }
          })),
        (result): Effect.Effect<string, unknown, unknown> => {
          if (result._tag === "Asked") {
            return Effect.flatMap(
              DurableDeferred.await(deferredOf(result.key)) as Effect.Effect<Json, never, unknown>,
              (answer) => {
                ctx.answers.set(result.key, answer)
                return attempt(n + 1)
              }
            )
          }
          if (ctx.fresh.has(name)) {
            unlock(ctx)
            return Effect.succeed(result.action)
          }
          // Journaled: apply its patch after every earlier one.
          return Effect.as(
            Effect.andThen(
              claim(ctx, () => ctx.applied === result.seq - 1),
              Effect.sync(() => {
                applyPatch(ctx, result.patch as unknown as JsonPatch.JsonPatch)
                ctx.applied = result.seq
                ctx.pending--
                unlock(ctx)
              })
            ),
            result.action
          )
        }
      )
    })
  }
  return attempt(1)
}

// ---------------------------------------------------------------------------------------------------
// the walk
// ---------------------------------------------------------------------------------------------------

interface Place {
  readonly id: string
  readonly path: string
}

const items = (node: AnyNode, prepared: unknown): Effect.Effect<ReadonlyArray<unknown>> =>
  typeof prepared === "string" || prepared === null || typeof prepared !== "object" ||
    !(Symbol.iterator in prepared)
    ? graph.invalidBatchItems(node, prepared)
    : Effect.succeed(Array.from(prepared as Iterable<unknown>))

const walk = (ctx: Ctx, node: AnyNode, place: Place): Effect.Effect<string, unknown, unknown> => {
  const anatomy = node.info.anatomy
  switch (anatomy?._tag) {
    case "Step": {
      const { exec, post, prep } = anatomy
      return runStep(ctx, place.id, (commit) =>
        Effect.flatMap(prep ?? Effect.void, (p) =>
          Effect.flatMap(exec(p), (x) => commit(post === undefined ? Effect.void : post(p, x)))))
    }
    case "Batch": {
      const { concurrency, exec, post } = anatomy
      return runStep(ctx, place.id, (commit) =>
        Effect.flatMap(Effect.flatMap(anatomy.prep, (prepared) => items(node, prepared)), (list) =>
          Effect.flatMap(
            Effect.forEach(list, (item) => exec(item), { concurrency }),
            (results) => commit(post === undefined ? Effect.void : post(list, results))
          )))
    }
    case "Flow":
      return walkFlow(ctx, anatomy, place)
    case "BatchFlow":
    case "Parallel":
      return walkMany(ctx, node, anatomy, place)
    default:
      return Effect.die(
        new TypeError(`Durable.toWorkflow: node ${JSON.stringify(node.name)} (${node.kind}) cannot run as a workflow`)
      )
  }
}

const walkFlow = (ctx: Ctx, anatomy: graph.FlowAnatomy, place: Place): Effect.Effect<string, unknown, unknown> => {
  const def = anatomy.flow.def
  const g = anatomy.flow.graph
  const visits = new Map<string, number>()
  let steps = 0
  const loop = (current: AnyNode): Effect.Effect<string, unknown, unknown> =>
    Effect.suspend(() => {
      if (steps === def.maxSteps) {
        return Effect.fail(new MaxStepsExceeded({ flow: def.name, maxSteps: def.maxSteps, node: current.name }))
      }
      const visit = (visits.get(current.name) ?? 0) + 1
      visits.set(current.name, visit)
      const child = { id: graph.stepId(place.id, current.name, visit), path: `${place.path}/${current.name}` }
      return Effect.flatMap(walk(ctx, current, child), (action) => {
        steps++
        const next = graph.successor(g, current, action)
        return next === undefined ? graph.ended(def.name, g, current, action, undefined, place.path, []) : loop(next)
      })
    })
  const prep = def.prep
  const post = def.post
  if (prep === undefined && post === undefined) return loop(def.start)
  return Effect.flatMap(prep ?? Effect.void, (prepared) =>
    Effect.flatMap(loop(def.start), (last) =>
      post === undefined
        ? Effect.succeed(last)
        : runStep(ctx, `${place.id}/post`, (commit) => commit(post(prepared, last)))))
}

const walkMany = (
  ctx: Ctx,
  node: AnyNode,
  anatomy: graph.BatchFlowAnatomy | graph.ParallelAnatomy,
  place: Place
): Effect.Effect<string, unknown, unknown> => {
  const children = (prepared: ReadonlyArray<unknown>) => {
    const isBatch = anatomy._tag === "BatchFlow"
    const count = isBatch ? prepared.length : anatomy.branches.length
    return Effect.flatMap(
      Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => {
        if (anatomy._tag === "BatchFlow") {
          const inner = anatomy.inner
          return Effect.provideService(
            walk(ctx, inner, {
              id: graph.stepId(graph.runId(place.id, i), inner.name, 1),
              path: `${place.path}/${inner.name}`
            }),
            anatomy.params,
            prepared[i]
          )
        }
        const branch = anatomy.branches[i]!
        return walk(ctx, branch, { id: graph.stepId(place.id, branch.name, 1), path: `${place.path}/${branch.name}` })
      }, { concurrency: anatomy.concurrency }),
      (actions) => {
        type Post = (a: unknown, b?: unknown) => Effect.Effect<string | void, unknown, unknown>
        const post = anatomy.post as Post | undefined
        if (post === undefined) return Effect.succeed("default")
        return runStep(ctx, `${place.id}/post`, (commit) => commit(isBatch ? post(prepared, actions) : post(actions)))
      }
    )
  }
  if (anatomy._tag === "Parallel") return children([])
  return Effect.flatMap(Effect.flatMap(anatomy.prep, (prepared) => items(node, prepared)), children)
}

// ---------------------------------------------------------------------------------------------------
// the public side
// ---------------------------------------------------------------------------------------------------

type SelfOf<T> = T extends Shared.SchemaServiceClass<infer Self, infer _Id, infer _S> ? Self : never

type InitialOf<T> = T extends Shared.SchemaServiceClass<infer Self, infer _Id, infer S> ? Shared.Initial<Self, S>
  : never

/** The workflow's payload schema: `{ id, stores }`. */
export type PayloadSchema = typeof Payload

/** The workflow's success schema: `{ action, stores }` (the stores as their schemas' JSON encodings). */
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
 * @since 0.3.0
 */
export interface DurableWorkflow<Name extends string, A extends string, E, R, Stores extends Shared.AnySchemaService> {
  readonly workflow: Workflow.Workflow<Name, PayloadSchema, FinalSchema, Schema.Codec<E, any>>
  /** Registers the body with the engine; the flow's other services come from the layer's context. */
  readonly layer: Layer.Layer<never, never, WorkflowEngine | Exclude<R, Run | SelfOf<Stores>>>
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

  const codecs = stores.map((store) => ({
    key: store.key,
    encode: Schema.encodeSync(store.schema),
    decode: Schema.decodeUnknownSync(store.schema)
  }))
  const body = (payload: typeof Payload.Type) =>
    Effect.suspend(() => {
      const slots: Array<Slot> = []
      let services = Context.make(RunKey, askInBody)
      for (let i = 0; i < stores.length; i++) {
        const store = stores[i]!
        const { decode, encode } = codecs[i]!
        const encoded = payload.stores[store.key]
        if (encoded === undefined) {
          const where = `Durable.toWorkflow ${JSON.stringify(options.name)}`
          return Effect.die(new Error(`${where}: no initial state for ${store.key}`))
        }
        const state = decode(encoded)
        const value: Store<unknown> = { ref: Ref.makeUnsafe(state) }
        slots.push({ key: store.key, encode, decode, store: value, lastState: state, lastEncoded: encoded })
        services = Context.add(services, store, value)
      }
      const ctx: Ctx = {
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
      const place = { id: root.name, path: root.name }
      return Effect.map(
        Effect.provideContext(walk(ctx, root, place), services as Context.Context<never>),
        (action) => ({ action, stores: encodeAll(ctx) })
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
        const deferred = deferredOf(answer.key)
        const token = DurableDeferred.tokenFromExecutionId(deferred, { workflow, executionId: eid })
        const value = Schema.encodeSync(answer.input.answer)(answer.value) as Schema.Json
        return DurableDeferred.succeed(deferred, { token, value })
      }),
    interrupt: (id) => Effect.flatMap(executionId(id), (eid) => workflow.interrupt(eid)),
    executionId
  }
}
