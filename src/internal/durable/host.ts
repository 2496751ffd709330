/**
 * The durable host (`Durable.run`): every node step, composite prep and post, and batch item runs in a step fiber of
 * its own (it may `ask`); a step's post and the record of its completion are saved as one commit; batch items with a
 * `resultSchema` are saved one record each. With a subscriber (`Durable.events`) it reports like the observed host.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"
import { type AnyNode, toAction } from "../node.ts"
import { CurrentObservation, type Observation } from "../observation.ts"
import * as Cursor from "../walk/cursor.ts"
import { type Host, SUSPENDED } from "../walk/host.ts"
import * as observed from "../walk/report.ts"
import { inbox } from "./ask.ts"
import { kept } from "./memo.ts"
import { commit, type RunState } from "./snapshot.ts"
import { inStep, type Step } from "./step.ts"
import { child, timer } from "./waits.ts"

/** Where a node runs: its step id (with visits), and its observation (path, run indices) for events. */
export interface Place extends observed.Place {
  readonly id: string
}

const place = (
  run: RunState,
  o: Omit<Observation, "emit" | "spans" | "clock">,
  id: string,
  parent?: string
): Place => ({
  ...observed.place({ ...o, emit: run.emit, spans: false, clock: run.clock }, parent),
  id
})

/** The place of the run's root. */
export const rootPlace = (run: RunState, root: AnyNode): Place =>
  place(run, { owner: root, path: root.name, runs: [], item: undefined }, root.name)

/** How the run's steps wait (for an input, a timer or a child run) and keep their sub-steps. */
type Waits = Pick<Step, "ask" | "sleep" | "child" | "memo">

/** Runs `body` as the step `id` of the run, in a fiber of its own. */
const inFiber = <A>(
  run: RunState,
  waits: Waits,
  id: string,
  path: string,
  body: Effect.Effect<A, unknown, unknown>
) => {
  const step: Step = { id, path, counters: new Map(), suspended: false, ...waits }
  return inStep(step, `${run.id}:${id}`, body)
}

/** The batch nodes (by def) warned about: once per node and process. */
const warned = new WeakSet<object>()

/**
 * A durable batch without `resultSchema` cannot save its items one by one: after a crash every item runs again. Said
 * once per node, the first time a durable run executes it.
 */
const warnUnsaved = (def: object, p: Place): Effect.Effect<void> => {
  if (warned.has(def)) return Effect.void
  warned.add(def)
  const flow = p.parent === undefined ? "" : ` in flow ${JSON.stringify(p.parent)}`
  return Effect.logWarning(
    `Durable batch ${JSON.stringify(p.owner.name)}${flow} has no resultSchema: its finished items are not saved, so ` +
      `after a crash or a suspension every item runs again. Give Node.batch a resultSchema (a Schema of exec's ` +
      `result) to save each item as it finishes and run only the unfinished ones on resume.`
  )
}

/** Drops the waiting inputs of a step that has completed (the run moved past them). */
const movedPast = (run: RunState, stepId: string) => {
  if (run.waiting.size === 0) return
  const prefix = `${stepId}/`
  for (const key of run.waiting.keys()) if (key.startsWith(prefix)) run.waiting.delete(key)
}

export const host = (run: RunState): Host<Place> => {
  const waits: Waits = { ask: inbox(run), sleep: timer(run), child: child(run), memo: kept(run) }
  const base: Host<Place> = {
    positions: true,
    visits: true,
    reuse: false,
    step: (parent, node, visit) =>
      place(
        run,
        { owner: node, path: `${parent.path}/${node.name}`, runs: parent.runs, item: undefined },
        Cursor.stepId(parent.id, node.name, visit),
        parent.owner.name
      ),
    child: (parent, node, index, batch) =>
      place(
        run,
        {
          owner: node,
          path: `${parent.path}/${node.name}`,
          runs: batch ? [...parent.runs, index] : parent.runs,
          item: undefined
        },
        Cursor.stepId(batch ? Cursor.runId(parent.id, index) : parent.id, node.name, 1),
        parent.owner.name
      ),
    run: (_, { exec, post, prep }, p, complete) => {
      let action = "default"
      const finish = (prepared: unknown, x: unknown) =>
        commit(
          run,
          Effect.map(post === undefined ? Effect.void : post(prepared, x), (a) => {
            action = toAction(a)
            movedPast(run, p.id)
            complete(action)
          })
        )
      let body = prep === undefined
        ? Effect.suspend(() => Effect.flatMap(exec(undefined), (x) => finish(undefined, x)))
        : Effect.flatMap(prep, (prepared) => Effect.flatMap(exec(prepared), (x) => finish(prepared, x)))
      if (run.emit !== undefined) body = Effect.provideService(body, CurrentObservation, p)
      return Effect.map(inFiber(run, waits, p.id, p.path, body), (r) => r === SUSPENDED ? SUSPENDED : action)
    },
    prep: (p, prep) => inFiber(run, waits, Cursor.partId(p.id, "prep"), p.path, prep),
    commit: (p, post, last, complete) => {
      if (post === undefined) {
        return commit(
          run,
          Effect.sync(() => {
            complete(last)
            return last
          })
        )
      }
      return inFiber(
        run,
        waits,
        Cursor.partId(p.id, "post"),
        p.path,
        commit(
          run,
          Effect.map(post, (a) => {
            const action = toAction(a)
            complete(action)
            return action
          })
        )
      )
    },
    item: (_, { exec, resultSchema }, p, index, item) => {
      let result: unknown
      let one = Effect.flatMap(exec(item), (x) => {
        result = x
        if (resultSchema === undefined) return Effect.void
        return Effect.flatMap(
          Schema.encodeEffect(resultSchema)(x),
          (encoded) =>
            Effect.map(run.cp.putItem(run.id, p.id, index, encoded as Json), () => {
              run.steps++
            })
        )
      })
      if (run.emit !== undefined) one = Effect.provideService(one, CurrentObservation, { ...p, item: index })
      return Effect.map(
        inFiber(run, waits, Cursor.runId(p.id, index), Cursor.runId(p.path, index), one),
        (r) => r === SUSPENDED ? SUSPENDED : result
      )
    },
    scope: (p) => p.id,
    restored: (def, p, fresh) => {
      const { resultSchema } = def
      if (resultSchema === undefined) return Effect.as(warnUnsaved(def, p), undefined)
      // Saved items are matched to items by index: record the fingerprint before the first item record.
      const first = fresh ? commit(run, Effect.void) : Effect.void
      const decode = Schema.decodeUnknownEffect(resultSchema)
      return Effect.andThen(
        first,
        Effect.flatMap(run.cp.items(run.id, p.id), (saved) =>
          Effect.map(
            Effect.forEach(saved, ([i, encoded]) =>
              Effect.map(
                Effect.mapError(
                  decode(encoded),
                  (e) => new CheckpointError({ reason: "store decode failed", detail: `${p.path}[${i}]: ${e.message}` })
                ),
                (value) => [i, value] as const
              )),
            (entries) => new Map(entries)
          ))
      )
    },
    tally: () => {
      run.steps++
    }
  }
  if (run.emit === undefined) return base
  return { ...base, ...observed.reporting(false) }
}
