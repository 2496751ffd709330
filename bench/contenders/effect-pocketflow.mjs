// effect-pocketflow, the library under test, as built in ../dist: its implementation of each workload. Each export
// makes one row's implementation from the row's args (see bench/README.md); it runs in a child process of its own.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import * as Lib from "../../dist/index.js"
import { importOptional, onWorkflowEngine } from "./support/effect.mjs"
import { modelLoops } from "./support/model-loop.mjs"
import { range } from "./support/plain.mjs"

const { Flow, Node, Shared } = Lib

const LoopStore = Shared.Service()("bench/LoopStore")

/**
 * The loop's node: prep reads the counter, exec adds one, post writes it and routes back ("again") until `n`
 * ("done"). `onStep(n)` is called by post every step (the heap rows sample the heap there); `exec` replaces the
 * node's exec (the Flow.emit rows).
 */
const incNode = (Store, n, { onStep, exec = (x) => Effect.succeed(x + 1) } = {}) =>
  Node.make({
    name: "inc",
    prep: Effect.map(Store.get, (s) => s.n),
    exec,
    post: (_n, x) => {
      if (onStep !== undefined) onStep(x)
      return Node.as(Store.set({ n: x }), x < n ? "again" : "done")
    }
  })

// "done" goes to a last, empty node: a flow that ends on an action its node has no edge for logs a warning (in
// every library), which is not what we measure
const loopFlow = (name, inc) =>
  Flow.on(Flow.on(Flow.make({ name, start: inc }), inc, "again", inc), inc, "done", Node.make({ name: "end" }))

/** Runs `program` (a flow is an Effect) with a fresh store and resolves the store's final state. */
const withStore = (Store, initial, program) =>
  Effect.runPromise(
    Effect.flatMap(Store.make(initial), (store) =>
      Effect.provideService(Effect.andThen(program, Store.get), Store, store))
  )

const counted = (program) => withStore(LoopStore, { n: 0 }, program).then((s) => s.n)

export const loop = ({ n }, { onStep }) => {
  const flow = loopFlow("loop", incNode(LoopStore, n, { onStep }))
  return { run: () => counted(flow) }
}

/** Flow.events: the same loop, drained through a subscriber that counts the events. */
export const loopEvents = ({ n }) => {
  const flow = loopFlow("loop", incNode(LoopStore, n))
  let events = 0
  return {
    run: () => {
      events = 0
      return counted(Stream.runForEach(Flow.events(flow), () => Effect.sync(() => events++)))
    },
    extra: () => ({ eventsPerRun: events })
  }
}

const withExec = (n, exec) => {
  if (typeof Flow.emit !== "function") return { skip: "Flow.emit not built" }
  const flow = loopFlow("loop", incNode(LoopStore, n, { exec }))
  return { run: () => counted(flow) }
}

/** Flow.emit with nobody observing: the loop whose exec emits. */
export const loopEmit = ({ n }) => withExec(n, (x) => Effect.as(Flow.emit(x), x + 1))

/** The control for loopEmit: a no-op Effect in emit's place (what one more Effect there costs, whatever it does). */
export const loopControl = ({ n }) => withExec(n, (x) => Effect.as(Effect.void, x + 1))

/** `nodes` wired in a line with Flow.make + Flow.next. */
const wire = (name, nodes) => {
  let flow = Flow.make({ name, start: nodes[0] })
  for (let i = 0; i + 1 < nodes.length; i++) flow = Flow.next(nodes[i], nodes[i + 1])(flow)
  return flow
}

export const chain = ({ length }) => {
  const nodes = range(length, (i) =>
    Node.make({
      name: `n${i}`,
      prep: Effect.map(LoopStore.get, (s) => s.n),
      exec: (n) => Effect.succeed(n + 1),
      // asVoid: effect 4.1's Ref.set is typed Effect<void> but succeeds with the MutableRef, which a flow would take
      // as the action (see docs/performance.md)
      post: (_n, n) => Effect.asVoid(LoopStore.set({ n }))
    }))
  const flow = wire("chain", nodes)
  return { run: () => counted(flow) }
}

export const batch = ({ items, waitMs, concurrency }) => {
  let done
  const node = Node.batch({
    name: "wait-all",
    prep: Effect.succeed(range(items)),
    exec: (i) => Effect.as(Effect.sleep(waitMs), i),
    post: (_items, results) => Effect.sync(() => void (done = results.length)),
    concurrency
  })
  return { run: () => Effect.runPromise(Node.run(node)).then(() => done) }
}

const OuterParams = Context.Service()("bench/OuterParams")
const InnerParams = Context.Service()("bench/InnerParams")

export const nested = ({ outer: O, inner: I }) => {
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
  return { run: () => withStore(LoopStore, { n: 0, sum: 0 }, Node.run(outer)) }
}

const cpuMs = (start) => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

/**
 * Wires a chain of `size` nodes (timed: the Flow.make + Flow.next calls; making the nodes is timed apart) up to
 * `reps` times, once when a build takes over `slowMs`; then runs the wired chain twice, timing each run: the first
 * also pays for whatever wiring left to do later (a flow may build its graph lazily), so a cost moved from wiring to
 * the first run shows. The harness kills this process when it misses its deadline: wiring is synchronous.
 */
export const wiring = ({ size, reps, slowMs }) => ({
  run: async () => {
    const t0 = performance.now()
    const nodes = range(
      size,
      (i) => Node.make({ name: `n${i}`, post: () => Effect.asVoid(LoopStore.update((s) => ({ n: s.n + 1 }))) })
    )
    const makeMs = performance.now() - t0
    const wireMs = []
    const wireCpuMs = []
    let flow
    for (let r = 0; r < reps && (r === 0 || wireMs[0] < slowMs); r++) {
      const c0 = process.cpuUsage()
      const w0 = performance.now()
      flow = wire("wired", nodes)
      wireMs.push(performance.now() - w0)
      wireCpuMs.push(cpuMs(c0))
    }
    const r0 = performance.now()
    const visited = await counted(flow)
    const firstRunMs = performance.now() - r0
    const r1 = performance.now()
    const visitedAgain = await counted(flow)
    const secondRunMs = performance.now() - r1
    return { size, makeMs, wireMs, wireCpuMs, visited, visitedAgain, firstRunMs, secondRunMs }
  }
})

/** The checkpointer layer a durable row runs on, or `{ skip }` with the reason. */
const checkpointer = async ({ backend, directory, fsync, synchronous, url, table }) => {
  const { Checkpointer } = Lib
  // each backend may land separately: a layer that is not a value (or not a function) yet is not built
  const has = (name, kind) => typeof Checkpointer?.[name] === kind
  const notBuilt = (name) => ({
    skip: Checkpointer === undefined ? "Durable not built" : `Checkpointer.${name} not built`
  })
  if (backend === "memory") return has("layerMemory", "object") ? Checkpointer.layerMemory : notBuilt("layerMemory")
  if (backend === "fs") {
    if (!has("layerFileSystem", "function")) return notBuilt("layerFileSystem")
    const NodeServices = await importOptional("@effect/platform-node/NodeServices")
    if (NodeServices === undefined) return { skip: "@effect/platform-node not installed at the root" }
    return Checkpointer.layerFileSystem({ directory, fsync }).pipe(Layer.provide(NodeServices.layer))
  }
  if (backend === "sqlite") {
    if (!has("layerSqlite", "function")) return notBuilt("layerSqlite")
    const [major, minor] = process.versions.node.split(".").map(Number)
    if (major < 22 || (major === 22 && minor < 16)) {
      return { skip: `node:sqlite needs Node 22.16 (this is ${process.version})` }
    }
    return Checkpointer.layerSqlite({ filename: join(directory, "runs.db"), synchronous })
  }
  if (!has("layerSql", "function")) return notBuilt("layerSql")
  const PgClient = await importOptional("@effect/sql-pg/PgClient")
  if (PgClient === undefined) return { skip: "@effect/sql-pg not installed at the root" }
  return Checkpointer.layerSql(table === undefined ? undefined : { table }).pipe(
    Layer.provide(PgClient.layer({ url: Redacted.make(url) }))
  )
}

// A store declared with a Schema, as durable runs need
class DurableStore extends Shared.Service()("bench/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}

/**
 * The loop as a durable run, checkpointed after every step, on one checkpointer layer built once (one
 * ManagedRuntime: one connection pool, tables created once); a new run id per run, runs deleted after each trial.
 */
export const durable = async (args) => {
  const { Durable } = Lib
  if (Durable === undefined) return { skip: "Durable not built" }
  const layer = await checkpointer(args)
  if (layer.skip !== undefined) return layer
  const flow = loopFlow("durable-loop", incNode(DurableStore, args.n))
  const runtime = ManagedRuntime.make(layer)
  let k = 0
  const ids = []
  return {
    run: () => {
      const id = `${args.backend}-${k++}`
      ids.push(id)
      return runtime
        .runPromise(Durable.run(flow, { id, stores: [DurableStore.initial({ n: 0 })] }))
        .then((outcome) => ({ id, outcome }))
    },
    inspect: async ({ id, outcome }) => ({
      outcome: outcome._tag,
      saved: (await runtime.runPromise(Durable.state(id, DurableStore))).n
    }),
    afterTrial: async () => {
      for (const id of ids.splice(0)) await runtime.runPromise(Durable.delete(id))
    },
    dispose: () => runtime.dispose()
  }
}

class WorkflowStore extends Shared.Service()("bench/WorkflowStore", { schema: Schema.Struct({ n: Schema.Number }) }) {}

/** The loop as an effect/workflow workflow (Durable.toWorkflow), on the memory engine or SingleRunner + Postgres. */
export const workflow = async ({ n, engine, url }) => {
  if (typeof Lib.Durable?.toWorkflow !== "function") return { skip: "Durable.toWorkflow not built" }
  const inc = incNode(WorkflowStore, n)
  const flow = Flow.end(Flow.on(Flow.make({ name: "workflow-loop", start: inc }), inc, "again", inc), inc, "done")
  const wf = Lib.Durable.toWorkflow(flow, { name: "bench-ours", stores: [WorkflowStore] })
  const layer = await onWorkflowEngine(wf.layer, engine, url)
  if (layer.skip !== undefined) return layer
  const runtime = ManagedRuntime.make(layer)
  let k = 0
  return {
    run: () =>
      runtime.runPromise(wf.workflow.execute({ id: `ours-${k++}`, stores: { [WorkflowStore.key]: { n: 0 } } })),
    inspect: (final) => final.stores[WorkflowStore.key].n,
    dispose: () => runtime.dispose()
  }
}

// The model-events workload (workloads/model.mjs): a loop whose node asks a fake model, observed or not.
const models = modelLoops(Lib)
export const modelLoop = models.modelLoop
export const modelLoopEvents = models.modelLoopEvents
export const modelLoopModelEvents = models.modelLoopModelEvents

/**
 * A batch of `items` items at `concurrency`, each waiting `waitMs` on a real timer, every exec holding a permit of a
 * limit of `limit` concurrent (`Limits.layer`, built once); with `control`, no limit and the batch's own concurrency
 * set to `limit` instead (the floor). The gauge: items in flight, counted inside exec.
 */
export const limits = ({ items, waitMs, concurrency, limit, control }) => {
  if (Lib.Limits === undefined) return { skip: "Limits not built" }
  const gauge = { inFlight: 0, most: 0 }
  const node = Node.batch({
    name: "calls",
    prep: Effect.succeed(range(items)),
    exec: (i) =>
      Effect.suspend(() => {
        gauge.most = Math.max(gauge.most, ++gauge.inFlight)
        return Effect.as(Effect.ensuring(Effect.sleep(waitMs), Effect.sync(() => gauge.inFlight--)), i)
      }),
    ...(control ? { concurrency: limit } : { concurrency, limit: "api" })
  })
  const runtime = ManagedRuntime.make(Lib.Limits.layer({ api: { concurrency: limit } }))
  return {
    run: () => {
      gauge.most = 0
      return runtime.runPromise(Node.run(node)).then(() => ({ done: items, most: gauge.most }))
    },
    extra: () => ({ mostInFlight: gauge.most }),
    dispose: () => runtime.dispose()
  }
}

/**
 * A node whose exec waits 1 ms (a real timer), run `runs` times in one program: without a cache (`mode: "exec"`),
 * with a cache hit every time (`"hit"`: the result stored before the trials), or a miss every time (`"miss"`: a new
 * key per run, so each run runs exec and stores its result), on `Persistence.layerMemory`.
 */
export const cache = async ({ runs, mode, execMs }) => {
  if (typeof Lib.FlowEvent.CacheHit !== "function") return { skip: "caching not built" }
  const { Persistence } = await import("effect/persistence")
  let k = 0
  let done = 0
  const node = Node.make({
    name: "answer",
    prep: Effect.sync(() => (mode === "miss" ? `q${k++}` : "q")),
    exec: (q) => Effect.as(Effect.sleep(execMs), `answer to ${q}`),
    post: () => Effect.sync(() => void done++),
    ...(mode === "exec" ? {} : { resultSchema: Schema.String, cache: { key: (q) => q } })
  })
  const runtime = ManagedRuntime.make(Persistence.layerMemory)
  if (mode === "hit") await runtime.runPromise(Node.run(node))
  const program = Effect.suspend(() => {
    done = 0
    return Effect.forEach(range(runs), () => Node.run(node), { discard: true })
  })
  return {
    run: () => runtime.runPromise(program).then(() => done),
    dispose: () => runtime.dispose()
  }
}

// The worker workload (workloads/worker.mjs): the due poll, a worker against Durable.run, the wake-up latency.

/** A saved run that waits and is not due: half wait for an answer, half sleep for a year. */
const idleSnapshot = (id, flow, now, i) => ({
  format: 1,
  id,
  flow,
  version: 1,
  status: i % 2 === 0 ? "suspended" : "sleeping",
  steps: 1,
  position: {},
  stores: {},
  waiting: [{
    key: "idle/wait#1/approval#1",
    kind: i % 2 === 0 ? "input" : "timer",
    input: "approval",
    path: "idle/wait#1",
    prompt: null,
    token: `token-${id}`,
    answerSchema: {},
    ...(i % 2 === 0 ? {} : { until: now + 365 * 86_400_000 })
  }],
  updatedAt: now
})

/**
 * One `due` poll (what a worker asks every `poll`) on a checkpointer holding `idle` runs that wait (for an answer, or
 * a timer a year away) and `due` queued runs of the same flow; the answer must be the `due` runs. Nobody claims them,
 * so every poll finds the same ones.
 */
export const workerDue = async (args) => {
  const { Checkpointer, Durable } = Lib
  if (typeof Durable?.worker !== "function") return { skip: "Durable.worker not built" }
  const layer = await checkpointer(args)
  if (layer.skip !== undefined) return layer
  const runtime = ManagedRuntime.make(layer)
  const flow = "bench-due"
  const now = Date.now()
  await runtime.runPromise(Effect.gen(function*() {
    const cp = yield* Checkpointer.Checkpointer
    yield* Effect.forEach(range(args.idle), (i) => cp.save(idleSnapshot(`idle-${i}`, flow, now, i)), {
      concurrency: 8,
      discard: true
    })
    const store = DurableStore.initial({ n: 0 })
    const queued = Flow.make({ name: flow, start: Node.make({ name: "x" }) })
    yield* Effect.forEach(range(args.due), (i) => Durable.start(queued, { id: `due-${i}`, stores: [store] }), {
      discard: true
    })
  }))
  const poll = Effect.flatMap(
    Effect.service(Checkpointer.Checkpointer),
    (cp) => Effect.suspend(() => cp.due({ now: Date.now(), limit: args.due, flows: [flow] }))
  )
  return {
    run: () => runtime.runPromise(poll).then((due) => due.ids.length),
    dispose: () => runtime.dispose()
  }
}

/** Resolves the promise of `id` (made by `expect`) when `settle(id)` is called. */
const waiters = () => {
  const pending = new Map()
  return {
    expect: (id) => new Promise((done) => pending.set(id, done)),
    settle: (id) => {
      const done = pending.get(id)
      pending.delete(id)
      done?.()
    }
  }
}

/**
 * `runs` runs of the durable loop (`n` steps each) on the memory checkpointer: called with `Durable.run` one after
 * the other (`via: "run"`), queued with `Durable.start` and then continued with `Durable.run` (`"start-run"`), or
 * queued with `Durable.start` and continued by a worker of `concurrency` polling every
 * `pollMs` (`via: "worker"`; a run is over when the worker reports it `Continued`).
 */
export const workerOverhead = async ({ n, runs, via, concurrency, pollMs }) => {
  const { Checkpointer, Durable } = Lib
  if (typeof Durable?.worker !== "function") return { skip: "Durable.worker not built" }
  const flow = loopFlow("worker-loop", incNode(DurableStore, n))
  const continued = waiters()
  const layer = via !== "worker" ? Checkpointer.layerMemory : Layer.provideMerge(
    Durable.layerWorker({
      flows: [Durable.register(flow, { stores: [DurableStore] })],
      concurrency,
      poll: `${pollMs} millis`,
      onEvent: (e) => e._tag === "Continued" && continued.settle(e.id)
    }),
    Checkpointer.layerMemory
  )
  const runtime = ManagedRuntime.make(layer)
  await runtime.runPromise(Effect.void)
  const store = [DurableStore.initial({ n: 0 })]
  let k = 0
  let ids = []
  const one = via !== "worker"
    ? () => {
      const id = `run-${k++}`
      ids.push(id)
      const run = Durable.run(flow, { id, stores: store })
      return runtime.runPromise(
        via === "start-run" ? Effect.andThen(Durable.start(flow, { id, stores: store }), run) : run
      )
    }
    : undefined
  return {
    run: async () => {
      if (one !== undefined) {
        for (let i = 0; i < runs; i++) await one()
        return { last: ids.at(-1) }
      }
      const batch = range(runs).map(() => `worker-${k++}`)
      ids.push(...batch)
      const over = Promise.all(batch.map(continued.expect))
      await runtime.runPromise(
        Effect.forEach(batch, (id) => Durable.start(flow, { id, stores: store }), { discard: true })
      )
      await over
      return { last: batch.at(-1) }
    },
    inspect: async ({ last }) => {
      const run = await runtime.runPromise(Durable.get(last))
      return {
        outcome: run._tag === "Some" && run.value.status === "done" ? "Done" : run.value?.status,
        saved: (await runtime.runPromise(Durable.state(last, DurableStore))).n
      }
    },
    afterTrial: async () => {
      for (const id of ids.splice(0)) await runtime.runPromise(Durable.delete(id))
    },
    dispose: () => runtime.dispose()
  }
}

const WakeApproval = Lib.Durable?.input?.("bench-wake", { answer: Schema.Boolean })

/**
 * The wake-up latency of an answered run: a worker (poll `pollMs`, the default 1 s unless given) hosts a flow that
 * asks. `wakes` times, one after the other: `Durable.run` leaves a run waiting for its answer, a pause of a random
 * part of the poll interval puts the answer at a random point of the worker's poll cycle, then the answer is written
 * and the time to the worker's claim of the run measured. One run of the row does them all and answers the
 * latencies (ms); the row runs once (`bench.once`), untimed by the harness.
 */
export const workerWake = async ({ pollMs, backend, directory, wakes }) => {
  const { Checkpointer, Durable } = Lib
  if (typeof Durable?.worker !== "function") return { skip: "Durable.worker not built" }
  const base = await checkpointer({ backend, directory })
  if (base.skip !== undefined) return base
  const ask = Node.make({ name: "ask", exec: () => WakeApproval.ask() })
  const flow = Flow.make({ name: "wake", start: ask })
  const claimed = waiters()
  const continued = waiters()
  const runtime = ManagedRuntime.make(Layer.provideMerge(
    Durable.layerWorker({
      flows: [Durable.register(flow, { stores: [] })],
      ...(pollMs === undefined ? {} : { poll: `${pollMs} millis` }),
      onEvent: (e) => {
        if (e._tag === "Claimed") claimed.settle(e.id)
        if (e._tag === "Continued") continued.settle(e.id)
      }
    }),
    base
  ))
  const cycle = pollMs ?? 1000
  return {
    run: async () => {
      const latencies = []
      for (let k = 0; k < wakes; k++) {
        const id = `wake-${k}`
        await runtime.runPromise(Durable.run(flow, { id, stores: [] }))
        await new Promise((done) => setTimeout(done, Math.random() * cycle))
        const woke = claimed.expect(id)
        const over = continued.expect(id)
        const t0 = performance.now()
        await runtime.runPromise(Durable.answer({ id, input: WakeApproval, value: true }))
        await woke
        latencies.push(performance.now() - t0)
        await over
      }
      return latencies
    },
    dispose: () => runtime.dispose()
  }
}

/**
 * A durable run whose one node emits `n` tokens (`Flow.emit`), its events read by one subscriber: `mode: "in-process"`
 * with `Durable.events`; `mode: "sse"` run under the server (`Viewer.run`: the server without hosted flows, the run
 * walked in this process) and read by a `Client` over Server-Sent Events on 127.0.0.1. A run ends when its subscriber
 * has the run's last event.
 */
export const serverEvents = async ({ n, mode }) => {
  const server = await importOptional(new URL("../../dist/server.js", import.meta.url).href)
  if (server?.Client === undefined) return { skip: "the server is not built" }
  const { Viewer } = await import("../../dist/viewer.js")
  const { Client } = server
  const FetchHttpClient = await import("effect/http/FetchHttpClient")
  const { Checkpointer, Durable } = Lib
  class TokenStore extends Shared.Service()("bench/TokenStore", { schema: Schema.Struct({ n: Schema.Number }) }) {}
  const tokens = Node.make({
    name: "tokens",
    exec: () => Effect.forEach(range(n), (i) => Flow.emit(`t${i}`), { discard: true })
  })
  const flow = Flow.make({ name: "stream", start: tokens })
  const initial = [TokenStore.initial({ n: 0 })]
  let k = 0
  if (mode === "in-process") {
    const runtime = ManagedRuntime.make(Checkpointer.layerMemory)
    return {
      run: () => runtime.runPromise(Stream.runCount(Durable.events(flow, { id: `in-${k++}`, stores: initial }))),
      dispose: () => runtime.dispose()
    }
  }
  const runtime = ManagedRuntime.make(
    Viewer.layer({ announce: false, token: "bench" }).pipe(
      Layer.provideMerge(Checkpointer.layerMemory),
      Layer.provideMerge(FetchHttpClient.layer)
    )
  )
  const program = Effect.gen(function*() {
    const viewer = yield* Viewer.Viewer
    const client = yield* Client.make({ baseUrl: `http://127.0.0.1:${viewer.port}`, token: "bench" })
    const id = `sse-${k++}`
    yield* Effect.forkChild(Viewer.run(flow, { id, stores: initial }))
    // The run exists once its first checkpoint is saved: subscribe then, from the first event the server holds.
    while ((yield* Durable.get(id))._tag === "None") yield* Effect.yieldNow
    return yield* Stream.runCount(client.events(id))
  })
  return { run: () => runtime.runPromise(program), dispose: () => runtime.dispose() }
}

/**
 * `GET /runs/:id` on a server (no hosted flows) over a memory checkpointer holding `runs` runs, `concurrency` requests
 * in flight on keep-alive connections, `requests` per run of the implementation.
 */
export const serverGet = async ({ runs, requests, concurrency }) => {
  const server = await importOptional(new URL("../../dist/server.js", import.meta.url).href)
  if (server?.Server === undefined) return { skip: "the server is not built" }
  const { Checkpointer, Durable } = Lib
  class GetStore extends Shared.Service()("bench/GetStore", { schema: Schema.Struct({ n: Schema.Number }) }) {}
  const flow = Flow.make({ name: "idle", start: Node.make({ name: "idle" }) })
  const runtime = ManagedRuntime.make(
    server.Server.layer({ announce: false, token: "bench" }).pipe(Layer.provideMerge(Checkpointer.layerMemory))
  )
  const { baseUrl } = await runtime.runPromise(
    Effect.gen(function*() {
      for (const i of range(runs)) yield* Durable.start(flow, { id: `run-${i}`, stores: [GetStore.initial({ n: i })] })
      return yield* Effect.service(server.Server.Server)
    })
  )
  const headers = { authorization: "Bearer bench" }
  let next = 0
  const one = async () => {
    const id = `run-${next++ % runs}`
    const response = await fetch(`${baseUrl}/runs/${id}`, { headers })
    const body = await response.json()
    if (response.status !== 200 || body.id !== id) throw new Error(`GET /runs/${id}: ${response.status}`)
  }
  return {
    run: async () => {
      let left = requests
      const lane = async () => {
        while (left-- > 0) await one()
      }
      await Promise.all(range(concurrency).map(lane))
      return requests
    },
    dispose: () => runtime.dispose()
  }
}
