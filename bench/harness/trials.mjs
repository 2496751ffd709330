// Trial scheduling: the rows of one table run interleaved, trial by trial, each in its own child process.
import { startChild } from "./processes.mjs"
import { median, spread, trialRatios } from "./stats.mjs"

/**
 * Starts one child per row (one at a time: two LangGraph children creating PostgresSaver's tables at once would
 * race), keeping those whose implementation is available; `onSkip(row, reason)` hears of the others. All children
 * are closed if one fails to start.
 */
const startAll = async (workload, rows, heap, onSkip) => {
  const started = []
  try {
    for (const row of rows) {
      const child = await startChild(workload, row, heap)
      if (child.skip === undefined) started.push({ row, child })
      else {
        onSkip(row, child.skip)
        await child.close()
      }
    }
  } catch (e) {
    await closeAll(started)
    throw e
  }
  return started
}

const closeAll = async (started) => {
  const closing = await Promise.allSettled(started.map(({ child }) => child.close()))
  const failed = closing.find((c) => c.status === "rejected")
  if (failed !== undefined) throw failed.reason
}

/**
 * Runs the rows of one table interleaved and returns one result per row that ran.
 *
 * A row is `{ name, contender, impl, args, units, repeat?, extra? }`: its child loads `contenders/<contender>.mjs`
 * and makes the implementation with `impl(args)`; `units` is the work in one run (steps, nodes, …). Every row warms
 * up (≥ `config.warmup` runs, the first one checked, and ≥ `config.warmupMs`); its runs per trial are then chosen
 * so that a trial lasts about `config.minTrialMs` (short runs are timed several at a time). Trial t runs every row
 * in the order rotated by t (A B C, B C A, C A B, …), so a burst of load from another process hits one trial of
 * every row alike instead of all the trials of one.
 *
 * Results hold, per trial, the wall and CPU time per unit (µs; `perRun` tables: ms per run) and, when the `ref` row
 * ran, the ratio of each row's time to the ref's in the same trial. `heap` tables run one run per trial between
 * forced GCs and also record the heap before, after and at its peak (MB).
 */
export const interleaved = async ({ config, workload, table, unit, rows, options = {}, onSkip }) => {
  const trials = options.trials ?? config.trials
  const heap = options.heap === true
  const perRun = options.perRun === true
  const ref = options.ref ?? "effect-pocketflow"
  const warmup = options.warmup ?? { runs: config.warmup, ms: config.warmupMs }
  const started = await startAll(workload, rows, heap, onSkip)
  const samples = started.map(() => ({ wall: [], cpu: [], before: [], after: [], peak: [] }))
  const extras = started.map(() => undefined)
  const reps = []
  try {
    for (const { child } of started) {
      const { times } = await child.call("warmup", warmup)
      reps.push(perRun || heap ? 1 : Math.max(1, Math.ceil(config.minTrialMs / Math.max(median(times), 0.001))))
    }
    for (let t = 0; t < trials; t++) {
      for (let k = 0; k < started.length; k++) {
        const j = (k + t) % started.length
        const { row, child } = started[j]
        const trial = await child.call("trial", { reps: reps[j], heap })
        const units = perRun ? reps[j] : row.units * reps[j]
        const s = samples[j]
        s.wall.push(perRun ? trial.ms / units : (trial.ms * 1000) / units)
        s.cpu.push(perRun ? trial.cpuMs / units : (trial.cpuMs * 1000) / units)
        if (heap) {
          s.before.push(trial.heap.before / MB)
          s.after.push(trial.heap.after / MB)
          s.peak.push(trial.heap.peak / MB)
        }
        extras[j] = trial.extra
      }
    }
  } finally {
    await closeAll(started)
  }
  const r = started.findIndex(({ row }) => row.name === ref)
  return started.map(({ row }, j) => {
    const { wall, cpu } = samples[j]
    return {
      workload: table,
      impl: row.name,
      unit,
      cpuUnit: perRun ? "ms CPU" : unit.replace(/^µs/, "µs CPU"),
      median: median(wall),
      cpuMedian: median(cpu),
      wall: spread(wall),
      cpu: spread(cpu),
      samples: wall,
      cpuSamples: cpu,
      runsPerTrial: reps[j],
      unitsPerRun: row.units,
      ref: r < 0 ? undefined : ref,
      ratio: r < 0 ? undefined : trialRatios(wall, samples[r].wall),
      cpuRatio: r < 0 ? undefined : trialRatios(cpu, samples[r].cpu),
      ...(heap ? heapFields(samples[j]) : {}),
      ...row.extra,
      ...extras[j]
    }
  })
}

const MB = 1024 * 1024

const heapFields = ({ before, after, peak }) => {
  // rounded to 10 kB, so a few bytes freed do not print as "-0.00"
  const growth = after.map((a, i) => Math.round((a - before[i]) * 100) / 100 || 0)
  return {
    heapBeforeMB: median(before),
    heapAfterMB: median(after),
    growthMB: median(growth),
    peakMB: median(peak),
    heapSamples: { before, after, growth, peaks: peak }
  }
}
