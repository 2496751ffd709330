// Workload 10: node result caching. One node whose exec waits 1 ms, run many times: without a cache, with a cache hit
// every time (Persistence.layerMemory), and with a miss every time (a new key per run: exec runs and its result is
// stored). A hit must cost at most 5% of the 1 ms exec it saves.
import { ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { execRuns: 20, hitRuns: 200, execMs: 1, trials: 3 },
  full: { execRuns: 300, hitRuns: 20_000, execMs: 1, trials: 7 }
}

const table = "cache"
const exec = "effect-pocketflow, exec 1 ms (no cache)"
const hit = "effect-pocketflow, cache hit (Persistence.layerMemory)"
const miss = "effect-pocketflow, cache miss: exec 1 ms + store"

export const labels = (s) => ({ [table]: `10. cache (node with a ${s.execMs} ms exec)` })

export const check = (row, done) => expectEqual(`cache/${row.name}: node runs`, done, row.args.runs)

export const run = async (bench, s) => {
  bench.title(`10. Cache: a node whose exec waits ${s.execMs} ms (a real timer), per node run`)
  const row = (name, mode, runs) => ({
    ...ours,
    name,
    impl: "cache",
    args: { runs, mode, execMs: s.execMs },
    units: runs
  })
  await bench.interleaved(table, "µs/run", [
    row(exec, "exec", s.execRuns),
    row(hit, "hit", s.hitRuns),
    row(miss, "miss", s.execRuns)
  ], { ref: exec, trials: s.trials })
}

export const targets = (t) => {
  t.ratio("cache: a hit costs ≤ 5% of a 1 ms exec", table, hit, exec, 0.05)
}
