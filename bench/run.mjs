// Benchmarks of effect-pocketflow against PocketFlow, LangGraph, a hand-written Effect loop and a
// plain async loop. Run from the repository root with `npm run bench` (or `npm run bench:smoke`).
//
// effect is NOT a dependency of bench/: `import "effect"` here walks up to the root node_modules, the
// very copy that ../dist (the built library) imports. Two copies of effect would not share fibers,
// services or the scheduler. `checkOneEffect` below fails the run if a second copy shows up. The same
// holds for @effect/platform-node and @effect/sql-pg (root devDependencies, used by the durable rows).
//
// The implementations of a workload run interleaved, trial by trial, in an order rotated every trial
// (A B C, B C A, C A B, …): a burst of load from another process hits one trial of every implementation
// alike instead of all the trials of one. Ratios are medians of per-trial ratios.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import { Worker } from "node:worker_threads"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as PF from "pocketflow"
import { Annotation, END, MemorySaver, Send, START, StateGraph } from "@langchain/langgraph"
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres"
import * as Lib from "../dist/index.js"
import { findBinaries, start as startPostgres } from "../scripts/postgres.mjs"

const { Flow, Node, Shared } = Lib

const SMOKE = process.env.BENCH_SMOKE === "1" || process.argv.includes("--smoke")

const config = SMOKE
  ? {
    mode: "smoke",
    warmup: 1,
    warmupMs: 0,
    minTrialMs: 0,
    runs: 3,
    loopN: 200,
    langgraphLoopN: 50,
    chainLength: 100,
    chainRuns: 3,
    langgraphChainRuns: 1,
    memorySteps: 20_000,
    memoryRuns: 1,
    batchItems: 200,
    batchWaitMs: 10,
    batchConcurrency: 20,
    nestedOuter: 10,
    nestedInner: 10,
    wiringSizes: [1_000, 10_000],
    wiringRuns: 1,
    wiringDeadlineMs: 5_000,
    batchRuns: 3,
    durableSteps: 20,
    durableRuns: 3,
    workflowSteps: 20,
    workflowRuns: 3
  }
  : {
    mode: "full",
    warmup: 1,
    warmupMs: 500,
    minTrialMs: 30,
    runs: 11,
    loopN: 20_000,
    langgraphLoopN: 2_000,
    chainLength: 100,
    chainRuns: 200,
    langgraphChainRuns: 20,
    memorySteps: 1_000_000,
    memoryRuns: 5,
    batchItems: 10_000,
    batchWaitMs: 10,
    batchConcurrency: 100,
    nestedOuter: 100,
    nestedInner: 100,
    wiringSizes: [1_000, 10_000, 100_000],
    wiringRuns: 3,
    wiringDeadlineMs: 20_000,
    batchRuns: 5,
    durableSteps: 1_000,
    durableRuns: 5,
    workflowSteps: 1_000,
    // the Postgres rows: a run of 1,000 steps takes 10–40 s
    workflowRuns: 3
  }

const here = fileURLToPath(new URL(".", import.meta.url))

// ---------------------------------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------------------------------

const checkOneEffect = () => {
  const real = (url) => realpathSync(fileURLToPath(url))
  const fromBench = real(import.meta.resolve("effect"))
  const expected = real(new URL("../node_modules/effect/dist/index.js", import.meta.url))
  if (fromBench !== expected || existsSync(new URL("node_modules/effect", import.meta.url))) {
    throw new Error(
      `bench must use the root copy of effect (the one ../dist imports): it resolves ${fromBench}, ` +
        `expected ${expected}; remove bench/node_modules/effect`
    )
  }
}

const gc = () => {
  if (typeof globalThis.gc !== "function") throw new Error("run node with --expose-gc")
  globalThis.gc()
  globalThis.gc()
}

/** The p-quantile (0 ≤ p ≤ 1) of a sample, linearly interpolated between the two nearest ranks. */
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  const i = (s.length - 1) * p
  const lo = Math.floor(i)
  const hi = Math.ceil(i)
  return s[lo] + (s[hi] - s[lo]) * (i - lo)
}

const median = (xs) => quantile(xs, 0.5)

/** Median, min, max and interquartile range of a sample. */
const spread = (xs) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  p25: quantile(xs, 0.25),
  p75: quantile(xs, 0.75)
})

/** CPU time of the whole process since `start` (user + system, all threads: GC helpers count), in µs. */
const cpuSince = (start) => {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const fmtRatio = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2))

const results = []
const skipped = []
const failures = []

const skip = (workload, what, reason) => {
  skipped.push({ workload, what, reason })
  console.log(`  ${what.padEnd(52)} skipped: ${reason}`)
}

/**
 * Runs the implementations of one workload interleaved and records one row per implementation.
 *
 * Each impl is `{ name, run, units, check?, afterTrial? }`: `run()` returns a promise of a result that
 * `check(result)` verifies (it throws on a wrong answer), `units` is the work in one run (steps,
 * nodes, …). Every impl warms up (≥ `config.warmup` runs, the first one checked, and
 * `config.warmupMs`); its repetitions per trial are then chosen so that a trial lasts about
 * `config.minTrialMs` (short runs are timed several at a time). Trial t runs every impl in the order
 * rotated by t, timing wall clock and process CPU. `afterTrial()` (cleanup, e.g. deleting saved
 * runs) is not timed.
 *
 * Rows hold, per trial, the wall and CPU time per unit (µs; `perRun` workloads: ms per run) and,
 * when the `ref` impl ran, the ratio of each impl's time to the ref's in the same trial.
 */
const interleaved = async (workload, unit, impls, options = {}) => {
  const trials = options.trials ?? config.runs
  const perRun = options.perRun === true
  const ref = options.ref ?? "effect-pocketflow"
  // One full GC before the warm-up, none between trials: a forced full GC right before a short run
  // slows that run down (0.6 → 1.3 µs/step for ours, 0.44 → 0.64 for PocketFlow, 20,000 steps)
  gc()
  const reps = []
  for (const impl of impls) {
    // the first run is checked, and counts as the first warm-up run (a LangGraph batch run takes seconds)
    const ms = []
    const w0 = performance.now()
    for (let i = 0; i < config.warmup || performance.now() - w0 < config.warmupMs; i++) {
      const t0 = performance.now()
      const result = await impl.run()
      ms.push(performance.now() - t0)
      if (i === 0 && impl.check !== undefined) await impl.check(result)
    }
    if (impl.afterTrial !== undefined) await impl.afterTrial()
    reps.push(perRun ? 1 : Math.max(1, Math.ceil(config.minTrialMs / Math.max(median(ms), 0.001))))
  }
  const wall = impls.map(() => [])
  const cpu = impls.map(() => [])
  for (let t = 0; t < trials; t++) {
    for (let k = 0; k < impls.length; k++) {
      const j = (k + t) % impls.length
      const impl = impls[j]
      let result
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      for (let r = 0; r < reps[j]; r++) result = await impl.run()
      const ms = performance.now() - t0
      const cpuUs = cpuSince(c0)
      if (impl.check !== undefined) await impl.check(result)
      if (impl.afterTrial !== undefined) await impl.afterTrial()
      const units = impl.units * reps[j]
      wall[j].push(perRun ? ms / reps[j] : (ms * 1000) / units)
      cpu[j].push(perRun ? cpuUs / 1000 / reps[j] : cpuUs / units)
    }
  }
  const r = impls.findIndex((impl) => impl.name === ref)
  const rows = impls.map((impl, j) => {
    const ratios = r < 0 ? undefined : wall[j].map((x, t) => x / wall[r][t])
    const cpuRatios = r < 0 ? undefined : cpu[j].map((x, t) => x / cpu[r][t])
    const row = {
      workload,
      impl: impl.name,
      unit,
      cpuUnit: perRun ? "ms CPU" : unit.replace(/^µs/, "µs CPU"),
      median: median(wall[j]),
      cpuMedian: median(cpu[j]),
      wall: spread(wall[j]),
      cpu: spread(cpu[j]),
      samples: wall[j],
      cpuSamples: cpu[j],
      runsPerTrial: reps[j],
      unitsPerRun: impl.units,
      ref: r < 0 ? undefined : ref,
      ratio: ratios === undefined ? undefined : { ...spread(ratios), samples: ratios },
      cpuRatio: cpuRatios === undefined ? undefined : { ...spread(cpuRatios), samples: cpuRatios },
      ...impl.extra
    }
    results.push(row)
    return row
  })
  for (const row of rows) printRow(row)
  return rows
}

const printRow = (row) => {
  const ratio = row.ratio === undefined
    ? ""
    : `  ${fmtRatio(row.ratio.median)}× [${fmtRatio(row.ratio.min)}–${fmtRatio(row.ratio.max)}], CPU ${fmtRatio(row.cpuRatio.median)}×`
  console.log(
    `  ${row.impl.padEnd(52)} ${fmt(row.median).padStart(8)} ${row.unit}  ${fmt(row.cpuMedian).padStart(8)} ${row.cpuUnit}${ratio}`
  )
}

const expectEqual = (what, actual, expected) => {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------------
// workload 1 and 3: a node that increments a counter and routes back to itself until N
// (each implementation: prep reads the counter, exec adds one, post writes it and picks the action)
// ---------------------------------------------------------------------------------------------------

const LoopStore = Shared.Service()("bench/LoopStore")
const RawStore = Context.Service()("bench/RawStore")

/**
 * `onStep(n)` is called by post every step (the memory workload samples the heap there); `exec`
 * replaces the node's exec (the Flow.emit rows).
 */
const oursLoop = (N, onStep, exec = (n) => Effect.succeed(n + 1)) => {
  const inc = Node.make({
    name: "inc",
    prep: Effect.map(LoopStore.get, (s) => s.n),
    exec,
    post: (_n, n) => {
      if (onStep !== undefined) onStep(n)
      return Node.as(LoopStore.set({ n }), n < N ? "again" : "done")
    }
  })
  // "done" goes to a last, empty node: a flow that ends on an action its node has no edge for logs a
  // warning (in every library), which is not what we measure
  const end = Node.make({ name: "end" })
  const flow = Flow.on(Flow.on(Flow.make({ name: "loop", start: inc }), inc, "again", inc), inc, "done", end)
  return { flow, run: (flow_ = flow) => runWithStore(flow_) }
}

const runWithStore = (program) =>
  Effect.runPromise(
    Effect.flatMap(LoopStore.make({ n: 0 }), (store) =>
      Effect.provideService(Effect.andThen(program, LoopStore.get), LoopStore, store))
  ).then((s) => s.n)

/** The same work written by hand in Effect: read the store service, add one, write, loop. */
const rawEffectLoop = (N, onStep) => {
  const step = Effect.flatMap(RawStore, (store) =>
    Effect.flatMap(Ref.get(store.ref), (s) => {
      const n = s.n + 1
      if (onStep !== undefined) onStep(n)
      return Effect.flatMap(Ref.set(store.ref, { n }), () => (n < N ? step : Effect.void))
    }))
  return {
    run: () =>
      Effect.runPromise(
        Effect.flatMap(Ref.make({ n: 0 }), (ref) =>
          Effect.flatMap(Effect.provideService(step, RawStore, { ref }), () => Ref.get(ref)))
      ).then((s) => s.n)
  }
}

const pocketflowLoop = (N, onStep) => {
  class Inc extends PF.Node {
    async prep(shared) {
      return shared.n
    }
    async exec(n) {
      return n + 1
    }
    async post(shared, _n, n) {
      if (onStep !== undefined) onStep(n)
      shared.n = n
      return n < N ? "again" : "done"
    }
  }
  const inc = new Inc()
  inc.on("again", inc)
  inc.on("done", new PF.Node())
  const flow = new PF.Flow(inc)
  return {
    run: async () => {
      const shared = { n: 0 }
      await flow.run(shared)
      return shared.n
    }
  }
}

const asyncLoop = (N) => {
  const prep = async (shared) => shared.n
  const exec = async (n) => n + 1
  const post = async (shared, _n, n) => {
    shared.n = n
    return n < N ? "again" : "done"
  }
  const node = { prep, exec, post, successors: new Map() }
  const end = { prep: async () => {}, exec: async () => {}, post: async () => {}, successors: new Map() }
  node.successors.set("again", node)
  node.successors.set("done", end)
  return {
    run: async () => {
      const shared = { n: 0 }
      let current = node
      while (current !== undefined) {
        const p = await current.prep(shared)
        const x = await current.exec(p)
        const action = await current.post(shared, p, x)
        current = current.successors.get(action ?? "default")
      }
      return shared.n
    }
  }
}

const langgraphLoop = (N) => {
  const State = Annotation.Root({ n: Annotation() })
  const app = new StateGraph(State)
    .addNode("inc", (s) => ({ n: s.n + 1 }))
    .addEdge(START, "inc")
    .addConditionalEdges("inc", (s) => (s.n < N ? "inc" : END))
    .compile()
  return { run: async () => (await app.invoke({ n: 0 }, { recursionLimit: N + 10 })).n }
}

const workloadLoop = async () => {
  const N = config.loopN
  const LN = config.langgraphLoopN
  console.log(`\n1. Loop: one node increments a counter and routes back to itself, N = ${N} (LangGraph N = ${LN})`)
  const loop = (name, impl, n = N) => ({ name, run: impl.run, units: n, check: (r) => expectEqual(`loop/${name}`, r, n) })
  const impls = [
    loop("effect-pocketflow", oursLoop(N)),
    loop("PocketFlow 1.0.4", pocketflowLoop(N)),
    loop("LangGraph", langgraphLoop(LN), LN),
    loop("raw Effect loop", rawEffectLoop(N)),
    loop("plain async loop", asyncLoop(N))
  ]
  // Flow.events: the same loop, drained through an events subscriber that counts the events
  {
    const { flow, run } = oursLoop(N)
    let events = 0
    impls.push({
      ...loop("effect-pocketflow + events", {
        run: () => {
          events = 0
          return run(Stream.runForEach(Flow.events(flow), () => Effect.sync(() => events++)))
        }
      }),
      extra: {
        get eventsPerRun() {
          return events
        }
      }
    })
  }
  // Flow.emit with nobody observing must cost nothing: the loop whose exec emits, and the loop whose
  // exec does a no-op Effect in the same place (the cost of the extra step itself, for comparison)
  if (typeof Flow.emit === "function") {
    impls.push(loop("effect-pocketflow + Flow.emit, no subscriber", oursLoop(N, undefined, (n) => Effect.as(Flow.emit(n), n + 1))))
    impls.push(loop("effect-pocketflow + Effect.void (control)", oursLoop(N, undefined, (n) => Effect.as(Effect.void, n + 1))))
  }
  await interleaved("loop", "µs/step", impls)
  if (typeof Flow.emit !== "function") skip("loop", "effect-pocketflow + Flow.emit, no subscriber", "Flow.emit not built")
}

// ---------------------------------------------------------------------------------------------------
// workload 2: a chain of 100 distinct nodes, each doing the loop's step, run many times
// ---------------------------------------------------------------------------------------------------

const oursChain = (L) => {
  const nodes = Array.from({ length: L }, (_, i) =>
    Node.make({
      name: `n${i}`,
      prep: Effect.map(LoopStore.get, (s) => s.n),
      exec: (n) => Effect.succeed(n + 1),
      // asVoid: effect 4.1's Ref.set is typed Effect<void> but succeeds with the MutableRef, which
      // a flow would take as the action (see docs/performance.md)
      post: (_n, n) => Effect.asVoid(LoopStore.set({ n }))
    }))
  let flow = Flow.make({ name: "chain", start: nodes[0] })
  for (let i = 0; i + 1 < L; i++) flow = Flow.next(nodes[i], nodes[i + 1])(flow)
  return { run: () => runWithStore(flow) }
}

const rawEffectChain = (L) => {
  const steps = Array.from({ length: L }, () =>
    Effect.flatMap(RawStore, (store) =>
      Effect.flatMap(Ref.get(store.ref), (s) => Ref.set(store.ref, { n: s.n + 1 }))))
  const go = (i) => (i === L ? Effect.void : Effect.flatMap(steps[i], () => go(i + 1)))
  return {
    run: () =>
      Effect.runPromise(
        Effect.flatMap(Ref.make({ n: 0 }), (ref) =>
          Effect.flatMap(Effect.provideService(Effect.suspend(() => go(0)), RawStore, { ref }), () => Ref.get(ref)))
      ).then((s) => s.n)
  }
}

const pocketflowChain = (L) => {
  const nodes = Array.from({ length: L }, () => {
    const node = new PF.Node()
    node.prep = async (shared) => shared.n
    node.exec = async (n) => n + 1
    node.post = async (shared, _n, n) => {
      shared.n = n
    }
    return node
  })
  for (let i = 0; i + 1 < L; i++) nodes[i].next(nodes[i + 1])
  const flow = new PF.Flow(nodes[0])
  return {
    run: async () => {
      const shared = { n: 0 }
      await flow.run(shared)
      return shared.n
    }
  }
}

const asyncChain = (L) => {
  const nodes = Array.from({ length: L }, () => ({
    prep: async (shared) => shared.n,
    exec: async (n) => n + 1,
    post: async (shared, _n, n) => {
      shared.n = n
    },
    successors: new Map()
  }))
  for (let i = 0; i + 1 < L; i++) nodes[i].successors.set("default", nodes[i + 1])
  return {
    run: async () => {
      const shared = { n: 0 }
      let current = nodes[0]
      while (current !== undefined) {
        const p = await current.prep(shared)
        const x = await current.exec(p)
        const action = await current.post(shared, p, x)
        current = current.successors.get(action ?? "default")
      }
      return shared.n
    }
  }
}

const langgraphChain = (L) => {
  const State = Annotation.Root({ n: Annotation() })
  let graph = new StateGraph(State)
  for (let i = 0; i < L; i++) graph = graph.addNode(`n${i}`, (s) => ({ n: s.n + 1 }))
  graph = graph.addEdge(START, "n0")
  for (let i = 0; i + 1 < L; i++) graph = graph.addEdge(`n${i}`, `n${i + 1}`)
  const app = graph.addEdge(`n${L - 1}`, END).compile()
  return { run: async () => (await app.invoke({ n: 0 }, { recursionLimit: L + 10 })).n }
}

const workloadChain = async () => {
  const L = config.chainLength
  const R = config.chainRuns
  const LR = config.langgraphChainRuns
  console.log(`\n2. Chain: ${L} distinct nodes in a line, run ${R} times (LangGraph ${LR} times)`)
  const chain = (name, impl, runs) => ({
    name,
    run: async () => {
      let n
      for (let i = 0; i < runs; i++) n = await impl.run()
      return n
    },
    units: L * runs,
    check: (n) => expectEqual(`chain/${name}`, n, L),
    extra: { nodes: L, runsPerSample: runs }
  })
  await interleaved("chain", "µs/node", [
    chain("effect-pocketflow", oursChain(L), R),
    chain("PocketFlow 1.0.4", pocketflowChain(L), R),
    chain("LangGraph", langgraphChain(L), LR),
    chain("raw Effect loop", rawEffectChain(L), R),
    chain("plain async loop", asyncChain(L), R)
  ])
}

// ---------------------------------------------------------------------------------------------------
// workload 3: 1,000,000 steps of the loop; heap before, after (after GC) and peak
// ---------------------------------------------------------------------------------------------------

const workloadMemory = async () => {
  const N = config.memorySteps
  console.log(`\n3. Long loop memory: ${N} steps of workload 1 (heap sampled every 4096 steps)`)
  let peak = 0
  const onStep = (n) => {
    if ((n & 4095) === 0) {
      const used = process.memoryUsage().heapUsed
      if (used > peak) peak = used
    }
  }
  const impls = [
    ["effect-pocketflow", oursLoop(N, onStep)],
    ["PocketFlow 1.0.4", pocketflowLoop(N, onStep)],
    ["raw Effect loop", rawEffectLoop(N, onStep)]
  ]
  const MB = 1024 * 1024
  const samples = impls.map(() => ({ before: [], after: [], peaks: [], us: [], cpuUs: [] }))
  for (const [name, impl] of impls) expectEqual(`memory/${name}`, await impl.run(), N) // warm-up
  // interleaved like the other workloads, with a forced GC before and after each run (heap readings)
  for (let t = 0; t < config.memoryRuns; t++) {
    for (let k = 0; k < impls.length; k++) {
      const j = (k + t) % impls.length
      const [name, impl] = impls[j]
      gc()
      const b = process.memoryUsage().heapUsed
      peak = b
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const n = await impl.run()
      samples[j].us.push(((performance.now() - t0) * 1000) / N)
      samples[j].cpuUs.push(cpuSince(c0) / N)
      expectEqual(`memory/${name}`, n, N)
      gc()
      const a = process.memoryUsage().heapUsed
      samples[j].before.push(b / MB)
      samples[j].after.push(a / MB)
      samples[j].peaks.push(peak / MB)
    }
  }
  impls.forEach(([name], j) => {
    const { before, after, peaks, us, cpuUs } = samples[j]
    // rounded to 10 kB, so a few bytes freed do not print as "-0.00"
    const growth = after.map((a, i) => Math.round((a - before[i]) * 100) / 100 || 0)
    const row = {
      workload: "memory",
      impl: name,
      unit: "MB",
      steps: N,
      heapBeforeMB: median(before),
      heapAfterMB: median(after),
      growthMB: median(growth),
      peakMB: median(peaks),
      usPerStep: median(us),
      cpuUsPerStep: median(cpuUs),
      samples: { before, after, growth, peaks, usPerStep: us, cpuUsPerStep: cpuUs }
    }
    results.push(row)
    console.log(
      `  ${name.padEnd(34)} before ${row.heapBeforeMB.toFixed(1)} MB, after GC ${row.heapAfterMB.toFixed(1)} MB ` +
        `(growth ${row.growthMB >= 0 ? "+" : ""}${row.growthMB.toFixed(2)} MB), peak ${row.peakMB.toFixed(1)} MB, ` +
        `${row.usPerStep.toFixed(2)} µs/step, ${row.cpuUsPerStep.toFixed(2)} µs CPU/step`
    )
  })
}

// ---------------------------------------------------------------------------------------------------
// workload 4: a parallel batch of items that each wait on a real timer
// ---------------------------------------------------------------------------------------------------

const oursBatch = (items, waitMs, concurrency) => {
  const node = Node.batch({
    name: "wait-all",
    prep: Effect.succeed(items),
    exec: (i) => Effect.as(Effect.sleep(waitMs), i),
    post: (_items, results) => Effect.sync(() => expectEqual("batch/ours", results.length, items.length)),
    concurrency
  })
  return () => Effect.runPromise(Node.run(node))
}

const rawEffectBatch = (items, waitMs, concurrency) => () =>
  Effect.runPromise(Effect.forEach(items, (i) => Effect.as(Effect.sleep(waitMs), i), { concurrency })).then((rs) =>
    expectEqual("batch/raw", rs.length, items.length)
  )

const pocketflowBatch = (items, waitMs) => {
  class Wait extends PF.ParallelBatchNode {
    async prep() {
      return items
    }
    async exec(i) {
      await sleep(waitMs)
      return i
    }
    async post(_shared, _items, results) {
      expectEqual("batch/pocketflow", results.length, items.length)
    }
  }
  const node = new Wait()
  return () => node.run({})
}

/** A pool of `concurrency` workers taking items in order. */
const asyncPool = (items, waitMs, concurrency) => async () => {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const k = next++
      await sleep(waitMs)
      results[k] = items[k]
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  expectEqual("batch/async", results.length, items.length)
}

const asyncAll = (items, waitMs) => async () => {
  const results = await Promise.all(items.map(async (i) => {
    await sleep(waitMs)
    return i
  }))
  expectEqual("batch/async", results.length, items.length)
}

/** Fan-out with `Send`, one task per item; LangGraph's `maxConcurrency` bounds the tasks in flight. */
const langgraphBatch = (items, waitMs, maxConcurrency) => {
  const State = Annotation.Root({
    items: Annotation(),
    done: Annotation({ reducer: (a, b) => a + b, default: () => 0 })
  })
  const app = new StateGraph(State)
    .addNode("work", async () => {
      await sleep(waitMs)
      return { done: 1 }
    })
    .addConditionalEdges(START, (s) => s.items.map((i) => new Send("work", { item: i })))
    .addEdge("work", END)
    .compile()
  const options = maxConcurrency === undefined ? {} : { maxConcurrency }
  return async () => {
    const out = await app.invoke({ items }, options)
    expectEqual("batch/langgraph", out.done, items.length)
  }
}

const workloadBatch = async () => {
  const n = config.batchItems
  const w = config.batchWaitMs
  const c = config.batchConcurrency
  const items = Array.from({ length: n }, (_, i) => i)
  const idealBounded = Math.ceil(n / c) * w
  console.log(`\n4. Parallel batch: ${n} items, each waits ${w} ms (ideal: ${idealBounded} ms at concurrency ${c}, ${w} ms unbounded)`)
  const batch = (name, run, ideal) => ({ name, run, units: 1, extra: { ideal } })
  await interleaved("batch-c" + c, "ms", [
    batch("effect-pocketflow", oursBatch(items, w, c), idealBounded),
    batch("LangGraph (maxConcurrency)", langgraphBatch(items, w, c), idealBounded),
    batch("raw Effect forEach", rawEffectBatch(items, w, c), idealBounded),
    batch("plain async pool", asyncPool(items, w, c), idealBounded)
  ], { perRun: true, trials: config.batchRuns })
  console.log("  (PocketFlow has no concurrency limit: unbounded only. LangGraph unbounded is left out: 10,000")
  console.log("  concurrent Sends ran for minutes and grew the heap past 3 GB on the reference machine)")
  await interleaved("batch-unbounded", "ms", [
    batch("effect-pocketflow", oursBatch(items, w, "unbounded"), w),
    batch("PocketFlow 1.0.4", pocketflowBatch(items, w), w),
    batch("raw Effect forEach", rawEffectBatch(items, w, "unbounded"), w),
    batch("plain Promise.all", asyncAll(items, w), w)
  ], { perRun: true, trials: config.batchRuns })
}

// ---------------------------------------------------------------------------------------------------
// workload 5: a batch flow of batch flows, 100 outer × 100 inner parameter sets, trivial nodes
// ---------------------------------------------------------------------------------------------------

const OuterParams = Context.Service()("bench/OuterParams")
const InnerParams = Context.Service()("bench/InnerParams")

const range = (k, f) => Array.from({ length: k }, (_, i) => f(i))

const oursNested = (O, I) => {
  const leaf = Node.make({
    name: "leaf",
    prep: Effect.flatMap(OuterParams, (o) => Effect.map(InnerParams, (i) => o.outer * 1000 + i.inner)),
    post: (v) => LoopStore.update((s) => ({ n: s.n + 1, sum: s.sum + v }))
  })
  const inner = Flow.batch({
    name: "inner",
    flow: Flow.make({ name: "inner-flow", start: leaf }),
    params: InnerParams,
    prep: Effect.succeed(range(I, (inner) => ({ inner })))
  })
  const outer = Flow.batch({
    name: "outer",
    flow: Flow.make({ name: "outer-flow", start: inner }),
    params: OuterParams,
    prep: Effect.succeed(range(O, (outer) => ({ outer })))
  })
  return () =>
    Effect.runPromise(
      Effect.flatMap(LoopStore.make({ n: 0, sum: 0 }), (store) =>
        Effect.provideService(Effect.andThen(Node.run(outer), LoopStore.get), LoopStore, store))
    )
}

const rawEffectNested = (O, I) => {
  const outerSets = range(O, (outer) => ({ outer }))
  const innerSets = range(I, (inner) => ({ inner }))
  const leaf = Effect.flatMap(OuterParams, (o) =>
    Effect.flatMap(InnerParams, (i) =>
      Effect.flatMap(RawStore, (store) =>
        Ref.update(store.ref, (s) => ({ n: s.n + 1, sum: s.sum + o.outer * 1000 + i.inner })))))
  const innerRuns = Effect.forEach(innerSets, (p) => Effect.provideService(leaf, InnerParams, p), { discard: true })
  const outerRuns = Effect.forEach(outerSets, (p) => Effect.provideService(innerRuns, OuterParams, p), { discard: true })
  return () =>
    Effect.runPromise(
      Effect.flatMap(Ref.make({ n: 0, sum: 0 }), (ref) =>
        Effect.flatMap(Effect.provideService(outerRuns, RawStore, { ref }), () => Ref.get(ref)))
    )
}

const pocketflowNested = (O, I) => {
  class Leaf extends PF.Node {
    async prep() {
      return this._params.outer * 1000 + this._params.inner
    }
    async post(shared, v) {
      shared.n += 1
      shared.sum += v
    }
  }
  class Inner extends PF.BatchFlow {
    async prep() {
      return range(I, (inner) => ({ inner }))
    }
  }
  class Outer extends PF.BatchFlow {
    async prep() {
      return range(O, (outer) => ({ outer }))
    }
  }
  const outer = new Outer(new Inner(new Leaf()))
  return async () => {
    const shared = { n: 0, sum: 0 }
    await outer.run(shared)
    return shared
  }
}

const asyncNested = (O, I) => {
  const leaf = {
    prep: async (params) => params.outer * 1000 + params.inner,
    post: async (shared, v) => {
      shared.n += 1
      shared.sum += v
    }
  }
  return async () => {
    const shared = { n: 0, sum: 0 }
    for (const o of range(O, (outer) => ({ outer }))) {
      for (const i of range(I, (inner) => ({ inner }))) {
        const params = { ...o, ...i }
        const v = await leaf.prep(params)
        await leaf.post(shared, v)
      }
    }
    return shared
  }
}

const workloadNested = async () => {
  const O = config.nestedOuter
  const I = config.nestedInner
  console.log(`\n5. Nested batch flow: ${O} outer × ${I} inner parameter sets, trivial nodes`)
  let expectedSum = 0
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) expectedSum += o * 1000 + i
  const nested = (name, run) => ({
    name,
    run,
    units: O * I,
    check: (s) => {
      expectEqual(`nested/${name} runs`, s.n, O * I)
      expectEqual(`nested/${name} sum`, s.sum, expectedSum)
    }
  })
  await interleaved("nested", "µs/inner run", [
    nested("effect-pocketflow", oursNested(O, I)),
    nested("PocketFlow 1.0.4", pocketflowNested(O, I)),
    nested("raw Effect loop", rawEffectNested(O, I)),
    nested("plain async loop", asyncNested(O, I))
  ])
}

// ---------------------------------------------------------------------------------------------------
// workload 6: wiring a chain of 1,000 / 10,000 / 100,000 nodes with Flow.make + Flow.next
// ---------------------------------------------------------------------------------------------------

/** Wires a chain of `size` nodes in a worker thread (bench/wiring.mjs); `undefined` when it missed the deadline. */
const wireInWorker = (size) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./wiring.mjs", import.meta.url), {
      workerData: { size, reps: config.wiringRuns, slowMs: 1_000 }
    })
    let settled = false
    const settle = (f) => {
      if (!settled) {
        settled = true
        clearTimeout(timer)
        f()
      }
    }
    // a wiring build is synchronous: terminating the worker is the only way to stop it
    const timer = setTimeout(() => settle(() => worker.terminate().then(() => resolve(undefined), reject)), config.wiringDeadlineMs)
    worker.once("message", (m) => settle(() => worker.terminate().then(() => resolve(m), reject)))
    worker.once("error", (e) => settle(() => reject(e)))
    worker.once("exit", (code) => settle(() => reject(new Error(`wiring worker exited with code ${code}`))))
  })

const workloadWiring = async () => {
  console.log(`\n6. Wiring: Flow.make + Flow.next over a chain of ${config.wiringSizes.join(" / ")} nodes (one worker thread per size, ${config.wiringDeadlineMs / 1000} s deadline)`)
  let tooSlow
  for (const size of config.wiringSizes) {
    const what = `wire ${size} nodes`
    if (tooSlow !== undefined) {
      skip("wiring", what, tooSlow)
      continue
    }
    const m = await wireInWorker(size)
    if (m === undefined) {
      tooSlow = `wiring ${size} nodes did not finish within ${config.wiringDeadlineMs / 1000} s`
      skip("wiring", what, `did not finish within ${config.wiringDeadlineMs / 1000} s (worker terminated)`)
      continue
    }
    expectEqual(`wiring/${size}: nodes visited by a run of the wired chain`, m.visited, size)
    expectEqual(`wiring/${size}: nodes visited by a second run`, m.visitedAgain, size)
    const row = {
      workload: "wiring",
      impl: what,
      unit: "ms",
      size,
      median: median(m.wireMs),
      cpuMedian: median(m.wireCpuMs),
      samples: m.wireMs,
      cpuSamples: m.wireCpuMs,
      makeNodesMs: m.makeMs,
      firstRunMs: m.firstRunMs,
      secondRunMs: m.secondRunMs
    }
    results.push(row)
    console.log(
      `  ${what.padEnd(52)} ${fmt(row.median).padStart(8)} ms  ${fmt(row.cpuMedian).padStart(8)} ms CPU` +
        `  (${m.wireMs.length} build(s); making the nodes ${fmt(m.makeMs)} ms; running the chain: first ${
          fmt(m.firstRunMs)
        } ms, second ${fmt(m.secondRunMs)} ms)`
    )
  }
}

// ---------------------------------------------------------------------------------------------------
// workload 7: a durable loop, checkpointed after every step (memory, file system, Postgres) next to
// LangGraph with MemorySaver and PostgresSaver
// ---------------------------------------------------------------------------------------------------

/** A looping LangGraph graph with a checkpointer: every run is a new thread; `durability` as given. */
const langgraphDurable = (N, checkpointer, durability) => {
  const State = Annotation.Root({ n: Annotation() })
  let calls = 0
  const app = new StateGraph(State)
    .addNode("inc", (s) => {
      calls++
      return { n: s.n + 1 }
    })
    .addEdge(START, "inc")
    .addConditionalEdges("inc", (s) => (s.n < N ? "inc" : END))
    .compile({ checkpointer })
  let thread = 0
  const threads = []
  return {
    run: async () => {
      const thread_id = `bench-${durability ?? "default"}-${thread++}`
      threads.push(thread_id)
      calls = 0
      const out = await app.invoke({ n: 0 }, {
        configurable: { thread_id },
        recursionLimit: N + 10,
        ...(durability === undefined ? {} : { durability })
      })
      return { n: out.n, calls, thread_id }
    },
    check: async ({ n, calls, thread_id }) => {
      expectEqual("durable/langgraph n", n, N)
      expectEqual("durable/langgraph node calls", calls, N)
      const saved = await app.getState({ configurable: { thread_id } })
      expectEqual("durable/langgraph checkpointed n", saved.values.n, N)
    },
    afterTrial: async () => {
      for (const id of threads.splice(0)) await checkpointer.deleteThread(id)
    }
  }
}

/** Our durable loop on a checkpointer layer, run through one runtime (its connection pool, tables, …). */
const oursDurable = (N, Durable, Store, flow, runtime, prefix) => {
  let run = 0
  const ids = []
  return {
    run: () => {
      const id = `${prefix}-${run++}`
      ids.push(id)
      return runtime.runPromise(Durable.run(flow, { id, stores: [Store.initial({ n: 0 })] })).then((outcome) => ({ id, outcome }))
    },
    check: async ({ id, outcome }) => {
      expectEqual("durable/ours outcome", outcome._tag, "Done")
      const state = await runtime.runPromise(Durable.state(id, Store))
      expectEqual("durable/ours saved n", state.n, N)
    },
    afterTrial: async () => {
      for (const id of ids.splice(0)) await runtime.runPromise(Durable.delete(id))
    }
  }
}

const importOptional = async (specifier) => {
  try {
    return await import(specifier)
  } catch (e) {
    if (e?.code === "ERR_MODULE_NOT_FOUND") return undefined
    throw e
  }
}

/**
 * A throwaway Postgres for one workload: `start` it when needed, `release` it when the workload ends. It never
 * outlives the bench, also when the bench is interrupted (Ctrl-C, kill) or exits early.
 */
const benchPostgres = () => {
  let pg
  const stop = () => {
    pg?.stop()
    pg = undefined
  }
  const onSignal = (signal) => {
    stop()
    process.exit(signal === "SIGINT" ? 130 : 143)
  }
  process.once("exit", stop)
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  return {
    start: async () => (pg = await startPostgres()),
    release: () => {
      stop()
      process.removeListener("exit", stop)
      process.removeListener("SIGINT", onSignal)
      process.removeListener("SIGTERM", onSignal)
    }
  }
}

const workloadDurable = async () => {
  const N = config.durableSteps
  console.log(`\n7. Durable loop: ${N} steps, each checkpointed (per step; CPU is this process only, not the Postgres server's)`)
  const { Durable, Checkpointer } = Lib
  const NodeServices = await importOptional("@effect/platform-node/NodeServices")
  const PgClient = await importOptional("@effect/sql-pg/PgClient")
  const built = Durable !== undefined && Checkpointer !== undefined
  const notBuilt = "Durable not built"
  // each backend may land separately: a layer that is not a value (or not a function) yet is not built
  const has = (name, kind) => built && typeof Checkpointer[name] === kind
  const layerNotBuilt = (name) => (built ? `Checkpointer.${name} not built` : notBuilt)
  const ourPg = "effect-pocketflow, Postgres checkpointer"
  const langgraphPgAsync = "LangGraph, PostgresSaver (default durability: async)"
  const langgraphPgSync = "LangGraph, PostgresSaver (durability: sync)"
  const runtimes = []

  let ours
  if (built) {
    class Store extends Shared.Service()("bench/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
    const inc = Node.make({
      name: "inc",
      prep: Effect.map(Store.get, (s) => s.n),
      exec: (n) => Effect.succeed(n + 1),
      post: (_n, n) => Node.as(Store.set({ n }), n < N ? "again" : "done")
    })
    const end = Node.make({ name: "end" })
    const flow = Flow.on(Flow.on(Flow.make({ name: "durable-loop", start: inc }), inc, "again", inc), inc, "done", end)
    ours = (layer, prefix) => {
      const runtime = ManagedRuntime.make(layer)
      runtimes.push(runtime)
      return oursDurable(N, Durable, Store, flow, runtime, prefix)
    }
  }
  const dirs = []
  const server = benchPostgres()
  try {
    // 7a. in memory, with the plain (not durable) loop as the floor
    console.log("  7a. in memory")
    const memory = [
      {
        name: "effect-pocketflow, plain Flow.run (no checkpoints)",
        run: oursLoop(N).run,
        units: N,
        check: (n) => expectEqual("durable/plain", n, N)
      }
    ]
    const ourMemory = "effect-pocketflow, memory checkpointer"
    if (has("layerMemory", "object")) memory.unshift({ name: ourMemory, units: N, ...ours(Checkpointer.layerMemory, "mem") })
    memory.push({ name: "LangGraph, MemorySaver", units: N, ...langgraphDurable(N, new MemorySaver()) })
    await interleaved("durable-memory", "µs/step", memory, {
      trials: config.durableRuns,
      ref: "effect-pocketflow, memory checkpointer"
    })
    if (!has("layerMemory", "object")) skip("durable-memory", ourMemory, layerNotBuilt("layerMemory"))

    // 7b. file system
    console.log("  7b. file system")
    const ourFs = "effect-pocketflow, file system (fsync: false)"
    if (!has("layerFileSystem", "function")) skip("durable-fs", ourFs, layerNotBuilt("layerFileSystem"))
    else if (NodeServices === undefined) skip("durable-fs", ourFs, "@effect/platform-node not installed at the root")
    else {
      const fsImpl = (fsync) => {
        const directory = mkdtempSync(join(tmpdir(), "pocketflow-bench-runs-"))
        dirs.push(directory)
        const layer = Checkpointer.layerFileSystem({ directory, fsync }).pipe(Layer.provide(NodeServices.layer))
        return { name: `effect-pocketflow, file system (fsync: ${fsync})`, units: N, ...ours(layer, `fs-${fsync}`) }
      }
      await interleaved("durable-fs", "µs/step", [fsImpl(false), fsImpl(true)], {
        trials: config.durableRuns,
        ref: "effect-pocketflow, file system (fsync: false)"
      })
    }

    // 7c. Postgres: one throwaway server for both libraries
    console.log("  7c. Postgres")
    const { bin, missing } = findBinaries()
    if (bin === undefined) {
      const reason = `no PostgreSQL server binaries (missing ${missing})`
      console.log(`  Postgres rows skipped: ${reason}`)
      for (const what of [ourPg, langgraphPgAsync, langgraphPgSync]) skipped.push({ workload: "durable-pg", what, reason })
      return
    }
    const pg = await server.start()
    const saver = PostgresSaver.fromConnString(pg.url)
    await saver.setup()
    try {
      const postgres = [
        { name: langgraphPgAsync, units: N, ...langgraphDurable(N, saver) },
        { name: langgraphPgSync, units: N, ...langgraphDurable(N, saver, "sync") }
      ]
      if (has("layerSql", "function") && PgClient !== undefined) {
        const layer = Checkpointer.layerSql().pipe(Layer.provide(PgClient.layer({ url: Redacted.make(pg.url) })))
        postgres.unshift({ name: ourPg, units: N, ...ours(layer, "pg") })
      }
      await interleaved("durable-pg", "µs/step", postgres, { trials: config.durableRuns, ref: ourPg })
      if (!has("layerSql", "function")) skip("durable-pg", ourPg, layerNotBuilt("layerSql"))
      else if (PgClient === undefined) skip("durable-pg", ourPg, "@effect/sql-pg not installed at the root")
    } finally {
      await saver.end()
    }
  } finally {
    for (const runtime of runtimes) await runtime.dispose()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    server.release()
  }
}

// ---------------------------------------------------------------------------------------------------
// workload 8: the loop as an effect/workflow workflow (Durable.toWorkflow) next to a hand-written workflow with one
// Activity per step, on the memory engine and on the cluster engine (SingleRunner over Postgres)
// ---------------------------------------------------------------------------------------------------

const workloadWorkflow = async () => {
  const N = config.workflowSteps
  console.log(`\n8. Workflow loop: ${N} steps, one Activity each (per step; CPU is this process only)`)
  const { Durable } = Lib
  const ours = "effect-pocketflow, Durable.toWorkflow"
  const hand = "hand-written Workflow, one Activity per step"
  if (typeof Durable?.toWorkflow !== "function") {
    for (const w of ["workflow-memory", "workflow-pg"]) {
      for (const what of [ours, hand]) skip(w, what, "Durable.toWorkflow not built")
    }
    return
  }
  const { Activity, Workflow, WorkflowEngine } = await import("effect/workflow")
  const { ClusterWorkflowEngine, SingleRunner } = await import("effect/cluster")
  const Digest = await import("effect/crypto/Digest")
  const PgClient = await importOptional("@effect/sql-pg/PgClient")

  class Store extends Shared.Service()("bench/WorkflowStore", { schema: Schema.Struct({ n: Schema.Number }) }) {}
  const inc = Node.make({
    name: "inc",
    prep: Effect.map(Store.get, (s) => s.n),
    exec: (n) => Effect.succeed(n + 1),
    post: (_n, n) => Node.as(Store.set({ n }), n < N ? "again" : "done")
  })
  const flow = Flow.end(Flow.on(Flow.make({ name: "workflow-loop", start: inc }), inc, "again", inc), inc, "done")
  const oursWf = Durable.toWorkflow(flow, { name: "bench-ours", stores: [Store] })

  const Hand = Workflow.make("bench-hand", {
    payload: { id: Schema.String },
    success: Schema.Number,
    idempotencyKey: (p) => p.id
  })
  const handLayer = Hand.toLayer(() =>
    Effect.gen(function*() {
      let n = 0
      while (n < N) {
        const from = n
        n = yield* Activity.make({ name: `step-${from}`, success: Schema.Number, execute: Effect.sync(() => from + 1) })
      }
      return n
    })
  )
  const impls = (runtime, prefix) => {
    let k = 0
    return [
      {
        name: ours,
        units: N,
        run: () => runtime.runPromise(oursWf.workflow.execute({ id: `${prefix}-ours-${k++}`, stores: { [Store.key]: { n: 0 } } })),
        check: (final) => expectEqual("workflow/ours n", final.stores[Store.key].n, N)
      },
      {
        name: hand,
        units: N,
        run: () => runtime.runPromise(Hand.execute({ id: `${prefix}-hand-${k++}` })),
        check: (n) => expectEqual("workflow/hand n", n, N)
      }
    ]
  }
  const workflows = Layer.mergeAll(oursWf.layer, handLayer)
  const runtimes = []
  const server = benchPostgres()
  try {
    console.log("  8a. WorkflowEngine.layerMemory")
    const memory = ManagedRuntime.make(workflows.pipe(Layer.provideMerge(WorkflowEngine.layerMemory)))
    runtimes.push(memory)
    // a run takes a fraction of a second here: as many trials as the other in-memory workloads
    await interleaved("workflow-memory", "µs/step", impls(memory, "mem"), { trials: config.runs, ref: hand })

    console.log("  8b. ClusterWorkflowEngine + SingleRunner + Postgres (default sharding settings)")
    const { bin, missing } = findBinaries()
    if (bin === undefined || PgClient === undefined) {
      const reason = bin === undefined ? `no PostgreSQL server binaries (missing ${missing})` : "@effect/sql-pg not installed"
      for (const what of [ours, hand]) skip("workflow-pg", what, reason)
      return
    }
    const pg = await server.start()
    const cluster = ManagedRuntime.make(
      workflows.pipe(
        Layer.provideMerge(ClusterWorkflowEngine.layer),
        Layer.provideMerge(SingleRunner.layer()),
        Layer.provide(Digest.layerWebCrypto),
        Layer.provide(PgClient.layer({ url: Redacted.make(pg.url) }))
      )
    )
    runtimes.push(cluster)
    await interleaved("workflow-pg", "µs/step", impls(cluster, "pg"), { trials: config.workflowRuns, ref: hand })
  } finally {
    for (const runtime of runtimes) await runtime.dispose()
    server.release()
  }
}

// ---------------------------------------------------------------------------------------------------
// report
// ---------------------------------------------------------------------------------------------------

const machine = () => {
  let cpu = cpus()[0]?.model ?? "unknown"
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))
    if (m) cpu = m[1]
  } catch {}
  const versions = {}
  for (const [key, path] of [
    ["effect", "../node_modules/effect/package.json"],
    ["pocketflow", "node_modules/pocketflow/package.json"],
    ["@langchain/langgraph", "node_modules/@langchain/langgraph/package.json"],
    ["@langchain/core", "node_modules/@langchain/core/package.json"],
    ["@langchain/langgraph-checkpoint-postgres", "node_modules/@langchain/langgraph-checkpoint-postgres/package.json"],
    ["@effect/platform-node", "../node_modules/@effect/platform-node/package.json"],
    ["@effect/sql-pg", "../node_modules/@effect/sql-pg/package.json"]
  ]) {
    const url = new URL(path, import.meta.url)
    if (existsSync(url)) versions[key] = JSON.parse(readFileSync(url, "utf8")).version
  }
  return { node: process.version, cpu, cores: cpus().length, platform: `${process.platform} ${process.arch}`, versions }
}

const labels = () => ({
  loop: `1. loop (N = ${config.loopN}; LangGraph ${config.langgraphLoopN})`,
  chain: `2. chain (${config.chainLength} nodes × ${config.chainRuns} runs; LangGraph × ${config.langgraphChainRuns})`,
  [`batch-c${config.batchConcurrency}`]: `4. parallel batch, concurrency ${config.batchConcurrency} (ideal ${
    Math.ceil(config.batchItems / config.batchConcurrency) * config.batchWaitMs
  } ms)`,
  "batch-unbounded": `4. parallel batch, unbounded (ideal ${config.batchWaitMs} ms)`,
  nested: `5. nested batch flow (${config.nestedOuter} × ${config.nestedInner})`,
  wiring: "6. wiring a chain (Flow.make + Flow.next)",
  "durable-memory": `7a. durable loop, memory (${config.durableSteps} steps)`,
  "durable-fs": `7b. durable loop, file system (${config.durableSteps} steps)`,
  "durable-pg": `7c. durable loop, Postgres (${config.durableSteps} steps)`,
  "workflow-memory": `8a. workflow loop, memory engine (${config.workflowSteps} steps)`,
  "workflow-pg": `8b. workflow loop, SingleRunner + Postgres (${config.workflowSteps} steps)`
})

/**
 * A Markdown table: every workload, its implementations, median wall and CPU time, and the median of
 * the per-trial ratios to the workload's reference row with their min–max.
 */
const table = () => {
  const lines = [
    "| workload | implementation | wall (median) | CPU (median) | ratio to ref, wall: median [min–max] of per-trial ratios | ratio to ref, CPU: median |",
    "|---|---|---:|---:|---:|---:|"
  ]
  for (const [workload, label] of Object.entries(labels())) {
    for (const r of results.filter((r) => r.workload === workload)) {
      const ratio = r.ratio === undefined
        ? ""
        : r.impl === r.ref
        ? "ref"
        : `${fmtRatio(r.ratio.median)}× [${fmtRatio(r.ratio.min)}–${fmtRatio(r.ratio.max)}]`
      const cpuRatio = r.cpuRatio === undefined ? "" : r.impl === r.ref ? "ref" : `${fmtRatio(r.cpuRatio.median)}×`
      if (workload === "wiring") {
        // no reference row: say instead what a run of the wired chain costs (a lazy build shows in the first)
        lines.push(`| ${label} | ${r.impl} | ${fmt(r.median)} ms | ${fmt(r.cpuMedian)} ms CPU | running it: first ${
          fmt(r.firstRunMs)
        } ms, second ${fmt(r.secondRunMs)} ms | |`)
        continue
      }
      const cpuUnit = r.cpuUnit ?? `${r.unit} CPU`
      lines.push(`| ${label} | ${r.impl} | ${fmt(r.median)} ${r.unit} | ${fmt(r.cpuMedian)} ${cpuUnit} | ${ratio} | ${cpuRatio} |`)
    }
    for (const s of skipped.filter((s) => s.workload === workload)) {
      lines.push(`| ${label} | ${s.what} | skipped: ${s.reason} | | | |`)
    }
  }
  const mem = results.filter((r) => r.workload === "memory")
  if (mem.length > 0) {
    lines.push(
      "",
      `| 3. long loop (${config.memorySteps} steps) | heap before | heap after GC | growth | peak | µs/step | µs CPU/step |`,
      "|---|---:|---:|---:|---:|---:|---:|"
    )
    for (const r of mem) {
      lines.push(
        `| ${r.impl} | ${r.heapBeforeMB.toFixed(1)} MB | ${r.heapAfterMB.toFixed(1)} MB | ${
          r.growthMB >= 0 ? "+" : ""
        }${r.growthMB.toFixed(2)} MB | ${r.peakMB.toFixed(1)} MB | ${r.usPerStep.toFixed(2)} | ${r.cpuUsPerStep.toFixed(2)} |`
      )
    }
  }
  return lines.join("\n")
}

const get = (workload, impl) => results.find((r) => r.workload === workload && r.impl === impl)

/** Per-trial ratios a/b of two rows of one interleaved workload (same trial, same index). */
const trialRatio = (a, b) => spread(a.samples.map((x, t) => x / b.samples[t]))

const whySkipped = (what) => skipped.find((s) => s.what === what)?.reason ?? "not run"

const targets = () => {
  const out = []
  const ratioTarget = (target, workload, a, b, max) => {
    const ra = get(workload, a)
    const rb = get(workload, b)
    if (ra === undefined || rb === undefined) {
      const missing = ra === undefined ? a : b
      return out.push({ target, status: "SKIPPED", value: `${missing}: ${whySkipped(missing)}` })
    }
    const r = trialRatio(ra, rb)
    const c = spread(ra.cpuSamples.map((x, t) => x / rb.cpuSamples[t]))
    out.push({
      target,
      status: r.median <= max ? "MET" : "MISSED",
      value: `${fmtRatio(r.median)}× (median of ${ra.samples.length} per-trial ratios, min–max ${fmtRatio(r.min)}–${
        fmtRatio(r.max)
      }; ${fmt(ra.median)} vs ${fmt(rb.median)} ${ra.unit}; CPU ratio ${fmtRatio(c.median)}×)`,
      ratio: r,
      cpuRatio: c
    })
  }
  const absTarget = (target, workload, impl, max) => {
    const row = get(workload, impl)
    if (row === undefined) return out.push({ target, status: "SKIPPED", value: `${impl}: ${whySkipped(impl)}` })
    out.push({ target, status: row.median <= max ? "MET" : "MISSED", value: `${fmt(row.median)} ${row.unit}` })
  }
  for (const w of ["loop", "chain"]) {
    ratioTarget(`${w}: ≤ 1.0× PocketFlow`, w, "effect-pocketflow", "PocketFlow 1.0.4", 1.0)
    ratioTarget(`${w}: ≤ 2× raw Effect`, w, "effect-pocketflow", "raw Effect loop", 2.0)
  }
  // Flow.emit is one more Effect in the node: what must cost nothing is the emit itself, so it is compared with the
  // same loop doing Effect.void in its place (the control). The ratio to the plain loop is shown for reference.
  ratioTarget("loop with Flow.emit, no subscriber: parity (≤ 1.1×) with the control (Effect.void in its place)", "loop",
    "effect-pocketflow + Flow.emit, no subscriber", "effect-pocketflow + Effect.void (control)", 1.1)
  ratioTarget("(reference) loop with Flow.emit, no subscriber vs the plain loop (≤ 1.5×)", "loop",
    "effect-pocketflow + Flow.emit, no subscriber", "effect-pocketflow", 1.5)
  ratioTarget("observed loop (Flow.events subscriber): ≤ 2× the unobserved loop", "loop", "effect-pocketflow + events",
    "effect-pocketflow", 2.0)
  const mem = get("memory", "effect-pocketflow")
  if (mem === undefined) out.push({ target: "long loop: heap growth after GC < 10 MB", status: "SKIPPED", value: "not run" })
  else {
    out.push({
      target: `${config.memorySteps}-step loop: heap growth after GC < 10 MB`,
      status: mem.growthMB < 10 ? "MET" : "MISSED",
      value: `${mem.growthMB.toFixed(2)} MB`
    })
  }
  const batch = get(`batch-c${config.batchConcurrency}`, "effect-pocketflow")
  if (batch === undefined) out.push({ target: "parallel batch: ≤ 1.1× ideal", status: "SKIPPED", value: "not run" })
  else {
    const vsIdeal = batch.median / batch.ideal
    out.push({
      target: `parallel batch at concurrency ${config.batchConcurrency}: ≤ 1.1× ideal`,
      status: vsIdeal <= 1.1 ? "MET" : "MISSED",
      value: `${vsIdeal.toFixed(3)}× (${fmt(batch.median)} ms / ${batch.ideal} ms)`
    })
  }
  const biggest = config.wiringSizes[config.wiringSizes.length - 1]
  const wired = `wire ${biggest} nodes`
  if (get("wiring", wired) === undefined && skipped.some((s) => s.what === wired)) {
    // a build that could not finish (or was not tried because a smaller one could not) misses a < 1 s target
    out.push({ target: `wiring a ${biggest}-node chain: < 1 s`, status: "MISSED", value: `${wired}: ${whySkipped(wired)}` })
  } else absTarget(`wiring a ${biggest}-node chain: < 1 s`, "wiring", wired, 1000)
  absTarget("durable loop, memory checkpointer: ≤ 10 µs/step", "durable-memory", "effect-pocketflow, memory checkpointer", 10)
  absTarget("durable loop, file system without fsync: ≤ 300 µs/step", "durable-fs",
    "effect-pocketflow, file system (fsync: false)", 300)
  const ourPg = "effect-pocketflow, Postgres checkpointer"
  ratioTarget("durable loop, Postgres: ≤ 0.5× LangGraph PostgresSaver (default durability: async)", "durable-pg", ourPg,
    "LangGraph, PostgresSaver (default durability: async)", 0.5)
  ratioTarget("durable loop, Postgres: ≤ 0.5× LangGraph PostgresSaver (durability: sync, saves before the next step as ours does)",
    "durable-pg", ourPg, "LangGraph, PostgresSaver (durability: sync)", 0.5)
  const hand = "hand-written Workflow, one Activity per step"
  ratioTarget("workflow loop, memory engine: ≤ 1.5× a hand-written Activity-per-step workflow", "workflow-memory",
    "effect-pocketflow, Durable.toWorkflow", hand, 1.5)
  ratioTarget("workflow loop, SingleRunner + Postgres: ≤ 1.5× a hand-written Activity-per-step workflow", "workflow-pg",
    "effect-pocketflow, Durable.toWorkflow", hand, 1.5)
  return out
}

const main = async () => {
  checkOneEffect()
  const info = machine()
  console.log(`effect-pocketflow bench (${config.mode}) on Node ${info.node}, ${info.cores} × ${info.cpu}`)
  console.log(`versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  console.log(
    `each row: median wall time, median CPU time (process.cpuUsage, user + system, all threads), and the median ` +
      `[min–max] of per-trial ratios to the workload's reference row`
  )
  const t0 = performance.now()
  // BENCH_ONLY=loop,chain runs a subset (for profiling): no results.json then
  const only = process.env.BENCH_ONLY?.split(",")
  const workloads = {
    loop: workloadLoop,
    chain: workloadChain,
    memory: workloadMemory,
    batch: workloadBatch,
    nested: workloadNested,
    wiring: workloadWiring,
    durable: workloadDurable,
    workflow: workloadWorkflow
  }
  for (const [key, run] of Object.entries(workloads)) {
    if (only !== undefined && !only.includes(key)) continue
    try {
      await run()
    } catch (error) {
      // one broken workload (e.g. an API that changed) must not hide the others' figures
      failures.push({ workload: key, error: String(error?.stack ?? error) })
      console.log(`  FAILED: ${error?.stack ?? error}`)
    }
  }
  const seconds = (performance.now() - t0) / 1000
  console.log(
    `\nInterleaved trials: ${config.runs} per workload (batch ${config.batchRuns}, durable ${config.durableRuns}, workflow ${config.workflowRuns}, ` +
      `memory ${config.memoryRuns}) after a warm-up of ≥ ${config.warmup} run(s) and ≥ ${config.warmupMs} ms per ` +
      `implementation; short runs repeated to ≥ ${config.minTrialMs} ms per trial\n`
  )
  console.log(table())
  const checked = targets()
  console.log("\nTargets:")
  for (const t of checked) console.log(`  ${t.status.padEnd(7)} ${t.target}: ${t.value}`)
  for (const f of failures) console.log(`\nFAILED workload ${f.workload}:\n${f.error}`)
  console.log(`\ntotal ${seconds.toFixed(1)} s`)
  if (only === undefined) {
    const out = {
      date: new Date().toISOString(),
      machine: info,
      config,
      seconds,
      targets: checked,
      skipped,
      failures,
      results,
      table: table()
    }
    writeFileSync(`${here}results.json`, JSON.stringify(out, null, 2) + "\n")
    console.log(`written ${here}results.json`)
  }
  if (failures.length > 0) process.exitCode = 1
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
