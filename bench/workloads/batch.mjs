// Workload 4: a parallel batch of items that each wait on a real timer, at a concurrency limit and unbounded.
import { langgraph, ours, plainAsync, pocketflow, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { fmt } from "../harness/stats.mjs"

export const sizes = {
  smoke: { items: 200, waitMs: 10, concurrency: 20, trials: 3 },
  full: { items: 10_000, waitMs: 10, concurrency: 100, trials: 5 }
}

const bounded = (s) => `batch-c${s.concurrency}`
const ideal = (s) => Math.ceil(s.items / s.concurrency) * s.waitMs

export const labels = (s) => ({
  [bounded(s)]: `4. parallel batch, concurrency ${s.concurrency} (ideal ${ideal(s)} ms)`,
  "batch-unbounded": `4. parallel batch, unbounded (ideal ${s.waitMs} ms)`
})

export const check = (row, done) => expectEqual(`batch/${row.name}: items done`, done, row.args.items)

export const run = async (bench, s) => {
  bench.title(
    `4. Parallel batch: ${s.items} items, each waits ${s.waitMs} ms ` +
      `(ideal: ${ideal(s)} ms at concurrency ${s.concurrency}, ${s.waitMs} ms unbounded)`
  )
  const batch = (who, name, concurrency, idealMs) => ({
    ...who,
    name,
    impl: "batch",
    args: { items: s.items, waitMs: s.waitMs, concurrency },
    units: 1,
    extra: { ideal: idealMs }
  })
  const options = { perRun: true, trials: s.trials }
  await bench.interleaved(bounded(s), "ms", [
    batch(ours, ours.name, s.concurrency, ideal(s)),
    batch(langgraph, "LangGraph (maxConcurrency)", s.concurrency, ideal(s)),
    batch(rawEffect, "raw Effect forEach", s.concurrency, ideal(s)),
    batch(plainAsync, "plain async pool", s.concurrency, ideal(s))
  ], options)
  bench.note(`(PocketFlow has no concurrency limit: unbounded only. LangGraph unbounded is left out: 10,000`)
  bench.note(`concurrent Sends ran for minutes and grew the heap past 3 GB on the reference machine)`)
  await bench.interleaved("batch-unbounded", "ms", [
    batch(ours, ours.name, "unbounded", s.waitMs),
    batch(pocketflow, pocketflow.name, "unbounded", s.waitMs),
    batch(rawEffect, "raw Effect forEach", "unbounded", s.waitMs),
    batch(plainAsync, "plain Promise.all", "unbounded", s.waitMs)
  ], options)
}

export const targets = (t, s) => {
  const row = t.row(bounded(s), ours.name)
  const target = `parallel batch at concurrency ${s.concurrency}: ≤ 1.1× ideal`
  if (row === undefined) return t.add({ target, status: "SKIPPED", value: "not run" })
  const vsIdeal = row.median / row.ideal
  const value = `${vsIdeal.toFixed(3)}× (${fmt(row.median)} ms / ${row.ideal} ms)`
  t.add({ target, status: vsIdeal <= 1.1 ? "MET" : "MISSED", value })
}
