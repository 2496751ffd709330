// Workload 6: wiring a chain of nodes with Flow.make + Flow.next, one child process per size. Wiring is synchronous,
// so a build that misses the deadline (a quadratic build of 100,000 nodes would run for hours) is stopped by killing
// its process, and the larger sizes are skipped with the reason.
import { ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { fmt, median } from "../harness/stats.mjs"

export const sizes = {
  smoke: { sizes: [1_000, 10_000], reps: 1, deadlineMs: 5_000 },
  full: { sizes: [1_000, 10_000, 100_000], reps: 3, deadlineMs: 20_000 }
}

export const labels = () => ({ wiring: "6. wiring a chain (Flow.make + Flow.next)" })

export const check = (row, m) => {
  expectEqual(`wiring/${m.size}: nodes visited by a run of the wired chain`, m.visited, m.size)
  expectEqual(`wiring/${m.size}: nodes visited by a second run`, m.visitedAgain, m.size)
}

const wired = (size) => `wire ${size} nodes`

export const run = async (bench, s) => {
  bench.title(
    `6. Wiring: Flow.make + Flow.next over a chain of ${s.sizes.join(" / ")} nodes (one child process per size, ` +
      `${s.deadlineMs / 1000} s deadline)`
  )
  let tooSlow
  for (const size of s.sizes) {
    if (tooSlow !== undefined) {
      bench.skip("wiring", wired(size), tooSlow)
      continue
    }
    // a build slower than 1 s is not repeated: one sample of a slow build says enough
    const row = { ...ours, impl: "wiring", args: { size, reps: s.reps, slowMs: 1_000 } }
    const m = await bench.once(row, { deadlineMs: s.deadlineMs })
    if (m === undefined) {
      tooSlow = `wiring ${size} nodes did not finish within ${s.deadlineMs / 1000} s`
      bench.skip("wiring", wired(size), `did not finish within ${s.deadlineMs / 1000} s (process killed)`)
      continue
    }
    bench.record({
      workload: "wiring",
      impl: wired(size),
      unit: "ms",
      cpuUnit: "ms CPU",
      size,
      median: median(m.wireMs),
      cpuMedian: median(m.wireCpuMs),
      samples: m.wireMs,
      cpuSamples: m.wireCpuMs,
      makeNodesMs: m.makeMs,
      firstRunMs: m.firstRunMs,
      secondRunMs: m.secondRunMs,
      // no reference row: the table says instead what a run of the wired chain costs (a lazy build shows in the first)
      note: `running it: first ${fmt(m.firstRunMs)} ms, second ${fmt(m.secondRunMs)} ms`
    })
  }
}

export const targets = (t, s) => {
  const biggest = s.sizes[s.sizes.length - 1]
  const target = `wiring a ${biggest}-node chain: < 1 s`
  const what = wired(biggest)
  // a build that could not finish (or was not tried because a smaller one could not) misses a < 1 s target
  if (t.row("wiring", what) === undefined && t.whySkipped(what) !== "not run") {
    return t.add({ target, status: "MISSED", value: `${what}: ${t.whySkipped(what)}` })
  }
  t.abs(target, "wiring", what, 1000)
}
