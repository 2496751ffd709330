// Workload 12: the server (effect-pocketflow/server). (a) Events to a client: a durable run whose node emits N tokens,
// read in process with Durable.events, and over Server-Sent Events by a Client on 127.0.0.1 (the run walked under the
// server): the per-event overhead of the server, and a 1,000-token stream's end-to-end latency (run start → the
// client has the last event). (b) Requests per second for GET /runs/:id on a server whose checkpointer holds 1,000 runs.
import { ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { fmt } from "../harness/stats.mjs"

export const sizes = {
  smoke: { tokens: 100, runs: 50, requests: 100, concurrency: 4, trials: 3 },
  full: { tokens: 1_000, runs: 1_000, requests: 2_000, concurrency: 8, trials: 7 }
}

const events = "server-events"
const get = "server-get"
const inProcess = "Durable.events, in process"
const sse = "server: SSE to a Client (127.0.0.1)"
const getRow = "server: GET /runs/:id"

export const labels = (s) => ({
  [events]: `12a. a run of ${s.tokens} tokens (Flow.emit), its events to one subscriber`,
  [get]: `12b. GET /runs/:id, ${s.concurrency} in flight, ${s.runs} runs stored (memory checkpointer)`
})

export const check = (row, result) => {
  // Every token, plus the run's own events (checkpoints, flow and node events): at least the tokens.
  if (row.impl === "serverEvents" && !(result >= row.args.n)) {
    throw new Error(`server/${row.name}: ${result} events for ${row.args.n} tokens`)
  }
  if (row.impl === "serverGet") expectEqual(`server/${row.name}: requests`, result, row.args.requests)
}

export const run = async (bench, s) => {
  bench.title(
    `12. Server: events of a ${s.tokens}-token run to one subscriber, in process and over SSE; ` +
      `GET /runs/:id with ${s.runs} runs stored`
  )
  const eventsRow = (name, mode) => ({
    ...ours,
    name,
    impl: "serverEvents",
    args: { n: s.tokens, mode },
    units: s.tokens
  })
  await bench.interleaved(events, "µs/token", [eventsRow(inProcess, "in-process"), eventsRow(sse, "sse")], {
    ref: inProcess,
    trials: s.trials
  })
  await bench.interleaved(get, "µs/request", [{
    ...ours,
    name: getRow,
    impl: "serverGet",
    args: { runs: s.runs, requests: s.requests, concurrency: s.concurrency },
    units: s.requests
  }], { ref: getRow, trials: s.trials })
}

export const targets = (t, s) => {
  const local = t.row(events, inProcess)
  const remote = t.row(events, sse)
  const overhead = `server: per-event overhead of SSE over Durable.events (${s.tokens}-token run)`
  const latency = `server: a ${s.tokens}-token stream end to end over SSE`
  if (local === undefined || remote === undefined) {
    t.add({ target: overhead, status: "SKIPPED", value: t.whySkipped(ours.name) })
    t.add({ target: latency, status: "SKIPPED", value: t.whySkipped(ours.name) })
  } else {
    t.add({
      target: overhead,
      status: "REPORTED",
      value: `${fmt(remote.median - local.median)} µs/token (${fmt(remote.median)} over SSE, ${
        fmt(local.median)
      } in process)`
    })
    t.add({ target: latency, status: "REPORTED", value: `${fmt((remote.median * s.tokens) / 1000)} ms` })
  }
  const row = t.row(get, getRow)
  const rps = `server: GET /runs/:id requests per second (${s.runs} runs)`
  if (row === undefined) t.add({ target: rps, status: "SKIPPED", value: t.whySkipped(ours.name) })
  else t.add({ target: rps, status: "REPORTED", value: `${Math.round(1e6 / row.median)} requests/s` })
}
