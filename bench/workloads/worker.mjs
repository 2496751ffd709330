// Workload 11: the worker (Durable.worker). 11a: one `due` poll on a checkpointer holding many idle runs (waiting for
// an answer or a far timer) and 10 due ones, at two sizes: its cost must grow with the due runs, not with all runs.
// 11b: the worker's overhead per continued run against calling Durable.run directly. 11c: the wake-up latency of an
// answered run under the default poll (1 s).
import { ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { idle: [100, 1_000], due: 10, steps: 10, runs: 20, pollMs: 10, wakes: 3, trials: 3 },
  full: { idle: [1_000, 10_000], due: 10, steps: 10, runs: 200, pollMs: 10, wakes: 20, trials: 7 }
}

export const labels = (s) => ({
  "worker-due": `11a. due poll, ${s.due} due among ${s.idle.join(" / ")} idle runs`,
  "worker-overhead": `11b. worker vs Durable.run (${s.runs} runs of ${s.steps} steps, memory)`
})

export const check = (row, r) => {
  if (row.impl === "workerDue") return expectEqual(`worker/${row.name}: due ids`, r, row.args.due)
  if (row.impl === "workerOverhead") {
    expectEqual(`worker/${row.name} outcome`, r.outcome, "Done")
    return expectEqual(`worker/${row.name} saved n`, r.saved, row.args.n)
  }
  expectEqual(`worker/${row.name}: wakes measured`, r.length, row.args.wakes)
}

const backends = [
  ["memory", "memory"],
  ["fs", "file system"],
  ["sqlite", "SQLite"],
  ["pg", "Postgres"]
]
const dueName = (label, idle) => `${label}, ${idle} idle`
const direct = "effect-pocketflow, Durable.run one after another"
const startThenRun = "effect-pocketflow, Durable.start then Durable.run, one after another"
const viaWorker = (c) => `effect-pocketflow, Durable.start + worker (concurrency ${c})`

export const run = async (bench, s) => {
  bench.title(
    `11. Worker: a due poll among idle runs (per poll); the worker's overhead per run; the wake-up latency of an ` +
      `answered run`
  )
  bench.note("11a. due poll")
  const pg = await bench.postgres()
  const rows = []
  for (const [backend, label] of backends) {
    for (const idle of s.idle) {
      const name = dueName(label, idle)
      if (backend === "pg" && pg.missing !== undefined) {
        bench.skip("worker-due", name, pg.missing)
        continue
      }
      rows.push({
        ...ours,
        name,
        impl: "workerDue",
        args: {
          backend,
          idle,
          due: s.due,
          directory: bench.tempDir("pocketflow-bench-due-"),
          url: pg.url,
          table: `due_${idle}`
        },
        units: 1
      })
    }
  }
  await bench.interleaved("worker-due", "µs/poll", rows, {
    trials: s.trials,
    ref: dueName("memory", s.idle[0])
  })

  bench.note("11b. worker overhead")
  const overhead = (name, via, concurrency) => ({
    ...ours,
    name,
    impl: "workerOverhead",
    args: { n: s.steps, runs: s.runs, via, concurrency, pollMs: s.pollMs },
    units: s.runs
  })
  await bench.interleaved("worker-overhead", "µs/run", [
    overhead(direct, "run"),
    // The same queued run as the worker's, continued by a direct call: what the worker adds to a queued run.
    overhead(startThenRun, "start-run"),
    overhead(viaWorker(1), "worker", 1),
    overhead(viaWorker(10), "worker", 10)
  ], { trials: s.trials, ref: direct })

  // Not a timed table: one child measures each answer's latency to the worker's claim, and they are reported here.
  bench.note(`11c. wake-up latency (${s.wakes} answers at random points of the default 1 s poll cycle)`)
  for (const [backend, label] of [["memory", "memory"], ["fs", "file system"]]) {
    const name = `effect-pocketflow, ${label}, default poll`
    const latencies = await bench.once({
      ...ours,
      name,
      impl: "workerWake",
      args: { backend, directory: bench.tempDir("pocketflow-bench-wake-"), wakes: s.wakes },
      units: 1
    }, { deadlineMs: s.wakes * 3_000 + 30_000 })
    if (latencies === undefined) bench.skip("worker-wake", name, "missed its deadline")
    else if (latencies.skip !== undefined) bench.skip("worker-wake", name, latencies.skip)
    else {
      const sorted = [...latencies].sort((a, b) => a - b)
      const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(0)
      bench.note(
        `  ${name.padEnd(52)} answer → claim: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms, ` +
          `max ${sorted.at(-1).toFixed(0)} ms`
      )
    }
  }
}

export const targets = (t, s) => {
  const [small, large] = s.idle
  for (const [, label] of backends) {
    t.ratio(
      `due poll, ${label}: ${large} idle runs ≤ 2× ${small} (grows with the due runs, not with all runs)`,
      "worker-due",
      dueName(label, large),
      dueName(label, small),
      2
    )
  }
  t.ratio("worker overhead per run (concurrency 1): ≤ 1.2× Durable.run", "worker-overhead", viaWorker(1), direct, 1.2)
  t.ratio(
    "worker overhead per queued run (concurrency 1): ≤ 1.2× Durable.start then Durable.run",
    "worker-overhead",
    viaWorker(1),
    startThenRun,
    1.2
  )
}
