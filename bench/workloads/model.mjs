// Workload 9: model events. A loop whose node asks a (fake, instant) LanguageModel once per step: unobserved
// (`Flow.run`), through a `Flow.events` subscriber without and with `{ model: true }`, and the unobserved loop on the
// library before model events existed (a base build, bench/base.mjs). Without a subscriber, model events must cost
// nothing: the unobserved loop runs the same code as before.
import { ours, oursBase } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

// A model call through effect/ai costs about a millisecond (its span, the decoding of the reply): 2,000 steps is enough.
export const sizes = { smoke: { n: 200 }, full: { n: 2_000 } }

export const labels = (s) => ({ model: `13. model loop (N = ${s.n})` })

const events = "effect-pocketflow + events"
const modelEvents = "effect-pocketflow + events { model: true }"

const row = (who, n, impl, name = who.name) => ({ ...who, name, impl, args: { n }, units: n })

export const check = (row, n) => expectEqual(`model/${row.name}`, n, row.args.n)

export const run = async (bench, s) => {
  bench.title(`13. Model loop: one node asks a fake model and routes back to itself, N = ${s.n}`)
  await bench.interleaved("model", "µs/step", [
    row(ours, s.n, "modelLoop"),
    row(oursBase, s.n, "modelLoop"),
    row(ours, s.n, "modelLoopEvents", events),
    row(ours, s.n, "modelLoopModelEvents", modelEvents)
  ])
}

export const targets = (t) => {
  t.ratio(
    "model loop, no subscriber: parity (≤ 1.1×) with the same loop before model events",
    "model",
    ours.name,
    oursBase.name,
    1.1
  )
  t.ratio("(reference) events { model: true } vs events without (≤ 1.5×)", "model", modelEvents, events, 1.5)
}
