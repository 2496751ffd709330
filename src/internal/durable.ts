/**
 * The durable walk: the same graph walk as the plain loop (edges, normalisation, unmatched actions, maxSteps from
 * `graph.ts`), with each step run in its own fiber and recorded in a position tree that is saved after every
 * completed step at every nesting level.
 *
 * Position tree (JSON, saved in `Snapshot.position`), one object per composite node in progress:
 * - flow:       `{ at, kind, steps, visits, last?, inner? }` — `at` the node to run (null once the walk ended with
 *               `last`), `visits` per node name, `inner` the position inside `at` when it is composite;
 * - batch-flow: `{ fp, done: { [run]: action }, running: { [run]: Pos } }`;
 * - parallel:   `{ done: { [branch]: action }, running: { [branch]: Pos } }`;
 * - batch:      `{ fp }` (its finished items are item records, one per item);
 * - node:       `{}`.
 * A child's step id extends its parent's with `/name#visit` (`[i]` for batch runs and items), so input keys and
 * item scopes are unique per visit, run, branch and item.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import type * as Checkpointer from "../Checkpointer.ts"
import { CheckpointError, InputTimeout, MaxStepsExceeded, RunLocked } from "../Errors.ts"
import * as FlowEvent from "../FlowEvent.ts"
import type { Store } from "../Shared.ts"
import * as flowInternal from "./flow.ts"
import * as graph from "./graph.ts"
import type { Json } from "./json.ts"
import { type AnyNode, describe, isIterable } from "./node.ts"
import * as observe from "./observe.ts"

// ---------------------------------------------------------------------------------------------------
// positions
// ---------------------------------------------------------------------------------------------------

export interface FlowPos {
  at: string | null
  kind: string
  steps: number
  visits: Record<string, number>
  last?: string
  inner?: Pos
}
export interface ManyPos {
  fp?: string
  done: Record<string, string>
  running: Record<string, Pos>
}
export interface BatchPos {
  fp: string
}
export type Pos = FlowPos | ManyPos | BatchPos | Record<string, never>

/** A run-time copy of the live tree, safe to keep while the walk goes on mutating it. */
const copy = (pos: unknown): Json => {
  if (pos === null || typeof pos !== "object") return pos as Json
  const out: Record<string, Json> = {}
  for (const key in pos) {
    const value = (pos as Record<string, unknown>)[key]
    if (value !== undefined) out[key] = copy(value)
  }
  return out
}

/** Item fingerprints: a 53-bit string hash of the items' JSON (cyrb53), stable across processes. */
export const fingerprint = (items: ReadonlyArray<unknown>): string => {
  let text: string
  try {
    text = JSON.stringify(items) ?? "undefined"
  } catch {
    text = `${items.length} items that are not JSON`
  }
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return `${items.length}:${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`
}

// ---------------------------------------------------------------------------------------------------
// the run
// ---------------------------------------------------------------------------------------------------

export interface StoreSlot {
  readonly key: string
  readonly schema: Schema.Codec<any, any, never, never>
  readonly store: Store<unknown>
  lastState: unknown
  lastEncoded: Json
}

/** What one durable run knows while it walks. */
export interface Run {
  readonly id: string
  readonly owner: string
  readonly flow: string
  readonly cp: Checkpointer.Service
  readonly stores: ReadonlyArray<StoreSlot>
  readonly lock: Semaphore.Semaphore
  readonly emit: ((event: FlowEvent.FlowEvent) => void) | undefined
  readonly spans: boolean
  readonly clock: Clock.Clock
  version: number
  steps: number
  root: Pos
  /** Inputs asked in this walk and not answered; plus the previous suspension's, until the run moves past them. */
  waiting: Map<string, Checkpointer.Waiting>
  /** The previous suspension's inputs (their deadlines survive a resume). */
  carried: Map<string, Checkpointer.Waiting>
  answers: Map<string, Checkpointer.Answer>
  /** Set when the lease was lost: the run stops and fails with it. */
  lost: RunLocked | undefined
  /** The root's action once the walk ended. */
  final: string | undefined
}

export const SUSPENDED: unique symbol = Symbol.for("effect-pocketflow/Durable/Suspended")
export type Result = string | typeof SUSPENDED

/** The step running in the current fiber: what `ask` and `Durable.StepKey` read. */
export interface Step {
  readonly run: Run
  /** The step id: `root/node#visit/…`. */
  readonly id: string
  /** The path without visits, as in events: `root/node`. */
  readonly path: string
  readonly counters: Map<string, number>
  suspended: boolean
}

export const StepKey = Context.Reference<string | undefined>("effect-pocketflow/Durable/StepKey", {
  defaultValue: () => undefined
})

export const CurrentStep = Context.Reference<Step | undefined>("effect-pocketflow/Durable/CurrentStep", {
  defaultValue: () => undefined
})

export const storageFailed = (detail: string) => (cause: unknown) =>
  new CheckpointError({ reason: "storage failed", detail: `${detail}: ${String(cause)}` })

const encodeStores = (run: Run): Record<string, Json> => {
  const out: Record<string, Json> = {}
  for (const slot of run.stores) {
    const state = slot.store.ref.ref.current
    if (state !== slot.lastState) {
      slot.lastEncoded = Schema.encodeSync(slot.schema)(state) as Json
      slot.lastState = state
    }
    out[slot.key] = slot.lastEncoded
  }
  return out
}

export const snapshotOf = (
  run: Run,
  status: Checkpointer.Status,
  now: number,
  extra?: { readonly failure?: string | undefined; readonly action?: string | undefined }
): Checkpointer.Snapshot => {
  const waiting = Array.from(run.waiting.values())
  let deadline: number | undefined
  for (const w of waiting) {
    if (w.deadline !== undefined && (deadline === undefined || w.deadline < deadline)) deadline = w.deadline
  }
  const snapshot: {
    -readonly [K in keyof Checkpointer.Snapshot]: Checkpointer.Snapshot[K]
  } = {
    format: 1,
    id: run.id,
    flow: run.flow,
    version: run.version + 1,
    status,
    steps: run.steps,
    position: copy(run.root),
    stores: encodeStores(run),
    waiting,
    updatedAt: now
  }
  if (deadline !== undefined) snapshot.deadline = deadline
  if (extra?.failure !== undefined) snapshot.failure = extra.failure
  if (extra?.action !== undefined) snapshot.action = extra.action
  return snapshot
}

/** Saves the run's current state as the next version. Call with the lock held (or when nothing else runs). */
export const saveUnlocked = (
  run: Run,
  status: Checkpointer.Status,
  extra?: { readonly failure?: string | undefined; readonly action?: string | undefined }
): Effect.Effect<void, CheckpointError | RunLocked> =>
  Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<void, CheckpointError | RunLocked> => {
    if (run.lost !== undefined) return Effect.fail(run.lost)
    const snapshot = snapshotOf(run, status, now, extra)
    let save: Effect.Effect<void, CheckpointError | RunLocked> = Effect.map(run.cp.save(snapshot), () => {
      run.version = snapshot.version
      run.emit?.(FlowEvent.CheckpointSaved({ path: run.flow, runs: [], version: snapshot.version, status }))
    })
    // A conflict means someone else saved this version: if our lease is gone too, we lost the run to that owner.
    save = Effect.catchTag(save, "CheckpointError", (error): Effect.Effect<void, CheckpointError | RunLocked> =>
      error.reason !== "version conflict" ? Effect.fail(error) : Effect.flatMap(
        Effect.orElseSucceed(run.cp.renew(run.id, { owner: run.owner, now, expiresAt: now }), () => undefined),
        (renewal): Effect.Effect<never, CheckpointError | RunLocked> => {
          if (renewal?._tag !== "Lost") return Effect.fail(error)
          run.lost = lockedBy(run.id, renewal.lease)
          return Effect.fail(run.lost)
        }
      ))
    if (run.spans) {
      save = Effect.withSpan(save, "durable.save", {
        attributes: { "pocketflow.run": run.id, "pocketflow.version": snapshot.version, "pocketflow.status": status }
      })
    }
    return save
  })

/** Runs `body` (a post and the record of its completion) and saves, as one critical section. */
const commit = <E, R>(
  run: Run,
  body: Effect.Effect<void, E, R>
): Effect.Effect<void, E | CheckpointError | RunLocked, R> =>
  run.lock.withPermit(Effect.andThen(
    body,
    Effect.suspend(() => saveUnlocked(run, run.final === undefined ? "running" : "done", { action: run.final }))
  ))

/**
 * Runs one step in its own fiber, so that `ask` can interrupt that fiber alone (a fiber interrupting itself inside
 * `Effect.forEach` would take its siblings down with it).
 */
const inFiber = (
  step: Step,
  body: Effect.Effect<void, unknown, unknown>
): Effect.Effect<Result | undefined, unknown, unknown> =>
  Effect.flatMap(
    Effect.forkChild(
      Effect.provideService(Effect.provideService(body, CurrentStep, step), StepKey, `${step.run.id}:${step.id}`),
      { startImmediately: true }
    ),
    (fiber) =>
    Effect.flatMap(Fiber.await(fiber), (exit) => {
      if (Exit.isSuccess(exit)) return Effect.succeed(undefined)
      if (step.suspended && Cause.hasInterruptsOnly(exit.cause)) return Effect.succeed(SUSPENDED)
      return Effect.failCause(exit.cause)
    })
  )

const makeStep = (run: Run, id: string, path: string): Step => ({
  run,
  id,
  path,
  counters: new Map(),
  suspended: false
})

/** Drops the waiting inputs of a step that has completed (the run moved past them). */
const movedPast = (run: Run, stepId: string) => {
  if (run.waiting.size === 0) return
  const prefix = `${stepId}/`
  for (const key of run.waiting.keys()) if (key.startsWith(prefix)) run.waiting.delete(key)
}

// ---------------------------------------------------------------------------------------------------
// walking
// ---------------------------------------------------------------------------------------------------

/** Where a node runs: its step id (with visit), its plain path, the run indices, and how to record its end. */
export interface Place {
  readonly id: string
  readonly path: string
  readonly runs: ReadonlyArray<number>
  /** Records the node's action in its parent's position; runs inside the critical section. */
  readonly complete: (action: string) => void
}

const normalize = graph.normalize

const observation = (run: Run, node: AnyNode, place: Place): observe.Observation | undefined =>
  run.emit === undefined ? undefined : observe.durableObservation(run.emit, run.clock, node, place.path, place.runs)

/** Runs any node at `place`, restoring from `saved`, recording progress into `live`. */
export const walk = (
  run: Run,
  node: AnyNode,
  saved: Pos | undefined,
  live: Pos,
  place: Place
): Effect.Effect<Result, unknown, unknown> => {
  const anatomy = node.info.anatomy
  switch (anatomy?._tag) {
    case "Flow":
      return walkFlow(run, node, anatomy, saved as FlowPos | undefined, live as FlowPos, place)
    case "BatchFlow":
    case "Parallel":
      return walkMany(run, node, anatomy, saved as ManyPos | undefined, live as ManyPos, place)
    case "Batch":
      return walkBatch(run, node, anatomy, saved as BatchPos | undefined, live as BatchPos, place)
    case "Step":
      return walkStep(run, node, anatomy, place)
    default:
      return Effect.die(new TypeError(`Durable: node ${JSON.stringify(node.name)} (${node.kind}) cannot run durably`))
  }
}

const announce = (run: Run, node: AnyNode, place: Place, body: Effect.Effect<Result, unknown, unknown>) => {
  const emit = run.emit
  if (emit === undefined) return body
  // The root flow reports itself as a flow (as under `Flow.events`); everything below it as nodes.
  const isRoot = place.id === run.flow && node.kind === "flow"
  const { path, runs } = place
  return Effect.suspend(() => {
    emit(
      isRoot
        ? FlowEvent.FlowStarted({ path, runs, flow: node.name })
        : FlowEvent.NodeStarted({ path, runs, node: node.name, kind: node.kind })
    )
    const start = run.clock.currentTimeNanosUnsafe()
    return Effect.tap(body, (result) =>
      Effect.sync(() => {
        if (result === SUSPENDED) return
        const duration = Duration.nanos(run.clock.currentTimeNanosUnsafe() - start)
        emit(
          isRoot
            ? FlowEvent.FlowFinished({ path, runs, flow: node.name, action: result, duration })
            : FlowEvent.NodeFinished({ path, runs, node: node.name, kind: node.kind, action: result, duration })
        )
      }))
  })
}

const walkStep = (
  run: Run,
  node: AnyNode,
  anatomy: graph.StepAnatomy,
  place: Place
): Effect.Effect<Result, unknown, unknown> => {
  const step = makeStep(run, place.id, place.path)
  const { exec, post, prep } = anatomy
  let action = "default"
  const finish = (p: unknown, x: unknown) =>
    commit(
      run,
      Effect.map(post === undefined ? Effect.void : post(p, x), (a) => {
        action = normalize(a)
        run.steps++
        movedPast(run, place.id)
        place.complete(action)
      })
    )
  let body: Effect.Effect<void, unknown, unknown> = prep === undefined
    ? Effect.suspend(() => Effect.flatMap(exec(undefined), (x) => finish(undefined, x)))
    : Effect.flatMap(prep, (p) => Effect.flatMap(exec(p), (x) => finish(p, x)))
  const o = observation(run, node, place)
  // A step with a subscriber is counted as one, so `Flow.emit` inside it looks for the observation.
  if (o !== undefined) body = observe.subscribing(Effect.provideService(body, observe.CurrentObservation, o))
  return announce(run, node, place, Effect.map(inFiber(step, body), (r) => r === SUSPENDED ? SUSPENDED : action))
}

/** A composite's own prep or post, in its own fiber (it may `ask`). */
const part = <A>(
  run: Run,
  place: Place,
  name: string,
  effect: Effect.Effect<A, unknown, unknown>,
  record: (a: A) => Effect.Effect<void, unknown, unknown>
): Effect.Effect<Result | undefined, unknown, unknown> =>
  inFiber(makeStep(run, `${place.id}/${name}`, place.path), Effect.flatMap(effect, record))

const walkFlow = (
  run: Run,
  node: AnyNode,
  anatomy: graph.FlowAnatomy,
  saved: FlowPos | undefined,
  live: FlowPos,
  place: Place
): Effect.Effect<Result, unknown, unknown> => {
  const def = anatomy.flow.def
  const g = anatomy.flow.graph
  const nodes = graph.nodesByName(g)
  const start = saved?.at === undefined ? def.start : saved.at === null ? undefined : nodes.get(saved.at)
  live.at = start === undefined ? null : start.name
  live.kind = start === undefined ? "end" : start.kind
  live.steps = saved?.steps ?? 0
  live.visits = { ...saved?.visits }
  if (saved?.last !== undefined) live.last = saved.last
  let innerSaved = saved?.inner
  const emit = run.emit

  // The node running now, for naming it in a defect's trace (as the plain loop does).
  let at: AnyNode = start ?? def.start
  const loop = (current: AnyNode | undefined): Effect.Effect<Result, unknown, unknown> => {
    if (current === undefined) return Effect.succeed(live.last ?? "default")
    at = current
    if (live.steps === def.maxSteps) {
      return Effect.fail(new MaxStepsExceeded({ flow: def.name, maxSteps: def.maxSteps, node: current.name }))
    }
    const visit = (live.visits[current.name] ?? 0) + 1
    const childLive: Pos = {}
    if (current.info.anatomy?._tag !== "Step") live.inner = childLive
    const restore = innerSaved
    innerSaved = undefined
    let next: AnyNode | undefined
    const id = graph.stepId(place.id, current.name, visit)
    const childPlace: Place = {
      id,
      path: `${place.path}/${current.name}`,
      runs: place.runs,
      complete: (action) => {
        live.steps++
        live.visits[current.name] = visit
        delete live.inner
        next = graph.successor(g, current, action)
        if (next === undefined) {
          live.at = null
          live.kind = "end"
          live.last = action
        } else {
          live.at = next.name
          live.kind = next.kind
        }
      }
    }
    const walked = walk(run, current, restore, childLive, childPlace)
    return Effect.flatMap(walked, (result): Effect.Effect<Result, unknown, unknown> => {
      if (result === SUSPENDED) return Effect.succeed(SUSPENDED)
      if (next !== undefined) {
        const { path, runs } = place
        emit?.(FlowEvent.Transition({ path, runs, from: current.name, action: result, to: next.name }))
        return loop(next)
      }
      return graph.ended(def.name, g, current, result, emit, place.path, place.runs)
    })
  }
  const walkFrom = (first: AnyNode | undefined) =>
    Effect.catchCause(loop(first), (cause) => flowInternal.locate(def.name, at)(cause))

  const prep = def.prep
  const post = def.post
  if (prep === undefined && post === undefined) {
    return announce(
      run,
      node,
      place,
      Effect.flatMap(walkFrom(start), (result): Effect.Effect<Result, unknown, unknown> => {
        if (result === SUSPENDED) return Effect.succeed(SUSPENDED)
        return Effect.as(commit(run, Effect.sync(() => place.complete(result))), result)
      })
    )
  }
  // A flow with its own prep/post: prep runs again on resume (as every prep does), post is part of the commit.
  let prepared: unknown
  let action = "default"
  const body = Effect.flatMap(
    prep === undefined ? Effect.succeed(undefined) : part(run, place, "prep", prep, (p) => Effect.sync(() => {
      prepared = p
    })),
    (r) =>
      r === SUSPENDED ? Effect.succeed<Result>(SUSPENDED) : Effect.flatMap(walkFrom(start), (result) => {
        if (result === SUSPENDED) return Effect.succeed<Result>(SUSPENDED)
        const finish = post === undefined ? Effect.succeed(result as string | void) : post(prepared, result)
        return Effect.map(
          part(run, place, "post", Effect.void, () =>
            commit(run, Effect.map(finish, (a) => {
              action = normalize(a)
              place.complete(action)
            }))),
          (r): Result => r === SUSPENDED ? SUSPENDED : action
        )
      })
  )
  return announce(run, node, place, body)
}

/** Batch flows and parallel blocks: several children, each finished one recorded with its action. */
const walkMany = (
  run: Run,
  node: AnyNode,
  anatomy: graph.BatchFlowAnatomy | graph.ParallelAnatomy,
  saved: ManyPos | undefined,
  live: ManyPos,
  place: Place
): Effect.Effect<Result, unknown, unknown> => {
  live.done = { ...saved?.done }
  live.running = {}
  const isBatch = anatomy._tag === "BatchFlow"
  let prepared: ReadonlyArray<unknown> = []
  let action = "default"
  const children = (): Effect.Effect<Result, unknown, unknown> => {
    const count = isBatch ? prepared.length : anatomy.branches.length
    const indices = Array.from({ length: count }, (_, i) => i)
    let suspended = false
    const actions: Array<string> = new Array(count)
    return Effect.flatMap(
      Effect.forEach(indices, (i) => {
        const done = live.done[i]
        if (done !== undefined) {
          actions[i] = done
          return Effect.void
        }
        const child = isBatch ? anatomy.inner : anatomy.branches[i]!
        const childLive: Pos = {}
        live.running[i] = childLive
        const childPlace: Place = isBatch
          ? {
            id: graph.stepId(graph.runId(place.id, i), child.name, 1),
            path: `${place.path}/${child.name}`,
            runs: [...place.runs, i],
            complete: (a) => {
              run.steps++
              delete live.running[i]
              live.done[i] = a
            }
          }
          : {
            id: graph.stepId(place.id, child.name, 1),
            path: `${place.path}/${child.name}`,
            runs: place.runs,
            complete: (a) => {
              run.steps++
              delete live.running[i]
              live.done[i] = a
            }
          }
        let child$ = walk(run, child, saved?.running[i], childLive, childPlace)
        if (isBatch) child$ = Effect.provideService(child$, anatomy.params, prepared[i])
        return Effect.map(child$, (r) => {
          if (r === SUSPENDED) suspended = true
          else actions[i] = r
        })
      }, { concurrency: anatomy.concurrency, discard: true }),
      () => {
        if (suspended) return Effect.succeed<Result>(SUSPENDED)
        type Post = (a: unknown, b: unknown) => Effect.Effect<string | void, unknown, unknown>
        const post = anatomy.post as Post | undefined
        const finish = post === undefined
          ? Effect.succeed(undefined)
          : isBatch
          ? post(prepared, actions)
          : post(actions, undefined)
        return Effect.map(
          part(run, place, "post", Effect.void, () =>
            commit(run, Effect.map(finish, (a) => {
              action = normalize(a)
              place.complete(action)
            }))),
          (r): Result => r === SUSPENDED ? SUSPENDED : action
        )
      }
    )
  }
  if (!isBatch) return announce(run, node, place, children())
  const body = Effect.flatMap(
    part(run, place, "prep", anatomy.prep, (items) =>
      Effect.suspend(() => {
        const checked = checkItems(node, items, saved?.fp, place)
        if (!Array.isArray(checked)) return checked as Effect.Effect<never, unknown>
        prepared = checked
        live.fp = fingerprint(checked)
        return Effect.void
      })),
    (r) => r === SUSPENDED ? Effect.succeed<Result>(SUSPENDED) : children()
  )
  return announce(run, node, place, body)
}

const checkItems = (
  node: AnyNode,
  items: unknown,
  savedFp: string | undefined,
  place: Place
): ReadonlyArray<unknown> | Effect.Effect<never, unknown> => {
  if (typeof items === "string" || !isIterable(items)) {
    return graph.invalidBatchItems(node, items)
  }
  const array = Array.from(items)
  if (savedFp !== undefined && fingerprint(array) !== savedFp) {
    return Effect.fail(
      new CheckpointError({
        reason: "batch items changed",
        detail: `${place.path}: prep produced different items on resume (${savedFp} before, ${fingerprint(array)} now)`
      })
    )
  }
  return array
}

const walkBatch = (
  run: Run,
  node: AnyNode,
  anatomy: graph.BatchAnatomy,
  saved: BatchPos | undefined,
  live: BatchPos,
  place: Place
): Effect.Effect<Result, unknown, unknown> => {
  const { exec, post, resultSchema } = anatomy
  let items: ReadonlyArray<unknown> = []
  let action = "default"
  const scope = place.id
  const runItems = (): Effect.Effect<Result, unknown, unknown> => {
    const results: Array<unknown> = new Array(items.length)
    let suspended = false
    const restored = resultSchema === undefined
      ? Effect.succeed(new Map<number, Json>())
      : run.cp.items(run.id, scope)
    return Effect.flatMap(restored, (savedItems) =>
      Effect.flatMap(
        Effect.forEach(items, (item, i) => {
          const savedItem = savedItems.get(i)
          if (savedItem !== undefined && resultSchema !== undefined) {
            return Effect.map(
              Effect.mapError(Schema.decodeUnknownEffect(resultSchema)(savedItem), (e) =>
                new CheckpointError({ reason: "store decode failed", detail: `${place.path}[${i}]: ${e.message}` })),
              (x) => {
                results[i] = x
              }
            )
          }
          const step = makeStep(run, graph.runId(place.id, i), graph.runId(place.path, i))
          const one = Effect.flatMap(exec(item), (x) => {
            results[i] = x
            if (resultSchema === undefined) return Effect.void
            return Effect.flatMap(Schema.encodeEffect(resultSchema)(x), (encoded) =>
              Effect.map(run.cp.putItem(run.id, scope, i, encoded as Json), () => {
                run.steps++
              }))
          })
          return Effect.map(inFiber(step, one), (r) => {
            if (r === SUSPENDED) suspended = true
          })
        }, { concurrency: anatomy.concurrency, discard: true }),
        () => {
          if (suspended) return Effect.succeed<Result>(SUSPENDED)
          const finish = post === undefined ? Effect.succeed(undefined) : post(items, results)
          return Effect.map(
            part(run, place, "post", Effect.void, () =>
              commit(run, Effect.map(finish, (a) => {
                action = normalize(a)
                run.steps++
                place.complete(action)
              }))),
            (r): Result => r === SUSPENDED ? SUSPENDED : action
          )
        }
      ))
  }
  const body = Effect.flatMap(
    part(run, place, "prep", anatomy.prep, (prepared) =>
      Effect.suspend(() => {
        const checked = checkItems(node, prepared, saved?.fp, place)
        if (!Array.isArray(checked)) return checked as Effect.Effect<never, unknown>
        items = checked
        live.fp = fingerprint(checked)
        // Saved items are matched to items by index: record the fingerprint before the first item record.
        return resultSchema !== undefined && saved?.fp === undefined ? commit(run, Effect.void) : Effect.void
      })),
    (r) => r === SUSPENDED ? Effect.succeed<Result>(SUSPENDED) : runItems()
  )
  return announce(run, node, place, body)
}

// ---------------------------------------------------------------------------------------------------
// deploys: does the saved position still fit the flow?
// ---------------------------------------------------------------------------------------------------

/** The positions of `saved` that name nodes the flow no longer has (with the same name and kind). */
export const missingPositions = (node: AnyNode, saved: unknown, path: string): Array<string> => {
  if (saved === null || typeof saved !== "object") return []
  const anatomy = node.info.anatomy
  const missing: Array<string> = []
  if (anatomy?._tag === "Flow") {
    const pos = saved as FlowPos
    if (typeof pos.at === "string") {
      const found = graph.nodesByName(anatomy.flow.graph).get(pos.at)
      if (found === undefined || found.kind !== pos.kind) {
        missing.push(`${path}/${pos.at} (${pos.kind})`)
      } else if (pos.inner !== undefined) {
        missing.push(...missingPositions(found, pos.inner, `${path}/${pos.at}`))
      }
    }
  } else if (anatomy?._tag === "BatchFlow" || anatomy?._tag === "Parallel") {
    const pos = saved as ManyPos
    for (const [i, inner] of Object.entries(pos.running ?? {})) {
      const child = anatomy._tag === "BatchFlow" ? anatomy.inner : anatomy.branches[Number(i)]
      if (child === undefined) missing.push(`${path}/branch ${i}`)
      else missing.push(...missingPositions(child, inner, `${path}/${child.name}`))
    }
    if (anatomy._tag === "Parallel") {
      for (const i of Object.keys(pos.done ?? {})) {
        if (anatomy.branches[Number(i)] === undefined) missing.push(`${path}/branch ${i}`)
      }
    }
  }
  return missing
}

// ---------------------------------------------------------------------------------------------------
// asking
// ---------------------------------------------------------------------------------------------------

export interface InputDef {
  readonly name: string
  readonly answer: Schema.Codec<any, any, never, never>
  readonly prompt: Schema.Codec<any, any, never, never> | undefined
  readonly answerSchema: Json
}

/** A token names the run and the key; it is opaque to users. */
export const tokenOf = (id: string, key: string): string => Buffer.from(JSON.stringify([id, key])).toString("base64url")

export const parseToken = (token: string): readonly [string, string] | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
    return Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" &&
        typeof parsed[1] === "string"
      ? [parsed[0], parsed[1]]
      : undefined
  } catch {
    return undefined
  }
}

const sameJson = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Interrupts the asking fiber the way `Workflow.suspend` does: the fiber interrupts itself from the outside, so no
 * `catchCause`, `exit` or `sandbox` in user code can turn the suspension into a value.
 */
const suspend: Effect.Effect<never> = Effect.interruptible(Effect.callback<never>(() => {
  const fiber = Fiber.getCurrent()!
  fiber.interruptUnsafe(fiber.id)
}))

/** `ask` inside a durable step: the answer from the inbox for this key and prompt, or suspend. */
export const ask = (
  input: InputDef,
  prompt: unknown,
  options: { readonly key?: string | undefined; readonly timeout?: number | undefined } | undefined
): Effect.Effect<unknown, InputTimeout> =>
  Effect.withFiber((fiber) => {
    const step = fiber.getRef(CurrentStep)
    if (step === undefined) {
      return Effect.die(
        new Error(
          `Durable input ${JSON.stringify(input.name)} was asked outside a durable step: ` +
            `run the flow with Durable.run, ` +
            `or provide Durable.layerAnswers for a plain Flow.run`
        )
      )
    }
    const { run } = step
    const key = graph.inputKey(step.id, input.name, graph.askSuffix(step.counters, input.name, options?.key))
    const promptJson = (input.prompt === undefined ? null : Schema.encodeSync(input.prompt)(prompt)) as Json
    return Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<unknown, InputTimeout> => {
      const answer = run.answers.get(key)
      let stale: Effect.Effect<void> = Effect.void
      if (answer !== undefined) {
        if (sameJson(answer.prompt, promptJson)) {
          return Effect.orDie(Schema.decodeUnknownEffect(input.answer)(answer.value))
        }
        // The step asked a different question this time: that answer was for the old prompt.
        run.answers.delete(key)
        run.emit?.(FlowEvent.AnswerStale({ path: step.path, runs: [], key, input: input.name }))
        stale = Effect.ignore(run.cp.removeAnswer(run.id, key))
      }
      const before = run.carried.get(key)
      const deadline = before !== undefined && sameJson(before.prompt, promptJson)
        ? before.deadline
        : options?.timeout === undefined
        ? undefined
        : now + options.timeout
      if (deadline !== undefined && now >= deadline) {
        return Effect.andThen(stale, Effect.fail(new InputTimeout({ id: run.id, key, input: input.name })))
      }
      const waiting: { -readonly [K in keyof Checkpointer.Waiting]: Checkpointer.Waiting[K] } = {
        key,
        input: input.name,
        path: step.path,
        prompt: promptJson,
        token: tokenOf(run.id, key),
        answerSchema: input.answerSchema
      }
      if (deadline !== undefined) waiting.deadline = deadline
      run.waiting.set(key, waiting)
      step.suspended = true
      // Yield before suspending, so concurrent asks of the same step register their inputs too.
      return Effect.andThen(stale, Effect.andThen(Effect.yieldNow, suspend))
    })
  })

export const lockedBy = (id: string, lease: Checkpointer.Lease | undefined) =>
  new RunLocked({ id, owner: lease?.owner ?? "nobody", expiresAt: lease?.expiresAt ?? 0 })

export { describe }
