// The code formatter: dprint's TypeScript plugin (a Wasm module shipped in its npm package, so no download at run
// time), with the house style — 2 spaces, 120 columns, no semicolons, double quotes, no trailing commas.
//
//   node scripts/format.mjs          check: list the files that are not formatted, exit 1 if any
//   node scripts/format.mjs --write  format them in place
import { createContext } from "@dprint/formatter"
import * as typescript from "@dprint/typescript"
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"

const write = process.argv.includes("--write")
const context = createContext({ indentWidth: 2, lineWidth: 120 })
context.addPlugin(readFileSync(typescript.getPath()), {
  semiColons: "asi",
  quoteStyle: "alwaysDouble",
  trailingCommas: "never",
  operatorPosition: "maintain",
  "arrowFunction.useParentheses": "force"
})

// The files git knows (tracked or new, not ignored) under the code folders.
const files = execFileSync("git", [
  "ls-files",
  "--cached",
  "--others",
  "--exclude-standard",
  "src",
  "test",
  "examples",
  "scripts",
  "bench"
], { encoding: "utf8" })
  .split("\n")
  .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !f.endsWith(".d.ts") && !f.includes("/assets/"))

const unformatted = []
for (const file of files) {
  const text = readFileSync(file, "utf8")
  const formatted = context.formatText({ filePath: file, fileText: text })
  if (formatted === text) continue
  unformatted.push(file)
  if (write) writeFileSync(file, formatted)
}
if (write) {
  console.log(`format: ${unformatted.length} of ${files.length} files rewritten`)
} else if (unformatted.length > 0) {
  console.error(`format: ${unformatted.length} of ${files.length} files are not formatted (npm run format):`)
  console.error(unformatted.join("\n"))
  process.exit(1)
} else {
  console.log(`format: ${files.length} files formatted`)
}
