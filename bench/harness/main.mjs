// The bench's driver: runs the listed workloads (workloads/<key>.mjs) in order, gives each the harness's API, then
// prints the table and the targets and writes results.json. This process loads no library: every row runs in a
// child process of its own (processes.mjs, child.mjs).
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { findBinaries, start as startPostgres } from "../../scripts/postgres.mjs"
import { childNode, onExit, startChild } from "./processes.mjs"
import { machine, markdownTable, printRow, targetKit } from "./report.mjs"
import { interleaved } from "./trials.mjs"

const modes = {
  smoke: { mode: "smoke", warmup: 1, warmupMs: 0, minTrialMs: 0, trials: 3 },
  full: { mode: "full", warmup: 1, warmupMs: 500, minTrialMs: 30, trials: 11 }
}

/**
 * effect is not a dependency of bench/: `import "effect"` in a contender walks up to the root node_modules, the very
 * copy that ../dist (the built library) imports. Two copies of effect would not share fibers, services or the
 * scheduler. Fails the run if a second copy shows up. (Resolving loads nothing.)
 */
const checkOneEffect = () => {
  const real = (url) => realpathSync(fileURLToPath(url))
  const fromBench = real(import.meta.resolve("effect"))
  const expected = real(new URL("../../node_modules/effect/dist/index.js", import.meta.url))
  if (fromBench !== expected || existsSync(new URL("../node_modules/effect", import.meta.url))) {
    throw new Error(
      `bench must use the root copy of effect (the one ../dist imports): it resolves ${fromBench}, ` +
        `expected ${expected}; remove bench/node_modules/effect`
    )
  }
}

/**
 * Runs the workloads named in `list` (files in bench/workloads/). Flags: `--smoke` (or BENCH_SMOKE=1) for tiny sizes;
 * BENCH_ONLY=loop,chain runs a subset (no results.json then); BENCH_SIZES='{"loop":{"n":200000}}' overrides sizes
 * (no results.json either: the figures are not the bench's).
 */
export const main = async (list) => {
  const config = process.env.BENCH_SMOKE === "1" || process.argv.includes("--smoke") ? modes.smoke : modes.full
  const only = process.env.BENCH_ONLY?.split(",")
  const overrides = JSON.parse(process.env.BENCH_SIZES ?? "{}")
  const unknown = [...(only ?? []), ...Object.keys(overrides)].filter((key) => !list.includes(key))
  if (unknown.length > 0) throw new Error(`unknown workload(s) ${unknown.join(", ")}; known: ${list.join(", ")}`)
  checkOneEffect()
  const info = machine(execFileSync(childNode, ["--version"], { encoding: "utf8" }).trim())
  console.log(`effect-pocketflow bench (${config.mode}) on Node ${info.node}, ${info.cores} × ${info.cpu}`)
  console.log(`versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  console.log(
    `each row runs in a child process of its own; each row: median wall time, median CPU time (process.cpuUsage of ` +
      `its process, user + system, all threads), and the median [min–max] of per-trial ratios to the table's ` +
      `reference row`
  )
  const results = []
  const skipped = []
  const failures = []
  const labels = []
  const checked = []
  const sizes = {}
  const t0 = performance.now()
  for (const key of list) {
    if (only !== undefined && !only.includes(key)) continue
    const workload = await import(`../workloads/${key}.mjs`)
    const s = { ...workload.sizes[config.mode], ...overrides[key] }
    sizes[key] = s
    labels.push(...Object.entries(workload.labels(s)))
    const bench = api(config, key, results, skipped)
    try {
      await workload.run(bench, s)
    } catch (error) {
      // one broken workload (e.g. an API that changed) must not hide the others' figures
      failures.push({ workload: key, error: String(error?.stack ?? error) })
      console.log(`  FAILED: ${error?.stack ?? error}`)
    } finally {
      bench.release()
    }
    if (workload.targets !== undefined) {
      const kit = targetKit(results, skipped)
      workload.targets(kit, s)
      checked.push(...kit.out)
    }
  }
  const seconds = (performance.now() - t0) / 1000
  const trials = [...new Set(results.map((r) => r.workload))]
    .map((table) => `${table} ${results.find((r) => r.workload === table).samples.length}`)
  console.log(
    `\nInterleaved trials per table: ${
      trials.join(", ") || "none"
    }; after a warm-up of ≥ ${config.warmup} run(s) and ≥ ` +
      `${config.warmupMs} ms per row; short runs repeated to ≥ ${config.minTrialMs} ms per trial\n`
  )
  const table = markdownTable(labels, results, skipped)
  console.log(table)
  console.log("\nTargets:")
  for (const t of checked) console.log(`  ${t.status.padEnd(7)} ${t.target}: ${t.value}`)
  for (const f of failures) console.log(`\nFAILED workload ${f.workload}:\n${f.error}`)
  console.log(`\ntotal ${seconds.toFixed(1)} s`)
  if (only === undefined && process.env.BENCH_SIZES === undefined) {
    const date = new Date().toISOString()
    const out = { date, machine: info, config, sizes, seconds, targets: checked, skipped, failures, results, table }
    const file = fileURLToPath(new URL("../results.json", import.meta.url))
    writeFileSync(file, JSON.stringify(out, null, 2) + "\n")
    console.log(`written ${file}`)
  }
  if (failures.length > 0) process.exitCode = 1
}

/** What a workload's `run(bench, sizes)` gets: see bench/README.md. Resources it asks for go when it ends. */
const api = (config, workload, results, skipped) => {
  const releases = []
  const scoped = (stop) => {
    const forget = onExit(stop)
    releases.push(() => {
      forget()
      stop()
    })
  }
  const skip = (table, what, reason) => {
    skipped.push({ workload: table, what, reason })
    console.log(`  ${what.padEnd(52)} skipped: ${reason}`)
  }
  const record = (row) => {
    results.push(row)
    printRow(row)
  }
  return {
    config,
    title: (text) => console.log(`\n${text}`),
    note: (text) => console.log(`  ${text}`),
    skip,
    record,
    interleaved: async (table, unit, rows, options) => {
      const onSkip = (row, reason) => skip(table, row.name, reason)
      const out = await interleaved({ config, workload, table, unit, rows, options, onSkip })
      for (const row of out) record(row)
      return out
    },
    /** One run of `row` in a child of its own; `undefined` when it missed `deadlineMs` (the child is killed). */
    once: async (row, { deadlineMs } = {}) => {
      const child = await startChild(workload, row)
      if (child.skip !== undefined) {
        await child.close()
        return { skip: child.skip }
      }
      try {
        const reply = await child.call("once", {}, { deadlineMs })
        return reply?.result
      } finally {
        await child.close()
      }
    },
    /** A throwaway Postgres server (scripts/postgres.mjs) for this workload: `{ url }`, or `{ missing }` (why not). */
    postgres: async () => {
      const { bin, missing } = findBinaries()
      if (bin === undefined) return { missing: `no PostgreSQL server binaries (missing ${missing})` }
      const pg = await startPostgres()
      scoped(pg.stop)
      return { url: pg.url }
    },
    /** A temp directory for this workload, removed when it ends. */
    tempDir: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      scoped(() => rmSync(dir, { recursive: true, force: true }))
      return dir
    },
    release: () => {
      for (const release of releases.splice(0).reverse()) release()
    }
  }
}
