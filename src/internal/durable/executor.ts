/**
 * The durable executor: claims a run (a lease, renewed by a heartbeat), restores its stores and position, walks it
 * under the durable host, and maps how the walk ended to an outcome — done, suspended (saved "suspended", "sleeping"
 * or "waiting" with its waiting records; an answer that arrived, a timer that came due or a child that ended meanwhile
 * continues it at once), interrupted (its children too), failed (saved "failed"), or lost to another owner.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import { CheckpointError, RunFailed, RunNotFound } from "../../Errors.ts"
import * as CheckpointerNs from "../checkpointer/service.ts"
import { ctors, type FlowEvent } from "../events.ts"
import type { Json } from "../json.ts"
import { type AnyNode, toAction } from "../node.ts"
import { type Emit, spansWanted, subscribing } from "../observation.ts"
import * as Cursor from "../walk/cursor.ts"
import { SUSPENDED } from "../walk/host.ts"
import { root as walkRoot } from "../walk/walk.ts"
import { describe, Run, service } from "./ask.ts"
import { host, rootPlace } from "./host.ts"
import { CurrentRunObserver } from "./observer.ts"
import { lockedBy, lostTo, type RunState, save, slot } from "./snapshot.ts"
import { wake } from "./wake.ts"

const { Checkpointer } = CheckpointerNs
type Snapshot = CheckpointerNs.Snapshot

/** A wait as `Outcome.Suspended` lists it: an input, a timer (`until`) or a child run (`child`). */
export interface WaitingInput {
  readonly key: string
  readonly input: string
  readonly path: string
  readonly prompt: unknown
  readonly token: string
  /** What it waits for (since 0.4.0). */
  readonly kind: CheckpointerNs.WaitKind
  /** A timer's wake-up time, epoch millis. */
  readonly until?: number | undefined
  /** A child's run id. */
  readonly child?: string | undefined
}

export type Outcome<A> =
  | { readonly _tag: "Done"; readonly action: A; readonly steps: number }
  | { readonly _tag: "Suspended"; readonly waiting: ReadonlyArray<WaitingInput>; readonly steps: number }
  | { readonly _tag: "Interrupted"; readonly steps: number }

/** A store declared with a schema, as runs list it. */
export interface SchemaStore {
  readonly key: string
  readonly schema: Schema.Codec<any, any, never, never>
}

/** A store with its state when a run starts (`Store.initial(state)`). */
export interface InitialStore {
  readonly store: SchemaStore
  readonly state: unknown
}

export interface Execute {
  readonly id: string
  /**
   * "run" starts or continues (a failed run fails with `RunFailed`); "resume" continues an existing run, a failed one
   * too; "continue" is the worker's: an existing run, not a failed one, with `stores` as its store classes.
   */
  readonly mode: "run" | "resume" | "continue"
  readonly initial: ReadonlyArray<InitialStore>
  readonly stores: ReadonlyArray<SchemaStore>
  readonly lease: Duration.Input | undefined
  readonly takeover: "force" | undefined
  readonly emit: ((event: FlowEvent) => void) | undefined
  /** The lease owner's name (default: a random one per call); a worker names its claims. */
  readonly owner?: string | undefined
  /** The run's latest snapshot as the caller just read it (a worker's), so the first look reads nothing. */
  readonly loaded?: Snapshot | undefined
  /** Told when the lease is ours (a worker's "claimed" event). */
  readonly claimed?: (() => void) | undefined
}

export const toWaiting = (w: CheckpointerNs.Waiting): WaitingInput => {
  const out: { -readonly [K in keyof WaitingInput]: WaitingInput[K] } = {
    key: w.key,
    input: w.input,
    path: w.path,
    prompt: w.prompt,
    token: w.token,
    kind: CheckpointerNs.kindOf(w)
  }
  if (w.until !== undefined) out.until = w.until
  if (w.child !== undefined) out.child = w.child
  return out
}

/** `Durable.Run` in the steps of `Durable.run`. */
const askInRun = service((what) =>
  `${describe(what)} outside a durable step: run the flow with Durable.run, ` +
  `or provide Durable.layerAnswers (Durable.layerTimers for sleeps) for a plain Flow.run`
)

export const decodeStore = (store: SchemaStore, encoded: Json | undefined, id: string) =>
  encoded === undefined
    ? Effect.fail(
      new CheckpointError({
        reason: "store decode failed",
        detail: `run ${JSON.stringify(id)}: the checkpoint has no state for store ${JSON.stringify(store.key)}`
      })
    )
    : Effect.mapError(
      Schema.decodeUnknownEffect(store.schema)(encoded),
      (e) =>
        new CheckpointError({
          reason: "store decode failed",
          detail: `run ${JSON.stringify(id)}, store ${JSON.stringify(store.key)}: ${e.message}`
        })
    )

/**
 * A saved run belongs to its flow, and its position must exist in it: checked on every call (a poll of a suspended
 * run too), before anything runs.
 */
export const checkFlow = (root: AnyNode, snapshot: Snapshot): CheckpointError | undefined => {
  if (snapshot.flow !== root.name) {
    return new CheckpointError({
      reason: "flow mismatch",
      detail: `run ${JSON.stringify(snapshot.id)} belongs to flow ${JSON.stringify(snapshot.flow)}, not ` +
        `${JSON.stringify(root.name)}: a run continues only under the flow that started it`
    })
  }
  const missing = Cursor.missing(root, snapshot.position, root.name)
  if (missing.length > 0) {
    return new CheckpointError({
      reason: "wiring mismatch",
      detail: `run ${JSON.stringify(snapshot.id)} is saved at positions the flow no longer has: ${missing.join(", ")}`
    })
  }
  return undefined
}

const executeRaw = Effect.fnUntraced(function*(root: AnyNode, options: Execute) {
  const cp = yield* Checkpointer
  const { id } = options
  const clock = yield* Clock.Clock
  const leaseMs = Duration.toMillis(options.lease ?? "30 seconds")
  if (!(leaseMs > 0) || !Number.isFinite(leaseMs)) {
    return yield* Effect.die(new RangeError(`Durable.run ${JSON.stringify(id)}: lease must be a positive duration`))
  }
  const owner = options.owner ??
    `owner-${(yield* Random.nextInt).toString(36)}-${(yield* Random.nextInt).toString(36)}`
  const early = options.loaded ?? (yield* cp.load(id))
  if (early !== undefined) {
    const mismatch = checkFlow(root, early)
    if (mismatch !== undefined) return yield* mismatch
    const done = endedOutcome(early)
    if (done !== undefined) return done
    if (early.status === "failed" && options.mode !== "resume") {
      return yield* new RunFailed({ id, failure: early.failure ?? "unknown failure" })
    }
    // Still waiting — nothing answered, no timer or deadline due, no child ended: nothing to do. A job polling the run
    // must neither re-run its preps nor fill its history (and push older versions out of `keep`) with identical
    // suspensions. A worker was told the run is due, though: it settles the index (see `settle`).
    if (CheckpointerNs.isWaiting(early.status) && !(yield* movableNow(cp, early, clock))) {
      if (options.mode === "continue") yield* settle(cp, early, owner, leaseMs)
      return { _tag: "Suspended", waiting: early.waiting.map(toWaiting), steps: early.steps } as Outcome<string>
    }
  } else if (options.mode !== "run") {
    return yield* new RunNotFound({ id })
  }
  const now = clock.currentTimeMillisUnsafe()
  const held = yield* Effect.withSpan(
    cp.claim(id, { owner, now, expiresAt: now + leaseMs, force: options.takeover === "force" }),
    "durable.claim",
    { attributes: { "pocketflow.run": id, "pocketflow.owner": owner } }
  )
  if (held !== undefined) return yield* lockedBy(id, held, now)
  options.claimed?.()
  // Released, the run may let another move (a parent waiting for it) or be taken over: this process's workers look now.
  const outcome = yield* Effect.ensuring(
    claimed(root, options, cp, owner, leaseMs, clock),
    Effect.andThen(Effect.ignore(cp.release(id, owner)), wake(cp))
  )
  // `Durable.interrupt` marks a run before it tries to claim it: a mark made after our last look (the suspension's
  // save) and before our release is found here, so the run stops whichever of us looks last.
  if (outcome._tag === "Suspended" && (yield* cp.lease(id)).interrupt && (yield* interruptIdle(cp, id))) {
    return { _tag: "Interrupted", steps: outcome.steps } as Outcome<string>
  }
  return outcome
})

/**
 * Saves the run "interrupted" when nobody holds it: claims it, saves its latest snapshot as the next version with
 * status "interrupted" (unless it ended meanwhile), releases it. Whether the run is interrupted now; `false` when
 * another owner holds it (it stops at its next save or heartbeat: the mark is set) or the run ended otherwise.
 */
export const interruptIdle = (cp: CheckpointerNs.Service, id: string): Effect.Effect<boolean, CheckpointError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const owner = `interrupt-${(yield* Random.nextInt).toString(36)}`
    const held = yield* cp.claim(id, { owner, now, expiresAt: now + 60_000, force: false })
    if (held !== undefined) return false
    const latest = yield* Effect.ensuring(
      Effect.flatMap(cp.load(id), (latest) => {
        if (latest === undefined || latest.status === "done" || latest.status === "failed") {
          return Effect.succeed(undefined)
        }
        if (latest.status === "interrupted") return Effect.succeed(latest)
        return Effect.as(
          cp.save({ ...latest, version: latest.version + 1, status: "interrupted", updatedAt: now }),
          latest
        )
      }),
      Effect.ignore(cp.release(id, owner))
    )
    if (latest === undefined) return false
    yield* interruptChildren(cp, latest.children)
    return true
  })

/**
 * Interrupting a parent interrupts its children: each child not ended yet is marked, and stopped at once when nobody
 * holds it (its owner stops it at its next save or heartbeat otherwise); their children follow the same way.
 */
export const interruptChildren = (
  cp: CheckpointerNs.Service,
  children: ReadonlyArray<string> | undefined
): Effect.Effect<void, CheckpointError> =>
  children === undefined || children.length === 0 ?
    Effect.void :
    Effect.forEach(children, (child) =>
      Effect.flatMap(cp.load(child), (s) =>
        s === undefined || CheckpointerNs.isEnded(s.status)
          ? Effect.void
          : Effect.andThen(cp.requestInterrupt(child), interruptIdle(cp, child))), { discard: true })

/** Whether a waiting run can move now (`Checkpointer.movable`), reading its inbox only when an input is open. */
const movableNow = (cp: CheckpointerNs.Service, s: Pick<Snapshot, "id" | "status" | "waiting">, clock: Clock.Clock) =>
  Effect.flatMap(
    s.waiting.some((w) => w.answered !== true && CheckpointerNs.kindOf(w) === "input")
      ? cp.answers(s.id)
      : Effect.succeed([]),
    (answers) => CheckpointerNs.movable(s, clock.currentTimeMillisUnsafe(), answers, cp.load)
  )

/**
 * A worker was told a waiting run is due, and it is not: an index entry announced more than the run waits for (an
 * answer written for a key the run had moved past). Saving the latest snapshot again, as the next version under a
 * lease of ours, makes the checkpointer index it from what it waits for, so no worker is told again. Nothing happens
 * when someone holds the run or moved it on meanwhile.
 */
const settle = (cp: CheckpointerNs.Service, seen: Snapshot, owner: string, leaseMs: number) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if ((yield* cp.claim(seen.id, { owner, now, expiresAt: now + leaseMs, force: false })) !== undefined) return
    yield* Effect.ensuring(
      Effect.flatMap(cp.load(seen.id), (latest) =>
        latest === undefined || latest.version !== seen.version
          ? Effect.void
          : Effect.asVoid(cp.save({ ...latest, version: latest.version + 1, updatedAt: now }))),
      Effect.ignore(cp.release(seen.id, owner))
    )
  })

/**
 * A durable run: its logs carry the run id as `pocketflow.run`. A `CurrentRunObserver` in the context (a server) gets
 * the run's events too, beside the caller's `emit` (whose backlog, if any, still paces the run).
 */
export const execute = (root: AnyNode, options: Execute): Effect.Effect<Outcome<string>, unknown, unknown> =>
  Effect.annotateLogs(
    Effect.withFiber((fiber) => {
      const observer = fiber.getRef(CurrentRunObserver)
      if (observer === undefined) return executeRaw(root, options)
      const { id } = options
      const own = options.emit as Emit | undefined
      const emit: Emit = own === undefined
        ? (event) => observer.emit(id, event)
        : Object.assign((event: FlowEvent) => {
          own(event)
          observer.emit(id, event)
        }, { backlog: own.backlog })
      observer.started(id)
      return Effect.ensuring(executeRaw(root, { ...options, emit }), Effect.sync(() => observer.ended(id)))
    }),
    "pocketflow.run",
    options.id
  )

/** A suspension's status: "suspended" when an input waits, else "waiting" for a child, else "sleeping". */
const waitStatus = (run: RunState): CheckpointerNs.Status => {
  let child = false
  let timer = false
  for (const w of run.waiting.values()) {
    if (w.answered === true || run.over.has(w.key)) continue
    const kind = CheckpointerNs.kindOf(w)
    if (kind === "input") return "suspended"
    if (kind === "child") child = true
    else timer = true
  }
  return child ? "waiting" : timer ? "sleeping" : "suspended"
}

const endedOutcome = (s: Snapshot): Outcome<string> | undefined =>
  s.status === "done"
    ? { _tag: "Done", action: s.action ?? "default", steps: s.steps }
    : s.status === "interrupted"
    ? { _tag: "Interrupted", steps: s.steps }
    : undefined

/** Reads the run under the claim and builds its stores: from the checkpoint, or from the initial states. */
const restore = Effect.fnUntraced(function*(root: AnyNode, options: Execute) {
  const cp = yield* Checkpointer
  const { id } = options
  // Read again under the claim: another owner may have moved the run on since the first look.
  const existing = yield* cp.load(id)
  if (existing !== undefined) {
    const moved = checkFlow(root, existing)
    if (moved !== undefined) return yield* moved
    const done = endedOutcome(existing)
    if (done !== undefined) return { outcome: done }
    if (existing.status === "failed" && options.mode !== "resume") {
      return yield* new RunFailed({ id, failure: existing.failure ?? "unknown failure" })
    }
  } else if (options.mode !== "run") {
    // Deleted since the first look.
    return yield* new RunNotFound({ id })
  }
  const storeClasses = options.mode === "run" ? options.initial.map((i) => i.store) : options.stores
  const slots = []
  for (const store of storeClasses) {
    const state = existing === undefined
      ? options.initial.find((i) => i.store === store)!.state
      : yield* decodeStore(store, existing.stores[store.key], id)
    slots.push(slot(store.key, store.schema, state))
  }
  return { existing, slots }
})

const claimed = Effect.fnUntraced(function*(
  root: AnyNode,
  options: Execute,
  cp: CheckpointerNs.Service,
  owner: string,
  leaseMs: number,
  clock: Clock.Clock
) {
  const { id } = options
  const restored = yield* Effect.withSpan(restore(root, options), "durable.restore", {
    attributes: { "pocketflow.run": id }
  })
  if ("outcome" in restored) return restored.outcome
  const { existing, slots } = restored
  const spans = yield* Effect.withFiber((fiber) => Effect.succeed(spansWanted(fiber)))
  const carried = new Map((existing?.waiting ?? []).map((w) => [w.key, w] as const))
  const answers = existing === undefined ? [] : yield* cp.answers(id)
  const run: RunState = {
    id,
    owner,
    flow: root.name,
    cp,
    slots,
    lock: Semaphore.makeUnsafe(1),
    emit: options.emit,
    spans,
    clock,
    version: existing?.version ?? 0,
    steps: existing?.steps ?? 0,
    root: {},
    waiting: new Map(carried),
    carried,
    answers: new Map(answers.map((a) => [a.key, a] as const)),
    over: new Set(),
    parent: existing?.parent,
    children: [...(existing?.children ?? [])],
    lost: undefined,
    interrupt: false,
    final: undefined
  }
  let saved = existing?.position as Cursor.Position | undefined
  // The claim is saved before the first step (version 1 for a new run).
  run.root = (saved ?? {}) as Cursor.Position
  yield* save(run, "running")
  if (existing !== undefined) options.emit?.(ctors.Resumed({ path: root.name, runs: [], version: run.version }))
  const stopped = Effect.suspend(() =>
    Effect.as(
      Effect.andThen(save(run, "interrupted"), interruptChildren(cp, run.children)),
      { _tag: "Interrupted", steps: run.steps } as Outcome<string>
    )
  )
  // Marked while nobody held the run (its owner crashed, or it was between two calls): it stops before any step.
  if (run.interrupt) return yield* stopped

  let context = Context.make(Run, askInRun)
  for (const s of slots) context = Context.add(context, Context.Service<unknown, unknown>(s.key), s.cell)
  const durable = host(run)
  const complete = (action: string) => {
    run.final = action
  }

  while (true) {
    run.root = {}
    run.over.clear()
    let walk = Effect.provideContext(walkRoot(durable, root, rootPlace(run, root), saved, run.root, complete), context)
    // A run with a subscriber is counted as one, so `Flow.emit` inside its steps looks for the observation.
    if (options.emit !== undefined) walk = subscribing(walk)
    const walker = yield* Effect.forkChild(walk)
    const heartbeat = yield* Effect.forkChild(Effect.forever(Effect.andThen(
      Effect.sleep(Math.max(1, Math.floor(leaseMs / 3))),
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(
          Effect.orElseSucceed(cp.renew(id, { owner, now, expiresAt: now + leaseMs }), () => undefined),
          (renewal) => {
            if (renewal === undefined) return Effect.void
            if (renewal._tag === "Lost") {
              return Effect.flatMap(lostTo(cp, id, renewal.lease), (lost) => {
                run.lost = lost
                return Fiber.interrupt(walker)
              })
            }
            if (!renewal.interrupt) return Effect.void
            run.interrupt = true
            return Fiber.interrupt(walker)
          }
        ))
    )))
    const exit = yield* Fiber.await(walker)
    yield* Fiber.interrupt(heartbeat)
    if (Exit.isFailure(exit)) {
      if (run.lost !== undefined) return yield* run.lost
      if (run.interrupt && Cause.hasInterruptsOnly(exit.cause)) return yield* stopped
      if (!Cause.hasInterruptsOnly(exit.cause)) {
        yield* save(run, "failed", { failure: Cause.pretty(exit.cause) })
      }
      return yield* Effect.failCause(exit.cause)
    }
    const result = exit.value
    if (result !== SUSPENDED) {
      return { _tag: "Done", action: toAction(result), steps: run.steps } as Outcome<string>
    }
    // Suspended: keep only what this walk asked for, save, then look once more — an answer that arrived, a timer that
    // came due or a child that ended while we were suspending continues the run now instead of at the next call.
    // Keys answered already (their step asked again further on) are marked, so a poll can tell new answers apart;
    // timers that fired and children that ended in this walk are marked by the save (`run.over`).
    for (const [key, w] of run.waiting) {
      const a = run.answers.get(key)
      if (a !== undefined && JSON.stringify(a.prompt) === JSON.stringify(w.prompt)) {
        run.waiting.set(key, { ...w, answered: true })
      }
    }
    const status = waitStatus(run)
    yield* run.lock.withPermit(save(run, status))
    // Marked while we walked towards the wait: the run stops instead of waiting.
    if (run.interrupt) return yield* stopped
    const waiting = Array.from(run.waiting.values()).map((w) =>
      run.over.has(w.key) && w.answered !== true ? { ...w, answered: true } : w
    )
    options.emit?.(ctors.Suspended({
      path: root.name,
      runs: [],
      waiting: waiting.map((w) => ({ key: w.key, input: w.input, prompt: w.prompt }))
    }))
    const fresh = yield* cp.answers(id)
    // Only answers this walk did not have count: an answered key stays waiting until its step completes.
    const answered = fresh.some((a) => run.waiting.has(a.key) && !run.answers.has(a.key))
    const moves = answered ||
      (yield* CheckpointerNs.movable({ status, waiting }, clock.currentTimeMillisUnsafe(), [], cp.load))
    if (!moves) return { _tag: "Suspended", waiting: waiting.map(toWaiting), steps: run.steps } as Outcome<string>
    run.answers = new Map(fresh.map((a) => [a.key, a] as const))
    run.carried = new Map(run.waiting)
    saved = JSON.parse(JSON.stringify(run.root)) as Cursor.Position
  }
})
