/**
 * Renders a flow as a Mermaid flowchart. Nested flows, batch flows and parallel blocks become subgraphs, so this is
 * our own renderer rather than `Graph.toMermaid` (which has no subgraphs); the label escaping follows
 * `Graph.toMermaid`'s (Mermaid's `#code;` entities).
 */
import type { AnyFlow, AnyNode, Graph } from "./node.ts"
import { nodesByName } from "./walk/cursor.ts"

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

/** Rendering work, done from an explicit stack so that nesting depth never touches the call stack. */
type Task =
  | {
    readonly _tag: "declare"
    readonly node: AnyNode
    readonly base: string
    readonly depth: number
    readonly ids?: Map<AnyNode, string>
  }
  | { readonly _tag: "line"; readonly depth: number; readonly text: string }
  | { readonly _tag: "edges"; readonly graph: Graph; readonly ids: Map<AnyNode, string>; readonly depth: number }
  | {
    readonly _tag: "join"
    readonly branches: ReadonlyArray<AnyNode>
    readonly ids: Map<AnyNode, string>
    readonly join: string
    readonly depth: number
  }

const join = (base: string, name: string) => base === "" ? sanitize(name) : `${base}_${sanitize(name)}`

/** A node's id before de-duplication: its sanitized path below the root, kept off Mermaid's keywords. */
export const baseId = (joined: string): string =>
  joined === "" || reserved.has(joined.toLowerCase()) ? `n_${joined}` : joined

/** The id `render` gives the node at a `/`-separated path below the root (when no other path sanitizes alike). */
export const pathId = (path: string): string => baseId(path.split("/").reduce(join, ""))

/**
 * `flowchart TD`, then the root flow's nodes and edges at the top level. Ids are the sanitized path
 * below the root (`inner_step`), made unique with a numeric suffix and kept off Mermaid's keywords.
 */
export const render = (root: AnyNode): string => {
  const lines: Array<string> = ["flowchart TD"]
  const used = new Set<string>()
  const idFor = (path: string): string => {
    const base = baseId(path)
    let id = base
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`
    used.add(id)
    return id
  }
  const line = (depth: number, text: string) => lines.push(`${"  ".repeat(depth)}${text}`)
  const stack: Array<Task> = []

  /** Schedules a flow's nodes, then its edges in wiring order (pushed last-first). */
  const body = (flow: AnyNode, base: string, depth: number) => {
    if (flow.def._tag !== "Flow") return
    const graph = (flow as AnyFlow).graph
    const ids = new Map<AnyNode, string>()
    stack.push({ _tag: "edges", graph, ids, depth })
    const nodes = Array.from(nodesByName(graph).values())
    for (let i = nodes.length - 1; i >= 0; i--) {
      stack.push({ _tag: "declare", node: nodes[i], base: join(base, nodes[i].name), depth, ids })
    }
  }

  /** Declares `node` (a shape, or a subgraph for flows and batch flows); its id goes into `ids`. */
  const declare = (task: Extract<Task, { _tag: "declare" }>) => {
    const { base, depth, node } = task
    const id = idFor(base)
    task.ids?.set(node, id)
    const name = escapeLabel(node.name)
    const def = node.def
    switch (def._tag) {
      case "Step":
        line(depth, `${id}["${name}"]`)
        break
      case "Batch":
        line(depth, `${id}[["${name} (batch ×${concurrencyLabel(def.concurrency)})"]]`)
        break
      case "Flow":
        line(depth, `subgraph ${id}["${name}"]`)
        stack.push({ _tag: "line", depth, text: "end" })
        body(node, base, depth + 1)
        break
      case "BatchFlow": {
        line(depth, `subgraph ${id}["${name} (batch flow ×${concurrencyLabel(def.concurrency)})"]`)
        stack.push({ _tag: "line", depth, text: "end" })
        const inner = def.inner
        stack.push({ _tag: "declare", node: inner, base: join(base, inner.name), depth: depth + 1 })
        break
      }
      case "Parallel": {
        // Branches have no edges between them, so Mermaid lays them out side by side, above the join they all feed.
        line(depth, `subgraph ${id}["${name} (parallel ×${concurrencyLabel(def.concurrency)})"]`)
        stack.push({ _tag: "line", depth, text: "end" })
        const branches = def.branches
        const ids = new Map<AnyNode, string>()
        const joinId = idFor(join(base, "join"))
        stack.push({ _tag: "join", branches, ids, join: joinId, depth: depth + 1 })
        stack.push({ _tag: "line", depth: depth + 1, text: `${joinId}(("join"))` })
        for (let i = branches.length - 1; i >= 0; i--) {
          stack.push({ _tag: "declare", node: branches[i], base: join(base, branches[i].name), depth: depth + 1, ids })
        }
        break
      }
    }
  }

  if (root.def._tag === "Flow") body(root, "", 1)
  else stack.push({ _tag: "declare", node: root, base: join("", root.name), depth: 1 })
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    switch (task._tag) {
      case "declare":
        declare(task)
        break
      case "line":
        line(task.depth, task.text)
        break
      case "edges":
        for (const [from, successors] of task.graph.edges) {
          for (const [action, to] of successors) {
            const label = action === "default" ? "" : `|"${escapeLabel(action)}"|`
            line(task.depth, `${task.ids.get(from)} -->${label} ${task.ids.get(to)}`)
          }
        }
        break
      case "join":
        for (const branch of task.branches) line(task.depth, `${task.ids.get(branch)} --> ${task.join}`)
        break
    }
  }
  return lines.join("\n")
}
