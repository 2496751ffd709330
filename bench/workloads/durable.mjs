// Workload 7: workload 1's loop as a durable run, checkpointed after every step (memory, file system, Postgres,
// SQLite), next to LangGraph with MemorySaver, PostgresSaver and SqliteSaver.
import { join } from "node:path"
import { langgraph, ours } from "../contenders/names.mjs"
import { expectEqual } from "../harness/expect.mjs"
import { loopRow } from "./loop.mjs"

export const sizes = {
  smoke: { steps: 20, trials: 3 },
  full: { steps: 1_000, trials: 5 }
}

export const labels = (s) => ({
  "durable-memory": `7a. durable loop, memory (${s.steps} steps)`,
  "durable-fs": `7b. durable loop, file system (${s.steps} steps)`,
  "durable-pg": `7c. durable loop, Postgres (${s.steps} steps)`,
  "durable-sqlite": `7d. durable loop, SQLite against the others (${s.steps} steps)`
})

/** The plain loop answers its count; a durable row its outcome or node calls, and the state it saved. */
export const check = (row, r) => {
  const n = row.args.n
  if (typeof r === "number") return expectEqual(`durable/${row.name}`, r, n)
  if (r.outcome !== undefined) expectEqual(`durable/${row.name} outcome`, r.outcome, "Done")
  if (r.n !== undefined) expectEqual(`durable/${row.name} n`, r.n, n)
  if (r.calls !== undefined) expectEqual(`durable/${row.name} node calls`, r.calls, n)
  expectEqual(`durable/${row.name} saved n`, r.saved, n)
}

const memory = "effect-pocketflow, memory checkpointer"
const fs = (fsync) => `effect-pocketflow, file system (fsync: ${fsync})`
const ourPg = "effect-pocketflow, Postgres checkpointer"
const sqlite = (synchronous) => `effect-pocketflow, SQLite (synchronous: ${synchronous})`
const langgraphSqlite = "LangGraph, SqliteSaver (WAL, synchronous: full; durability: sync)"
const langgraphPg = {
  async: "LangGraph, PostgresSaver (default durability: async)",
  sync: "LangGraph, PostgresSaver (durability: sync)"
}

export const run = async (bench, s) => {
  const n = s.steps
  bench.title(
    `7. Durable loop: ${n} steps, each checkpointed (per step; CPU is the row's process only, not the Postgres ` +
      `server's)`
  )
  const row = (who, name, args) => ({ ...who, name, impl: "durable", args: { n, ...args }, units: n })
  const options = (ref) => ({ trials: s.trials, ref })

  bench.note("7a. in memory")
  await bench.interleaved("durable-memory", "µs/step", [
    row(ours, memory, { backend: "memory" }),
    // the plain (not durable) loop: the floor
    loopRow(ours, n, "loop", "effect-pocketflow, plain Flow.run (no checkpoints)"),
    row(langgraph, "LangGraph, MemorySaver", { saver: "memory" })
  ], options(memory))

  bench.note("7b. file system")
  const onDisk = (fsync) =>
    row(ours, fs(fsync), { backend: "fs", fsync, directory: bench.tempDir("pocketflow-bench-runs-") })
  await bench.interleaved("durable-fs", "µs/step", [onDisk(false), onDisk(true)], options(fs(false)))

  // one throwaway server for both libraries (and 7d)
  bench.note("7c. Postgres")
  const pg = await bench.postgres()
  if (pg.missing !== undefined) {
    for (const what of [ourPg, langgraphPg.async, langgraphPg.sync]) bench.skip("durable-pg", what, pg.missing)
  } else {
    await bench.interleaved("durable-pg", "µs/step", [
      row(ours, ourPg, { backend: "pg", url: pg.url }),
      row(langgraph, langgraphPg.async, { saver: "postgres", url: pg.url }),
      row(langgraph, langgraphPg.sync, { saver: "postgres", url: pg.url, durability: "sync" })
    ], options(ourPg))
  }

  // SQLite against every other checkpointer in one table, so the ratios come from the same trials. LangGraph's
  // SqliteSaver (better-sqlite3) runs with synchronous FULL, a sync to disk per commit: our "full" row is the like
  // for like, "normal" (no sync per commit; a killed process loses nothing) our default.
  bench.note("7d. SQLite")
  const onSqlite = (synchronous) =>
    row(ours, sqlite(synchronous), { backend: "sqlite", synchronous, directory: bench.tempDir("pocketflow-bench-db-") })
  const rows = [
    onSqlite("normal"),
    onSqlite("full"),
    row(ours, memory, { backend: "memory" }),
    onDisk(false),
    row(langgraph, langgraphSqlite, {
      saver: "sqlite",
      durability: "sync",
      filename: join(bench.tempDir("pocketflow-bench-langgraph-"), "checkpoints.db")
    })
  ]
  if (pg.missing === undefined) rows.push(row(ours, ourPg, { backend: "pg", url: pg.url }))
  else bench.skip("durable-sqlite", ourPg, pg.missing)
  await bench.interleaved("durable-sqlite", "µs/step", rows, options(sqlite("normal")))
}

export const targets = (t) => {
  t.abs("durable loop, SQLite (synchronous: normal): ≤ 60 µs/step", "durable-sqlite", sqlite("normal"), 60)
  t.ratio(
    "durable loop, SQLite (synchronous: normal): ≤ 0.1× the file system (same run)",
    "durable-sqlite",
    sqlite("normal"),
    fs(false),
    0.1
  )
  t.abs("durable loop, memory checkpointer: ≤ 10 µs/step", "durable-memory", memory, 10)
  t.abs("durable loop, file system without fsync: ≤ 300 µs/step", "durable-fs", fs(false), 300)
  t.ratio(
    "durable loop, Postgres: ≤ 0.5× LangGraph PostgresSaver (default durability: async)",
    "durable-pg",
    ourPg,
    langgraphPg.async,
    0.5
  )
  t.ratio(
    "durable loop, Postgres: ≤ 0.5× LangGraph PostgresSaver " +
      "(durability: sync, saves before the next step as ours does)",
    "durable-pg",
    ourPg,
    langgraphPg.sync,
    0.5
  )
}
