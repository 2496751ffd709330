// Benchmarks of effect-pocketflow against PocketFlow, LangGraph, a hand-written Effect loop and a
// plain async loop. Run from the repository root with `npm run bench` (or `npm run bench:smoke`).
//
// effect is NOT a dependency of bench/: `import "effect"` here walks up to the root node_modules, the
// very copy that ../dist (the built library) imports. Two copies of effect would not share fibers,
// services or the scheduler. `checkOneEffect` below fails the run if a second copy shows up.
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as PF from "pocketflow"
import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph"
import { Flow, Node, Shared } from "../dist/index.js"

const SMOKE = process.env.BENCH_SMOKE === "1" || process.argv.includes("--smoke")

const config = SMOKE
  ? {
    mode: "smoke",
    warmup: 1,
    warmupMs: 0,
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
    nestedInner: 10
  }
  : {
    mode: "full",
    warmup: 1,
    warmupMs: 500,
    runs: 7,
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
    nestedInner: 100
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Times `run` (which returns a promise) `runs` times after a warm-up of at least `warmup` runs and
 * `config.warmupMs` (so the JIT has settled for short runs too); returns the measured milliseconds.
 */
const time = async (run, runs = config.runs, warmup = config.warmup) => {
  // One full GC before the warm-up, none between runs: a forced full GC right before a short run
  // slows that run down (0.6 → 1.3 µs/step for ours, 0.44 → 0.64 for PocketFlow, 20,000 steps)
  gc()
  const w0 = performance.now()
  for (let i = 0; i < warmup || performance.now() - w0 < config.warmupMs; i++) await run()
  const ms = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await run()
    ms.push(performance.now() - t0)
  }
  return ms
}

const results = []

/**
 * Records one row: `perUnit` divides the run time (so figures are µs per step, per node, …) and
 * `scale` converts ms to the reported unit.
 */
const record = (workload, impl, unit, samples, extra = {}) => {
  const row = { workload, impl, unit, median: median(samples), samples, ...extra }
  results.push(row)
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
  console.log(`  ${impl.padEnd(34)} ${fmt(row.median).padStart(9)} ${unit}`)
  return row
}

const perUnit = (msSamples, units) => msSamples.map((ms) => (ms * 1000) / units)

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

/** `onStep(n)` is called by post every step (the memory workload samples the heap there). */
const oursLoop = (N, onStep) => {
  const inc = Node.make({
    name: "inc",
    prep: Effect.map(LoopStore.get, (s) => s.n),
    exec: (n) => Effect.succeed(n + 1),
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
      Effect.flatMap(Effect.provideService(program, LoopStore, store), () => Ref.get(store.ref)))
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
  const impls = [
    ["effect-pocketflow", oursLoop(N), N],
    ["PocketFlow 1.0.4", pocketflowLoop(N), N],
    ["LangGraph", langgraphLoop(LN), LN],
    ["raw Effect loop", rawEffectLoop(N), N],
    ["plain async loop", asyncLoop(N), N]
  ]
  for (const [name, impl, n] of impls) {
    expectEqual(`loop/${name}`, await impl.run(), n)
    record("loop", name, "µs/step", perUnit(await time(impl.run), n), { steps: n })
  }
  // Flow.events (issue 4): the same loop, drained through an events subscriber.
  if (typeof Flow.events === "function") {
    const { flow, run } = oursLoop(N)
    let events = 0
    const withEvents = () => {
      events = 0
      return run(Stream.runForEach(Flow.events(flow), () => Effect.sync(() => events++)))
    }
    expectEqual("loop/events", await withEvents(), N)
    record("loop", "effect-pocketflow + events", "µs/step", perUnit(await time(withEvents), N), {
      steps: N,
      eventsPerRun: events
    })
  } else {
    // TODO(issue 4): once Flow.events is built, this row compares the loop with a subscriber
    console.log("  (Flow.events not in the built package yet: no events row)")
  }
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
  const impls = [
    ["effect-pocketflow", oursChain(L), R],
    ["PocketFlow 1.0.4", pocketflowChain(L), R],
    ["LangGraph", langgraphChain(L), LR],
    ["raw Effect loop", rawEffectChain(L), R],
    ["plain async loop", asyncChain(L), R]
  ]
  for (const [name, impl, runs] of impls) {
    expectEqual(`chain/${name}`, await impl.run(), L)
    const many = async () => {
      for (let i = 0; i < runs; i++) await impl.run()
    }
    record("chain", name, "µs/node", perUnit(await time(many), L * runs), { nodes: L, runsPerSample: runs })
  }
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
  for (const [name, impl] of impls) {
    await impl.run() // warm-up
    const before = []
    const after = []
    const peaks = []
    const us = []
    for (let i = 0; i < config.memoryRuns; i++) {
      gc()
      const b = process.memoryUsage().heapUsed
      peak = b
      const t0 = performance.now()
      expectEqual(`memory/${name}`, await impl.run(), N)
      us.push(((performance.now() - t0) * 1000) / N)
      gc()
      const a = process.memoryUsage().heapUsed
      before.push(b / MB)
      after.push(a / MB)
      peaks.push(peak / MB)
    }
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
      samples: { before, after, growth, peaks, usPerStep: us }
    }
    results.push(row)
    console.log(
      `  ${name.padEnd(34)} before ${row.heapBeforeMB.toFixed(1)} MB, after GC ${row.heapAfterMB.toFixed(1)} MB ` +
        `(growth ${row.growthMB >= 0 ? "+" : ""}${row.growthMB.toFixed(2)} MB), peak ${row.peakMB.toFixed(1)} MB, ` +
        `${row.usPerStep.toFixed(2)} µs/step`
    )
  }
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
  const bounded = [
    ["effect-pocketflow", oursBatch(items, w, c)],
    ["LangGraph (maxConcurrency)", langgraphBatch(items, w, c)],
    ["raw Effect forEach", rawEffectBatch(items, w, c)],
    ["plain async pool", asyncPool(items, w, c)]
  ]
  for (const [name, run] of bounded) {
    await run()
    record(`batch-c${c}`, name, "ms", await time(run), { ideal: idealBounded })
  }
  console.log("  (PocketFlow has no concurrency limit: unbounded only. LangGraph unbounded is left out: 10,000")
  console.log("  concurrent Sends ran for minutes and grew the heap past 3 GB on the reference machine)")
  const unbounded = [
    ["effect-pocketflow", oursBatch(items, w, "unbounded")],
    ["PocketFlow 1.0.4", pocketflowBatch(items, w)],
    ["raw Effect forEach", rawEffectBatch(items, w, "unbounded")],
    ["plain Promise.all", asyncAll(items, w)]
  ]
  for (const [name, run] of unbounded) {
    await run()
    record("batch-unbounded", name, "ms", await time(run), { ideal: w })
  }
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
        Effect.flatMap(Effect.provideService(Node.run(outer), LoopStore, store), () => Ref.get(store.ref)))
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
  const impls = [
    ["effect-pocketflow", oursNested(O, I)],
    ["PocketFlow 1.0.4", pocketflowNested(O, I)],
    ["raw Effect loop", rawEffectNested(O, I)],
    ["plain async loop", asyncNested(O, I)]
  ]
  for (const [name, run] of impls) {
    const s = await run()
    expectEqual(`nested/${name} runs`, s.n, O * I)
    expectEqual(`nested/${name} sum`, s.sum, expectedSum)
    record("nested", name, "µs/inner run", perUnit(await time(run), O * I))
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
    ["@langchain/core", "node_modules/@langchain/core/package.json"]
  ]) {
    versions[key] = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")).version
  }
  return { node: process.version, cpu, cores: cpus().length, platform: `${process.platform} ${process.arch}`, versions }
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

/** A Markdown table: every workload, its implementations, the median and the ratio to ours. */
const table = () => {
  const lines = [
    "| workload | implementation | median | ratio to effect-pocketflow |",
    "|---|---|---:|---:|"
  ]
  const label = {
    loop: `1. loop (N = ${config.loopN}; LangGraph ${config.langgraphLoopN})`,
    chain: `2. chain (${config.chainLength} nodes × ${config.chainRuns} runs; LangGraph × ${config.langgraphChainRuns})`,
    [`batch-c${config.batchConcurrency}`]: `4. parallel batch, concurrency ${config.batchConcurrency} (ideal ${
      Math.ceil(config.batchItems / config.batchConcurrency) * config.batchWaitMs
    } ms)`,
    "batch-unbounded": `4. parallel batch, unbounded (ideal ${config.batchWaitMs} ms)`,
    nested: `5. nested batch flow (${config.nestedOuter} × ${config.nestedInner})`
  }
  for (const workload of Object.keys(label)) {
    const rows = results.filter((r) => r.workload === workload)
    const ours = rows.find((r) => r.impl === "effect-pocketflow")
    for (const r of rows) {
      const ratio = ours === undefined ? "" : `${(r.median / ours.median).toFixed(2)}×`
      lines.push(`| ${label[workload]} | ${r.impl} | ${fmt(r.median)} ${r.unit} | ${ratio} |`)
    }
  }
  const mem = results.filter((r) => r.workload === "memory")
  const memLines = [
    "",
    `| 3. long loop (${config.memorySteps} steps) | heap before | heap after GC | growth | peak | µs/step |`,
    "|---|---:|---:|---:|---:|---:|"
  ]
  for (const r of mem) {
    memLines.push(
      `| ${r.impl} | ${r.heapBeforeMB.toFixed(1)} MB | ${r.heapAfterMB.toFixed(1)} MB | ${
        r.growthMB >= 0 ? "+" : ""
      }${r.growthMB.toFixed(2)} MB | ${r.peakMB.toFixed(1)} MB | ${r.usPerStep.toFixed(2)} |`
    )
  }
  return [...lines, ...memLines].join("\n")
}

const targets = () => {
  const get = (workload, impl) => results.find((r) => r.workload === workload && r.impl === impl)
  const out = []
  for (const w of ["loop", "chain"]) {
    const ours = get(w, "effect-pocketflow")
    const pf = get(w, "PocketFlow 1.0.4")
    const raw = get(w, "raw Effect loop")
    const vsPf = ours.median / pf.median
    const vsRaw = ours.median / raw.median
    out.push({ target: `${w}: ≤ 1.0× PocketFlow`, value: `${vsPf.toFixed(2)}×`, met: vsPf <= 1.0 })
    out.push({ target: `${w}: ≤ 2× raw Effect`, value: `${vsRaw.toFixed(2)}×`, met: vsRaw <= 2.0 })
  }
  const mem = get("memory", "effect-pocketflow")
  out.push({
    target: `${config.memorySteps}-step loop: heap growth after GC < 10 MB`,
    value: `${mem.growthMB.toFixed(2)} MB`,
    met: mem.growthMB < 10
  })
  const batch = get(`batch-c${config.batchConcurrency}`, "effect-pocketflow")
  const vsIdeal = batch.median / batch.ideal
  out.push({
    target: `parallel batch at concurrency ${config.batchConcurrency}: ≤ 1.1× ideal`,
    value: `${vsIdeal.toFixed(3)}× (${fmt(batch.median)} ms / ${batch.ideal} ms)`,
    met: vsIdeal <= 1.1
  })
  return out
}

const main = async () => {
  checkOneEffect()
  const info = machine()
  console.log(`effect-pocketflow bench (${config.mode}) on Node ${info.node}, ${info.cores} × ${info.cpu}`)
  console.log(`versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  const t0 = performance.now()
  // BENCH_ONLY=loop,chain runs a subset (for profiling); the table and targets need all five
  const only = process.env.BENCH_ONLY?.split(",")
  const workloads = { loop: workloadLoop, chain: workloadChain, memory: workloadMemory, batch: workloadBatch, nested: workloadNested }
  for (const [key, run] of Object.entries(workloads)) {
    if (only === undefined || only.includes(key)) await run()
  }
  if (only !== undefined) {
    console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s (BENCH_ONLY: no table, no results.json)`)
    return
  }
  const seconds = (performance.now() - t0) / 1000
  console.log(`\nMedians of ${config.runs} runs after a warm-up of ≥ ${config.warmup} run(s) and ≥ ${config.warmupMs} ms (memory: ${config.memoryRuns} runs)\n`)
  console.log(table())
  const checked = targets()
  console.log("\nTargets:")
  for (const t of checked) console.log(`  ${t.met ? "met   " : "MISSED"} ${t.target}: ${t.value}`)
  console.log(`\ntotal ${seconds.toFixed(1)} s`)
  const out = { date: new Date().toISOString(), machine: info, config, seconds, targets: checked, results, table: table() }
  writeFileSync(`${here}results.json`, JSON.stringify(out, null, 2) + "\n")
  console.log(`written ${here}results.json`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
