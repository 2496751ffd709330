// Workload 1: one node increments a counter in the shared store and routes back to itself until N (prep reads the
// counter, exec adds one, post writes it and picks the action), with the observed (Flow.events) and Flow.emit rows.
import { langgraph, ours, plainAsync, pocketflow, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { n: 200, langgraphN: 50 },
  full: { n: 20_000, langgraphN: 2_000 }
}

export const labels = (s) => ({ loop: `1. loop (N = ${s.n}; LangGraph ${s.langgraphN})` })

/** A row of the loop: `who` from contenders/names.mjs, `impl` the contender's export. */
export const loopRow = (who, n, impl = "loop", name = who.name) => ({ ...who, name, impl, args: { n }, units: n })

export const check = (row, n) => expectEqual(`loop/${row.name}`, n, row.args.n)

const events = "effect-pocketflow + events"
const emit = "effect-pocketflow + Flow.emit, no subscriber"
const control = "effect-pocketflow + Effect.void (control)"

export const run = async (bench, s) => {
  bench.title(
    `1. Loop: one node increments a counter and routes back to itself, N = ${s.n} (LangGraph N = ${s.langgraphN})`
  )
  await bench.interleaved("loop", "µs/step", [
    loopRow(ours, s.n),
    loopRow(pocketflow, s.n),
    loopRow(langgraph, s.langgraphN),
    loopRow(rawEffect, s.n),
    loopRow(plainAsync, s.n),
    loopRow(ours, s.n, "loopEvents", events),
    // Flow.emit with nobody observing must cost nothing: the loop whose exec emits, and the loop whose exec does a
    // no-op Effect in the same place (the cost of the extra step itself, for comparison)
    loopRow(ours, s.n, "loopEmit", emit),
    loopRow(ours, s.n, "loopControl", control)
  ])
}

export const targets = (t) => {
  t.ratio("loop: ≤ 1.0× PocketFlow", "loop", ours.name, pocketflow.name, 1.0)
  t.ratio("loop: ≤ 2× raw Effect", "loop", ours.name, rawEffect.name, 2.0)
  // Flow.emit is one more Effect in the node: what must cost nothing is the emit itself, so it is compared with the
  // same loop doing Effect.void in its place (the control). The ratio to the plain loop is shown for reference.
  const parity = "loop with Flow.emit, no subscriber: parity (≤ 1.1×) with the control (Effect.void in its place)"
  t.ratio(parity, "loop", emit, control, 1.1)
  t.ratio("(reference) loop with Flow.emit, no subscriber vs the plain loop (≤ 1.5×)", "loop", emit, ours.name, 1.5)
  t.ratio("observed loop (Flow.events subscriber): ≤ 2× the unobserved loop", "loop", events, ours.name, 2.0)
}
