// Workload 8: the loop as an effect/workflow workflow (Durable.toWorkflow) next to a hand-written workflow with one
// Activity per step, on the memory engine and on the cluster engine (SingleRunner over Postgres).
import { ours, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { steps: 20, pgTrials: 3 },
  // the Postgres rows: a run of 1,000 steps takes 10–40 s
  full: { steps: 1_000, pgTrials: 3 }
}

export const labels = (s) => ({
  "workflow-memory": `8a. workflow loop, memory engine (${s.steps} steps)`,
  "workflow-pg": `8b. workflow loop, SingleRunner + Postgres (${s.steps} steps)`
})

export const check = (row, n) => expectEqual(`workflow/${row.name} n`, n, row.args.n)

const toWorkflow = "effect-pocketflow, Durable.toWorkflow"
const hand = "hand-written Workflow, one Activity per step"

export const run = async (bench, s) => {
  const n = s.steps
  bench.title(`8. Workflow loop: ${n} steps, one Activity each (per step; CPU is the row's process only)`)
  const rows = (engine, urls = {}) => [
    { ...ours, name: toWorkflow, impl: "workflow", args: { n, engine, url: urls.ours }, units: n },
    { ...rawEffect, name: hand, impl: "workflow", args: { n, engine, url: urls.hand }, units: n }
  ]
  bench.note("8a. WorkflowEngine.layerMemory")
  // a run takes a fraction of a second here: as many trials as the other in-memory workloads
  await bench.interleaved("workflow-memory", "µs/step", rows("memory"), { ref: hand })

  bench.note("8b. ClusterWorkflowEngine + SingleRunner + Postgres (default sharding settings)")
  // a server per row: two SingleRunners on one database would share (and fight over) its shards and messages
  const pgOurs = await bench.postgres()
  if (pgOurs.missing !== undefined) {
    for (const what of [toWorkflow, hand]) bench.skip("workflow-pg", what, pgOurs.missing)
    return
  }
  const pgHand = await bench.postgres()
  await bench.interleaved("workflow-pg", "µs/step", rows("pg", { ours: pgOurs.url, hand: pgHand.url }), {
    trials: s.pgTrials,
    ref: hand
  })
}

export const targets = (t) => {
  const target = (engine) => `workflow loop, ${engine}: ≤ 1.5× a hand-written Activity-per-step workflow`
  t.ratio(target("memory engine"), "workflow-memory", toWorkflow, hand, 1.5)
  t.ratio(target("SingleRunner + Postgres"), "workflow-pg", toWorkflow, hand, 1.5)
}
