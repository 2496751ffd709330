// The child process that measures one row: it loads one contender (contenders/<name>.mjs, the only library in this
// process) and the workload's checks (workloads/<key>.mjs, which loads no library), then answers the harness's
// messages: init, warmup, trial, once, dispose. It times its own trials, wall clock (performance.now) and CPU
// (process.cpuUsage: user + system of this process, all its threads, so GC helper threads count), so nothing
// between the harness and the child (IPC, the harness's own work) is in the figures.
import { performance } from "node:perf_hooks"

let row
let impl
let run
let check

const gc = () => {
  globalThis.gc()
  globalThis.gc()
}

// The heap rows sample the heap every 4,096 steps through the implementation's `onStep` hook
let peak = 0
const sampleHeap = (step) => {
  if ((step & 4095) === 0) {
    const used = process.memoryUsage().heapUsed
    if (used > peak) peak = used
  }
}

/** Checks one run's result; `inspect` (untimed) first reads what the contender saved elsewhere, e.g. a checkpoint. */
const verify = async (result) => {
  const facts = impl.inspect === undefined ? result : await impl.inspect(result)
  if (check !== undefined) await check(row, facts)
}

const ops = {
  init: async (m) => {
    row = m.row
    check = (await import(`../workloads/${m.workload}.mjs`)).check
    const contender = await import(`../contenders/${row.contender}.mjs`)
    const make = contender[row.impl]
    if (typeof make !== "function") throw new Error(`contenders/${row.contender}.mjs exports no ${row.impl}`)
    impl = await make(row.args ?? {}, { onStep: m.heap ? sampleHeap : undefined })
    if (impl.skip !== undefined) return { skip: impl.skip }
    // `repeat`: one run of the row is that many runs of the implementation (the chain: 200 runs of a 100-node flow)
    const repeat = row.repeat ?? 1
    run = repeat === 1 ? impl.run : async () => {
      let result
      for (let i = 0; i < repeat; i++) result = await impl.run()
      return result
    }
    return {}
  },
  // at least `runs` runs and `ms` milliseconds; the first answer is checked
  warmup: async ({ runs, ms }) => {
    gc()
    const times = []
    const w0 = performance.now()
    for (let i = 0; i < runs || performance.now() - w0 < ms; i++) {
      const t0 = performance.now()
      const result = await run()
      times.push(performance.now() - t0)
      if (i === 0) await verify(result)
    }
    if (impl.afterTrial !== undefined) await impl.afterTrial()
    return { times }
  },
  // `reps` runs timed together; the last answer is checked and `afterTrial` (cleanup) runs, both untimed. With
  // `heap`, a forced GC before and after, and the heap read before, after and at its peak.
  trial: async ({ reps, heap }) => {
    let before
    if (heap) {
      gc()
      before = process.memoryUsage().heapUsed
      peak = before
    }
    let result
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let r = 0; r < reps; r++) result = await run()
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    let after
    if (heap) {
      gc()
      after = process.memoryUsage().heapUsed
    }
    await verify(result)
    if (impl.afterTrial !== undefined) await impl.afterTrial()
    return {
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      heap: heap ? { before, after, peak } : undefined,
      extra: impl.extra?.()
    }
  },
  // one run, untimed here: the implementation times what it wants (wiring) and returns it
  once: async () => {
    const result = await run()
    await verify(result)
    return { result }
  },
  dispose: async () => {
    if (impl?.dispose !== undefined) await impl.dispose()
    return {}
  }
}

process.on("message", async (m) => {
  try {
    process.send({ ...(await ops[m.op](m)) })
  } catch (e) {
    process.send({ error: { message: String(e?.message ?? e), stack: String(e?.stack ?? e) } })
  }
})
// the harness is gone (done, failed or killed): so is this row
process.on("disconnect", () => process.exit(0))
