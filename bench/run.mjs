// Benchmarks of effect-pocketflow against PocketFlow, LangGraph, a hand-written Effect loop and a plain async loop.
// Run from the repository root with `npm run bench` (or `npm run bench:smoke`). How it is built, and how to add a
// workload or a contender: bench/README.md.
import { main } from "./harness/main.mjs"

// The workloads, in the order they run and print: one file each in bench/workloads/
const workloads = [
  "loop",
  "chain",
  "memory",
  "batch",
  "nested",
  "wiring",
  "durable",
  "workflow",
  "limits",
  "cache",
  "worker",
  "server",
  "model"
]

main(workloads).catch((e) => {
  console.error(e)
  process.exit(1)
})
