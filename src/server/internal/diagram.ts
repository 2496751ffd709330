/**
 * What the page draws for one run: the flow's Mermaid text with classes for the current, waiting and visited nodes,
 * read from the saved position tree (see the top of `src/internal/walk/cursor.ts` for its format).
 */
import type * as Checkpointer from "../../Checkpointer.ts"
import * as mermaid from "../../internal/mermaid.ts"
import * as Cursor from "../../internal/walk/cursor.ts"

/**
 * The node paths below the root (`sub/step`, root name left out, as in Mermaid ids) the run is at, and those it has
 * visited (see `cursor.trail`).
 */
export const positions = Cursor.trail

/** The node a snapshot stands at, for the history table (`review`, `sub/step`; `—` once the walk ended). */
export const nodeAt = (position: unknown): string => {
  const { current } = positions(position)
  return current.length === 0 ? "—" : current[current.length - 1]!
}

/** `essay/sub/step` (an event or waiting path, root first) → `sub/step`. */
export const belowRoot = (path: string): string => {
  const slash = path.indexOf("/")
  return slash === -1 ? "" : path.slice(slash + 1)
}

/**
 * The Mermaid id `Flow.toMermaid` gives the node at `sub/step`: each segment with non-alphanumerics as `_`, joined by
 * `_`, prefixed with `n_` when it is empty or a Mermaid keyword. (Two paths that sanitize alike get a numeric suffix
 * there; the first one is the one marked here.)
 */
export const mermaidId = (path: string): string => mermaid.pathId(path)

/** Mermaid ids declared in a flowchart (`id["…"]`, `id[["…"]]`, `subgraph id[…]`). */
const declaredIds = (mermaid: string): Set<string> => {
  const ids = new Set<string>()
  for (const line of mermaid.split("\n")) {
    const match = /^\s*(?:subgraph\s+)?([A-Za-z0-9_]+)\[/.exec(line)
    if (match !== null) ids.add(match[1]!)
  }
  return ids
}

/**
 * The flowchart with `classDef`/`class` lines appended: `waiting` (the nodes whose inputs wait), `current` (where the
 * run stands, and the nodes running now) and `visited`. Only ids the flowchart declares are marked, so a stale diagram never breaks rendering.
 */
export const highlight = (
  mermaid: string,
  snapshot: Pick<Checkpointer.Snapshot, "position" | "waiting" | "status">,
  /** The paths of the nodes a walk in this process runs now (from its events): current too, before any checkpoint. */
  running: ReadonlyArray<string> = []
): {
  readonly text: string
  readonly current: Array<string>
  readonly waiting: Array<string>
  readonly visited: Array<string>
} => {
  const declared = declaredIds(mermaid)
  const { current: currentPaths, visited: visitedPaths } = positions(snapshot.position)
  const waitingPaths = snapshot.waiting.map((w) => belowRoot(w.path))
  const pick = (paths: ReadonlyArray<string>) =>
    Array.from(new Set(paths.filter((p) => p !== "").map(mermaidId))).filter((id) => declared.has(id))
  const waiting = snapshot.status === "suspended" ? pick(waitingPaths) : []
  const current = snapshot.status === "running" || snapshot.status === "suspended"
    ? pick([...currentPaths, ...running.map(belowRoot)]).filter((id) => !waiting.includes(id))
    : []
  const visited = pick(visitedPaths).filter((id) => !waiting.includes(id) && !current.includes(id))
  const lines = [
    mermaid.trimEnd(),
    "  classDef visited fill:#dcfce7,stroke:#15803d,color:#14532d",
    "  classDef current fill:#dbeafe,stroke:#1d4ed8,stroke-width:3px,color:#1e3a8a",
    "  classDef waiting fill:#fef3c7,stroke:#b45309,stroke-width:3px,color:#78350f"
  ]
  if (visited.length > 0) lines.push(`  class ${visited.join(",")} visited`)
  if (current.length > 0) lines.push(`  class ${current.join(",")} current`)
  if (waiting.length > 0) lines.push(`  class ${waiting.join(",")} waiting`)
  return { text: lines.join("\n") + "\n", current, waiting, visited }
}
