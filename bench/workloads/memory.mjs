// Workload 3: a long run of workload 1's loop; the heap before and after (each after a forced GC) and at its peak.
import { ours, pocketflow, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { loopRow } from "./loop.mjs"

export const sizes = {
  smoke: { steps: 20_000, trials: 1 },
  full: { steps: 1_000_000, trials: 5 }
}

export const labels = (s) => ({ memory: `3. long loop (${s.steps} steps)` })

export const check = (row, n) => expectEqual(`memory/${row.name}`, n, row.args.n)

export const run = async (bench, s) => {
  bench.title(`3. Long loop memory: ${s.steps} steps of workload 1 (heap sampled every 4096 steps)`)
  // one run per trial between forced GCs (heap readings), interleaved like the other workloads, after one warm-up run
  const rows = [ours, pocketflow, rawEffect].map((who) => loopRow(who, s.steps))
  await bench.interleaved("memory", "µs/step", rows, { heap: true, trials: s.trials, warmup: { runs: 1, ms: 0 } })
}

export const targets = (t, s) => {
  const row = t.row("memory", ours.name)
  const target = `${s.steps}-step loop: heap growth after GC < 10 MB`
  if (row === undefined) return t.add({ target, status: "SKIPPED", value: "not run" })
  t.add({ target, status: row.growthMB < 10 ? "MET" : "MISSED", value: `${row.growthMB.toFixed(2)} MB` })
}
