// Wires a chain of `size` nodes with Flow.make + Flow.next, times it, and runs the result once to check that every
// node is on it. Runs in a worker thread started by run.mjs: wiring is synchronous, so the only way to give up on a
// build that is too slow (a quadratic build of 100,000 nodes would run for hours) is to terminate its thread.
import { parentPort, workerData } from "node:worker_threads"
import { performance } from "node:perf_hooks"
import * as Effect from "effect/Effect"
import { Flow, Node, Shared } from "../dist/index.js"

const { size, reps, slowMs } = workerData

const Counter = Shared.Service()("bench/WiringCounter")

const cpuMs = (start) => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

const t0 = performance.now()
const nodes = Array.from({ length: size }, (_, i) =>
  Node.make({ name: `n${i}`, post: () => Effect.asVoid(Counter.update((s) => ({ n: s.n + 1 }))) }))
const makeMs = performance.now() - t0

const wireMs = []
const wireCpuMs = []
let flow
// a build slower than `slowMs` is not repeated: one sample of a slow build says enough
for (let r = 0; r < reps && (r === 0 || wireMs[0] < slowMs); r++) {
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  flow = Flow.make({ name: "wired", start: nodes[0] })
  for (let i = 0; i + 1 < size; i++) flow = Flow.next(nodes[i], nodes[i + 1])(flow)
  wireMs.push(performance.now() - w0)
  wireCpuMs.push(cpuMs(c0))
}

const runOnce = () =>
  Effect.runPromise(
    Effect.flatMap(Counter.make({ n: 0 }), (store) =>
      Effect.provideService(Effect.andThen(Flow.run(flow), Counter.get), Counter, store))
  ).then((s) => s.n)

// The first run also pays for whatever wiring left to do later (a flow may build its graph lazily): timed apart from
// the second run, so a cost moved from wiring to the first run shows
const r0 = performance.now()
const visited = await runOnce()
const firstRunMs = performance.now() - r0
const r1 = performance.now()
const visitedAgain = await runOnce()
const secondRunMs = performance.now() - r1

parentPort.postMessage({ size, makeMs, wireMs, wireCpuMs, visited, visitedAgain, firstRunMs, secondRunMs })
