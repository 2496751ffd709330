// Checks the JSDoc of every export of the public modules: each has a description, `@example` with a ```ts block
// (not required when tagged `@internal`), `@category <name>`, `@stability stable|experimental` and `@since`.
// The public modules are the .ts files under the given paths, leaving out `internal/` folders and .d.ts files.
// An export is a top-level `export const|let|function|class|interface|type|namespace|enum`, `export * as X from`
// or `export { a, b as c }` (with or without `from`); the JSDoc is the `/** … */` right above it, or for a local
// `export { a as b }` the one above `a`'s declaration. Overloads of a function share the first one's JSDoc.
// Exits 1 naming file:line, the export and what is missing.
//
//   node scripts/check-jsdoc.mjs [path…=src]
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve } from "node:path"

const stabilities = ["stable", "experimental"]

const files = (path) => {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).sort().flatMap((name) => {
    const child = join(path, name)
    if (statSync(child).isDirectory()) return name === "internal" ? [] : files(child)
    return child.endsWith(".ts") && !child.endsWith(".d.ts") ? [child] : []
  })
}

/** The JSDoc comment ending right above line `i` (blank lines allowed between), as its lines, or undefined. */
const jsdocAbove = (lines, i) => {
  let end = i - 1
  while (end >= 0 && lines[end].trim() === "") end--
  if (end < 0 || !lines[end].trimEnd().endsWith("*/")) return undefined
  let start = end
  while (start >= 0 && !lines[start].trimStart().startsWith("/*")) start--
  if (start < 0 || !lines[start].trimStart().startsWith("/**")) return undefined
  return lines.slice(start, end + 1)
}

/** The problems of one JSDoc: the missing or malformed tags. */
const problemsOf = (doc) => {
  if (doc === undefined) return ["no JSDoc"]
  const text = doc
    .map((line) => line.replace(/^\s*\/\*\*\s?/, "").replace(/\s*\*\/\s*$/, "").replace(/^\s*\*\s?/, ""))
    .join("\n")
  // Tags count outside code fences only: an example may well mention `@category`.
  const prose = text.replace(/```[\s\S]*?```/g, "")
  const tags = [...prose.matchAll(/^@(\w+)[ \t]*(.*)$/gm)].map(([, tag, value]) => ({ tag, value: value.trim() }))
  const values = (tag) => tags.filter((t) => t.tag === tag).map((t) => t.value)
  const internal = values("internal").length > 0
  const out = []
  const description = prose.split(/^@/m)[0].trim()
  if (description === "" && !(internal && values("internal").some((v) => v !== ""))) out.push("missing description")
  if (!internal) {
    if (values("example").length === 0) out.push("missing @example")
    else if (!/@example\s*\n```ts\n/.test(text)) out.push("@example without a ```ts block")
  }
  const category = values("category")
  if (category.length === 0 || category[0] === "") out.push("missing @category")
  else if (category.length > 1) out.push("more than one @category")
  const stability = values("stability")
  if (stability.length === 0) out.push("missing @stability")
  else if (stability.length > 1 || !stabilities.includes(stability[0])) {
    out.push(`@stability must be one of ${stabilities.join(", ")} (got ${JSON.stringify(stability.join(" "))})`)
  }
  if (values("since").length === 0 || values("since")[0] === "") out.push("missing @since")
  return out
}

const kinds = "const|let|var|function\\*?|class|interface|type|namespace|enum"
const declaration = new RegExp(
  `^export\\s+(?:declare\\s+)?(?:default\\s+)?(?:abstract\\s+)?(?:async\\s+)?(${kinds})\\s+([\\w$]+)`
)
const namespaceExport = /^export\s+(?:type\s+)?\*\s+as\s+([\w$]+)\s+from\b/
const starExport = /^export\s+(?:type\s+)?\*\s+from\b/
const namedExport = /^export\s+(?:type\s+)?\{/
const localDeclaration = (name) =>
  new RegExp(`^(?:export\\s+)?(?:declare\\s+)?(?:${kinds})\\s+${name.replace(/\$/g, "\\$")}(?![\\w$])`)

const checkFile = (path) => {
  const lines = readFileSync(path, "utf8").split("\n")
  const exports = []
  const overloads = new Set()
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (!/^export\b/.test(line)) continue
    let match
    if ((match = declaration.exec(line)) !== null) {
      const [, kind, name] = match
      if (kind.startsWith("function")) {
        if (overloads.has(name)) continue
        overloads.add(name)
      }
      exports.push({ line: i + 1, name, doc: jsdocAbove(lines, i) })
    } else if ((match = namespaceExport.exec(line)) !== null) {
      exports.push({ line: i + 1, name: match[1], doc: jsdocAbove(lines, i) })
    } else if (starExport.test(line)) {
      const problem = "`export * from` hides its names: use `export * as X from`"
      exports.push({ line: i + 1, name: "*", doc: undefined, problems: [problem] })
    } else if (namedExport.test(line)) {
      let clause = line
      let j = i
      while (!clause.includes("}") && j + 1 < lines.length) clause += " " + lines[++j]
      const reexport = /}\s*from\b/.test(clause)
      const names = clause.slice(clause.indexOf("{") + 1, clause.indexOf("}")).split(",").map((s) => s.trim())
      for (const spec of names.filter((s) => s !== "")) {
        const [local, exported = local] = spec.replace(/^type\s+/, "").split(/\s+as\s+/)
        let doc = jsdocAbove(lines, i)
        if (!reexport) {
          // `export { a as b }`: the JSDoc sits on `a`'s declaration.
          const at = lines.findIndex((l) => localDeclaration(local).test(l))
          doc = at === -1 ? undefined : jsdocAbove(lines, at)
        }
        exports.push({ line: i + 1, name: exported, doc })
      }
      i = j
    } else {
      exports.push({ line: i + 1, name: "?", doc: undefined, problems: [`an export form this check does not know`] })
    }
  }
  return exports.map((e) => ({ ...e, problems: e.problems ?? problemsOf(e.doc) }))
}

const paths = process.argv.length > 2 ? process.argv.slice(2) : ["src"]
const modules = paths.flatMap((path) => files(resolve(path)))
const rel = (path) => (relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path))
const problems = []
let count = 0
for (const file of modules) {
  for (const e of checkFile(file)) {
    count++
    for (const problem of e.problems) problems.push(`${rel(file)}:${e.line}: ${e.name}: ${problem}`)
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"))
  console.error(`jsdoc: ${problems.length} problem(s) in ${count} exports of ${modules.length} public modules`)
  process.exit(1)
}
console.log(
  `jsdoc: ${count} exports in ${modules.length} public modules: each has a description, @example, @category, ` +
    `@stability and @since`
)
