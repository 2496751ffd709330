// The same work written by hand in Effect, without effect-pocketflow: Effect.flatMap, a Ref and a service (the floor
// for an Effect-based library), and a hand-written workflow with one Activity per step.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { onWorkflowEngine } from "./support/effect.mjs"
import { range } from "./support/plain.mjs"

const RawStore = Context.Service()("bench/RawStore")
const OuterParams = Context.Service()("bench/OuterParams")
const InnerParams = Context.Service()("bench/InnerParams")

/** Runs `program` with a fresh `Ref` holding `initial` as the store service and resolves the final state. */
const withRef = (initial, program) =>
  Effect.runPromise(
    Effect.flatMap(Ref.make(initial), (ref) =>
      Effect.flatMap(Effect.provideService(program, RawStore, { ref }), () => Ref.get(ref)))
  )

/** Read the store service, add one, write, loop until `n`; `onStep(n)` as in the library's loop (heap rows). */
export const loop = ({ n }, { onStep }) => {
  const step = Effect.flatMap(RawStore, (store) =>
    Effect.flatMap(Ref.get(store.ref), (s) => {
      const x = s.n + 1
      if (onStep !== undefined) onStep(x)
      return Effect.flatMap(Ref.set(store.ref, { n: x }), () => (x < n ? step : Effect.void))
    }))
  return { run: () => withRef({ n: 0 }, step).then((s) => s.n) }
}

export const chain = ({ length }) => {
  const steps = range(
    length,
    () =>
      Effect.flatMap(RawStore, (store) => Effect.flatMap(Ref.get(store.ref), (s) => Ref.set(store.ref, { n: s.n + 1 })))
  )
  const go = (i) => (i === length ? Effect.void : Effect.flatMap(steps[i], () => go(i + 1)))
  return { run: () => withRef({ n: 0 }, Effect.suspend(() => go(0))).then((s) => s.n) }
}

export const batch = ({ items, waitMs, concurrency }) => {
  const list = range(items)
  const all = Effect.forEach(list, (i) => Effect.as(Effect.sleep(waitMs), i), { concurrency })
  return { run: () => Effect.runPromise(all).then((rs) => rs.length) }
}

export const nested = ({ outer: O, inner: I }) => {
  const outerSets = range(O, (outer) => ({ outer }))
  const innerSets = range(I, (inner) => ({ inner }))
  const leaf = Effect.flatMap(
    OuterParams,
    (o) =>
      Effect.flatMap(
        InnerParams,
        (i) =>
          Effect.flatMap(RawStore, (store) =>
            Ref.update(store.ref, (s) => ({ n: s.n + 1, sum: s.sum + o.outer * 1000 + i.inner })))
      )
  )
  const each = (sets, Params, program) =>
    Effect.forEach(sets, (p) => Effect.provideService(program, Params, p), { discard: true })
  const outerRuns = each(outerSets, OuterParams, each(innerSets, InnerParams, leaf))
  return { run: () => withRef({ n: 0, sum: 0 }, outerRuns) }
}

/** The loop as a workflow written by hand: one Activity per step, on the memory engine or SingleRunner + Postgres. */
export const workflow = async ({ n, engine, url }) => {
  const { Activity, Workflow } = await import("effect/workflow")
  const Hand = Workflow.make("bench-hand", {
    payload: { id: Schema.String },
    success: Schema.Number,
    idempotencyKey: (p) => p.id
  })
  const handLayer = Hand.toLayer(() =>
    Effect.gen(function*() {
      let x = 0
      while (x < n) {
        const from = x
        x = yield* Activity.make({ name: `step-${from}`, success: Schema.Number, execute: Effect.sync(() => from + 1) })
      }
      return x
    })
  )
  const layer = await onWorkflowEngine(handLayer, engine, url)
  if (layer.skip !== undefined) return layer
  const runtime = ManagedRuntime.make(layer)
  let k = 0
  return {
    run: () => runtime.runPromise(Hand.execute({ id: `hand-${k++}` })),
    dispose: () => runtime.dispose()
  }
}
