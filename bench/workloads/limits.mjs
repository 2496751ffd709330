// Workload 9: a shared limit. A batch of items at a high concurrency, each exec waiting on a real timer, under a
// limit of fewer concurrent execs (Limits.layer): the limit must hold (the most execs in flight, counted inside exec,
// never above it) and cost next to nothing (the batch finishes close to the ideal time at the limit's concurrency).
import { ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { fmt } from "../harness/stats.mjs"

export const sizes = {
  smoke: { items: 200, waitMs: 10, concurrency: 100, limit: 10, trials: 3 },
  full: { items: 1_000, waitMs: 10, concurrency: 100, limit: 10, trials: 5 }
}

const ideal = (s) => Math.ceil(s.items / s.limit) * s.waitMs
const table = "limits"
const control = "effect-pocketflow, no limit, batch concurrency = the limit (control)"

export const labels = (s) => ({
  [table]: `9. limit of ${s.limit} under a batch at concurrency ${s.concurrency} (${s.items} items, ideal ${
    ideal(s)
  } ms)`
})

export const check = (row, r) => {
  expectEqual(`limits/${row.name}: items done`, r.done, row.args.items)
  if (r.most > row.args.limit) {
    throw new Error(`limits/${row.name}: ${r.most} execs in flight, over the limit of ${row.args.limit}`)
  }
}

export const run = async (bench, s) => {
  bench.title(
    `9. Limits: ${s.items} items at concurrency ${s.concurrency}, each waits ${s.waitMs} ms, under a limit of ` +
      `${s.limit} concurrent (ideal ${ideal(s)} ms)`
  )
  const row = (name, control) => ({
    ...ours,
    name,
    impl: "limits",
    args: { items: s.items, waitMs: s.waitMs, concurrency: s.concurrency, limit: s.limit, control },
    units: 1,
    extra: { ideal: ideal(s), limit: s.limit }
  })
  await bench.interleaved(table, "ms", [
    row(ours.name, false),
    // The floor: the same batch with no limit, at the limit's concurrency (what the timers alone cost here).
    row(control, true)
  ], { perRun: true, trials: s.trials })
}

export const targets = (t, s) => {
  const row = t.row(table, ours.name)
  const limit = `limits: never more than ${s.limit} execs in flight`
  const time = `limits: ${s.items} items under a limit of ${s.limit} within 1.1× ideal`
  if (row === undefined) {
    t.add({ target: limit, status: "SKIPPED", value: t.whySkipped(ours.name) })
    return t.add({ target: time, status: "SKIPPED", value: t.whySkipped(ours.name) })
  }
  // Every run's result was checked against the limit in its child; the gauge of the last trial is in the row.
  t.add({
    target: limit,
    status: row.mostInFlight <= s.limit ? "MET" : "MISSED",
    value: `at most ${row.mostInFlight} in flight (gauge inside exec, every run checked)`
  })
  const vsIdeal = row.median / row.ideal
  const floor = t.row(table, control)
  const vsFloor = floor === undefined ? "" : `; the control without a limit: ${(floor.median / row.ideal).toFixed(3)}×`
  t.add({
    target: time,
    status: vsIdeal <= 1.1 ? "MET" : "MISSED",
    value: `${vsIdeal.toFixed(3)}× (${fmt(row.median)} ms / ${row.ideal} ms${vsFloor})`
  })
}
