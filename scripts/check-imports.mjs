// Checks the import structure of src/: no runtime import cycle between modules, and no module under an `internal/`
// folder importing a public module at run time (except src/Errors.ts). Type-only imports (`import type`,
// `export type … from`) are erased by the compiler, so they are left out; `import { type A }` is NOT erased under
// `verbatimModuleSyntax` (it leaves `import {} from`), so it counts. Exits 1 with the offending paths.
//
//   node scripts/check-imports.mjs [root=src]
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

const root = resolve(process.argv[2] ?? "src")

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : []
  })

// `import … from "x"`, `import "x"`, `export … from "x"`; statements may span lines.
const statement = /^\s*(import|export)\s+(type\s+)?([^;"']*?)\s*(?:from\s*)?["']([^"']+)["']/gms

/** The modules `path` imports at run time (relative specifiers only), as absolute paths. */
const runtimeImports = (path) => {
  const text = readFileSync(path, "utf8")
  const out = new Set()
  for (const match of text.matchAll(statement)) {
    const [, keyword, typeOnly, clause, specifier] = match
    if (typeOnly !== undefined) continue
    if (keyword === "export" && !/\bfrom\b/.test(match[0])) continue
    if (!specifier.startsWith(".")) continue
    // `import { type A, type B } from` keeps a side-effect import under verbatimModuleSyntax: still a dependency.
    void clause
    out.add(resolve(dirname(path), specifier))
  }
  return out
}

const graph = new Map(files(root).map((file) => [file, runtimeImports(file)]))
const rel = (path) => relative(process.cwd(), path)
const problems = []

// The internal modules of a package (src/internal/…, src/viewer/internal/…) import none of that package's public
// modules (src/*.ts, src/viewer/*.ts), except the core's Errors.ts: public modules are built on the internals, not
// the other way round. (A sub-package's internals may use the core's public API, as any user does.)
const packageOf = (path) => {
  const parts = path.split("/")
  const i = parts.lastIndexOf("internal")
  return i === -1 ? undefined : parts.slice(0, i).join("/")
}
const errors = join(root, "Errors.ts")
for (const [file, imports] of graph) {
  const pkg = packageOf(file)
  if (pkg === undefined) continue
  for (const target of imports) {
    if (dirname(target) === pkg && target !== errors) {
      problems.push(`${rel(file)} imports the public module ${rel(target)}`)
    }
  }
}

// Cycles: depth-first search, reporting each cycle once.
const state = new Map()
const stack = []
const seen = new Set()
const visit = (file) => {
  state.set(file, "open")
  stack.push(file)
  for (const target of graph.get(file) ?? []) {
    if (!graph.has(target)) continue
    if (state.get(target) === "open") {
      const cycle = stack.slice(stack.indexOf(target)).map(rel)
      const key = [...cycle].sort().join(" ")
      if (!seen.has(key)) {
        seen.add(key)
        problems.push(`import cycle: ${[...cycle, rel(target)].join(" -> ")}`)
      }
    } else if (state.get(target) === undefined) {
      visit(target)
    }
  }
  stack.pop()
  state.set(file, "done")
}
for (const file of graph.keys()) if (state.get(file) === undefined) visit(file)

if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.log(
  `imports: ${graph.size} modules under ${
    rel(root) || "."
  }: no runtime cycle; internal modules import no public module of their package`
)
