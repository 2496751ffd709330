// Workload 2: a chain of distinct nodes, each doing the loop's step, wired in a line and run many times.
import { langgraph, ours, plainAsync, pocketflow, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { length: 100, runs: 3, langgraphRuns: 1 },
  full: { length: 100, runs: 200, langgraphRuns: 20 }
}

export const labels = (s) => ({
  chain: `2. chain (${s.length} nodes × ${s.runs} runs; LangGraph × ${s.langgraphRuns})`
})

export const check = (row, n) => expectEqual(`chain/${row.name}`, n, row.args.length)

export const run = async (bench, s) => {
  bench.title(
    `2. Chain: ${s.length} distinct nodes in a line, run ${s.runs} times (LangGraph ${s.langgraphRuns} times)`
  )
  // one run of a row is `repeat` runs of the chain
  const chain = (who, repeat) => ({
    ...who,
    impl: "chain",
    args: { length: s.length },
    repeat,
    units: s.length * repeat,
    extra: { nodes: s.length, runsPerSample: repeat }
  })
  await bench.interleaved("chain", "µs/node", [
    chain(ours, s.runs),
    chain(pocketflow, s.runs),
    chain(langgraph, s.langgraphRuns),
    chain(rawEffect, s.runs),
    chain(plainAsync, s.runs)
  ])
}

export const targets = (t) => {
  t.ratio("chain: ≤ 1.0× PocketFlow", "chain", ours.name, pocketflow.name, 1.0)
  t.ratio("chain: ≤ 2× raw Effect", "chain", ours.name, rawEffect.name, 2.0)
}
