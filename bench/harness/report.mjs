// What the bench prints and writes: a line per row as it is measured, then one Markdown table of every table's
// rows (heap tables apart), the targets, and results.json.
import { existsSync, readFileSync } from "node:fs"
import { cpus } from "node:os"
import { fmt, fmtRatio, spread, trialRatios } from "./stats.mjs"

const ratioText = (r) => `${fmtRatio(r.median)}× [${fmtRatio(r.min)}–${fmtRatio(r.max)}]`

export const printRow = (row) => {
  if (row.heapBeforeMB !== undefined) return printHeapRow(row)
  const ratio = row.ratio === undefined ? "" : `  ${ratioText(row.ratio)}, CPU ${fmtRatio(row.cpuRatio.median)}×`
  const note = row.note === undefined ? "" : `  (${row.note})`
  console.log(
    `  ${row.impl.padEnd(52)} ${fmt(row.median).padStart(8)} ${row.unit}  ${fmt(row.cpuMedian).padStart(8)} ` +
      `${row.cpuUnit}${ratio}${note}`
  )
}

const growth = (row) => `${row.growthMB >= 0 ? "+" : ""}${row.growthMB.toFixed(2)} MB`

const printHeapRow = (row) =>
  console.log(
    `  ${row.impl.padEnd(34)} before ${row.heapBeforeMB.toFixed(1)} MB, after GC ${row.heapAfterMB.toFixed(1)} MB ` +
      `(growth ${growth(row)}), peak ${row.peakMB.toFixed(1)} MB, ` +
      `${row.median.toFixed(2)} ${row.unit}, ${row.cpuMedian.toFixed(2)} ${row.cpuUnit}`
  )

/** A Markdown table row; an empty cell is `| |`. */
const cells = (xs) => `|${xs.map((x) => (x === "" ? " " : ` ${x} `)).join("|")}|`

/**
 * A Markdown table: every table of every workload (in the order of `labels`: table key → label), its rows, median
 * wall and CPU time, and the median [min–max] of the per-trial ratios to the table's reference row; skipped rows
 * with their reason. Heap tables (the long loop) follow as tables of their own.
 */
export const markdownTable = (labels, results, skipped) => {
  const lines = [
    "| workload | implementation | wall (median) | CPU (median) | " +
    "ratio to ref, wall: median [min–max] of per-trial ratios | ratio to ref, CPU: median |",
    "|---|---|---:|---:|---:|---:|"
  ]
  const heapTables = []
  for (const [table, label] of labels) {
    const rows = results.filter((r) => r.workload === table)
    if (rows.some((r) => r.heapBeforeMB !== undefined)) {
      heapTables.push([label, rows])
      continue
    }
    for (const r of rows) {
      // a row without a reference (wiring) says something else in the ratio column
      const ratio = r.ratio === undefined ? r.note ?? "" : r.impl === r.ref ? "ref" : ratioText(r.ratio)
      const cpuRatio = r.cpuRatio === undefined ? "" : r.impl === r.ref ? "ref" : `${fmtRatio(r.cpuRatio.median)}×`
      const times = [`${fmt(r.median)} ${r.unit}`, `${fmt(r.cpuMedian)} ${r.cpuUnit}`]
      lines.push(cells([label, r.impl, ...times, ratio, cpuRatio]))
    }
    for (const s of skipped.filter((s) => s.workload === table)) {
      lines.push(cells([label, s.what, `skipped: ${s.reason}`, "", "", ""]))
    }
  }
  for (const [label, rows] of heapTables) {
    lines.push(
      "",
      `| ${label} | heap before | heap after GC | growth | peak | µs/step | µs CPU/step |`,
      "|---|---:|---:|---:|---:|---:|---:|"
    )
    for (const r of rows) {
      lines.push(
        `| ${r.impl} | ${r.heapBeforeMB.toFixed(1)} MB | ${r.heapAfterMB.toFixed(1)} MB | ${growth(r)} | ${
          r.peakMB.toFixed(1)
        } MB | ${r.median.toFixed(2)} | ${r.cpuMedian.toFixed(2)} |`
      )
    }
  }
  return lines.join("\n")
}

/**
 * What a workload's `targets(t, sizes)` uses to check its targets: `t.ratio` (median of per-trial ratios of two rows
 * of one table, met when ≤ max), `t.abs` (a row's median, met when ≤ max), `t.row` and `t.add` for anything else.
 * A target whose rows did not run is SKIPPED with the reason.
 */
export const targetKit = (results, skipped) => {
  const out = []
  const row = (table, impl) => results.find((r) => r.workload === table && r.impl === impl)
  const whySkipped = (what) => skipped.find((s) => s.what === what)?.reason ?? "not run"
  const add = (t) => out.push(t)
  const ratio = (target, table, a, b, max) => {
    const ra = row(table, a)
    const rb = row(table, b)
    if (ra === undefined || rb === undefined) {
      const missing = ra === undefined ? a : b
      return add({ target, status: "SKIPPED", value: `${missing}: ${whySkipped(missing)}` })
    }
    const r = trialRatios(ra.samples, rb.samples)
    const c = trialRatios(ra.cpuSamples, rb.cpuSamples)
    add({
      target,
      status: r.median <= max ? "MET" : "MISSED",
      value: `${fmtRatio(r.median)}× (median of ${ra.samples.length} per-trial ratios, ` +
        `min–max ${fmtRatio(r.min)}–${fmtRatio(r.max)}; ${fmt(ra.median)} vs ${fmt(rb.median)} ${ra.unit}; ` +
        `CPU ratio ${fmtRatio(c.median)}×)`,
      ratio: spread(r.samples),
      cpuRatio: spread(c.samples)
    })
  }
  const abs = (target, table, impl, max) => {
    const r = row(table, impl)
    if (r === undefined) return add({ target, status: "SKIPPED", value: `${impl}: ${whySkipped(impl)}` })
    add({ target, status: r.median <= max ? "MET" : "MISSED", value: `${fmt(r.median)} ${r.unit}` })
  }
  return { out, row, ratio, abs, add, whySkipped }
}

/** The machine, Node and library versions, read from package.json files (no library is loaded here). */
export const machine = (childNodeVersion) => {
  let cpu = cpus()[0]?.model ?? "unknown"
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))
    if (m) cpu = m[1]
  } catch {
    // not Linux: os.cpus() said it
  }
  const versions = {}
  // effect and @effect/* from the root node_modules, the others from bench/node_modules
  for (
    const [name, root] of [
      ["effect", "../../"],
      ["pocketflow", "../"],
      ["@langchain/langgraph", "../"],
      ["@langchain/core", "../"],
      ["@langchain/langgraph-checkpoint-postgres", "../"],
      ["@langchain/langgraph-checkpoint-sqlite", "../"],
      ["better-sqlite3", "../"],
      ["@effect/platform-node", "../../"],
      ["@effect/sql-pg", "../../"]
    ]
  ) {
    const url = new URL(`${root}node_modules/${name}/package.json`, import.meta.url)
    if (existsSync(url)) versions[name] = JSON.parse(readFileSync(url, "utf8")).version
  }
  const platform = `${process.platform} ${process.arch}`
  return { node: childNodeVersion, cpu, cores: cpus().length, platform, versions }
}
