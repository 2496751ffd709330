/**
 * Renders a flow as a Mermaid flowchart. Nested flows and batch flows become subgraphs, so this is
 * our own renderer rather than `Graph.toMermaid` (which has no subgraphs); the label escaping follows
 * `Graph.toMermaid`'s (Mermaid's `#code;` entities).
 */
import type { AnyNode } from "./node.ts"

/** Mermaid-safe label text, for use inside `"..."`. */
export const escapeLabel = (label: string): string =>
  label
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/&/g, "#amp;")
    .replace(/\[/g, "#91;")
    .replace(/\]/g, "#93;")
    .replace(/\{/g, "#123;")
    .replace(/\}/g, "#125;")
    .replace(/\(/g, "#40;")
    .replace(/\)/g, "#41;")
    .replace(/\|/g, "#124;")
    .replace(/\\/g, "#92;")
    .replace(/`/g, "#96;")
    .replace(/\r\n|\r|\n/g, "<br/>")

/** Words that break a flowchart when used as a node id. */
const reserved = new Set([
  "end",
  "graph",
  "flowchart",
  "subgraph",
  "direction",
  "style",
  "class",
  "classdef",
  "click",
  "call",
  "href",
  "linkstyle",
  "default"
])

const sanitize = (segment: string) => segment.replace(/[^A-Za-z0-9]/g, "_")

const concurrencyLabel = (concurrency: number | "unbounded" | undefined) =>
  concurrency === "unbounded" ? "unbounded" : String(concurrency ?? 1)

interface Successors {
  readonly edges: ReadonlyMap<AnyNode, ReadonlyMap<string, AnyNode>>
  readonly start: AnyNode
}

const nodesOf = (graph: Successors): ReadonlyArray<AnyNode> => {
  const seen = new Set<AnyNode>([graph.start])
  for (const [from, successors] of graph.edges) {
    seen.add(from)
    for (const to of successors.values()) seen.add(to)
  }
  return Array.from(seen)
}

/**
 * `flowchart TD`, then the root flow's nodes and edges at the top level. Ids are the sanitized path
 * below the root (`inner_step`), made unique with a numeric suffix and kept off Mermaid's keywords.
 */
export const render = (root: AnyNode): string => {
  const lines: Array<string> = ["flowchart TD"]
  const used = new Set<string>()
  const idFor = (path: ReadonlyArray<string>): string => {
    let base = path.map(sanitize).join("_")
    if (base === "" || reserved.has(base.toLowerCase())) base = `n_${base}`
    let id = base
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`
    used.add(id)
    return id
  }
  const line = (depth: number, text: string) => lines.push(`${"  ".repeat(depth)}${text}`)

  /** Declares `node` (a shape, or a subgraph for flows and batch flows) and returns its id. */
  const declare = (node: AnyNode, path: ReadonlyArray<string>, depth: number): string => {
    const id = idFor(path)
    const name = escapeLabel(node.name)
    switch (node.kind) {
      case "node":
        line(depth, `${id}["${name}"]`)
        break
      case "batch":
        line(depth, `${id}[["${name} (batch ×${concurrencyLabel(node.info.concurrency)})"]]`)
        break
      case "flow":
        line(depth, `subgraph ${id}["${name}"]`)
        body(node, path, depth + 1)
        line(depth, "end")
        break
      case "batch-flow": {
        line(depth, `subgraph ${id}["${name} (batch flow ×${concurrencyLabel(node.info.concurrency)})"]`)
        const inner = node.info.inner
        if (inner !== undefined) declare(inner, [...path, inner.name], depth + 1)
        line(depth, "end")
        break
      }
    }
    return id
  }

  /** A flow's nodes, then its edges in wiring order. */
  const body = (flow: AnyNode, path: ReadonlyArray<string>, depth: number) => {
    const graph = flow.info.graph
    if (graph === undefined) return
    const ids = new Map<AnyNode, string>()
    for (const node of nodesOf(graph)) ids.set(node, declare(node, [...path, node.name], depth))
    for (const [from, successors] of graph.edges) {
      for (const [action, to] of successors) {
        const label = action === "default" ? "" : `|"${escapeLabel(action)}"|`
        line(depth, `${ids.get(from)} -->${label} ${ids.get(to)}`)
      }
    }
  }

  if (root.kind === "flow") body(root, [], 1)
  else declare(root, [root.name], 1)
  return lines.join("\n")
}
