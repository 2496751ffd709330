// Workload 5: a batch flow of batch flows (outer × inner parameter sets), trivial nodes; per inner run.
import { ours, plainAsync, pocketflow, rawEffect } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"

export const sizes = {
  smoke: { outer: 10, inner: 10 },
  full: { outer: 100, inner: 100 }
}

export const labels = (s) => ({ nested: `5. nested batch flow (${s.outer} × ${s.inner})` })

export const check = (row, shared) => {
  const { outer, inner } = row.args
  let sum = 0
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) sum += o * 1000 + i
  expectEqual(`nested/${row.name} runs`, shared.n, outer * inner)
  expectEqual(`nested/${row.name} sum`, shared.sum, sum)
}

export const run = async (bench, s) => {
  bench.title(`5. Nested batch flow: ${s.outer} outer × ${s.inner} inner parameter sets, trivial nodes`)
  const args = { outer: s.outer, inner: s.inner }
  const units = s.outer * s.inner
  const rows = [ours, pocketflow, rawEffect, plainAsync].map((who) => ({ ...who, impl: "nested", args, units }))
  await bench.interleaved("nested", "µs/inner run", rows)
}
