/**
 * The testing entry must stay out of the main entry's import graph, and must need nothing but `effect`.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../src")

const specifiers = (file: string): Array<string> => {
  // Comments go first: JSDoc examples import the package by name.
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
  return [...code.matchAll(/^\s*(?:import|export)\b[^"]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!)
}

/** Every file reachable from `entry` by relative imports, and the package specifiers they import. */
const graph = (entry: string) => {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const spec of specifiers(file)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec))
      else packages.add(spec)
    }
  }
  visit(resolve(src, entry))
  return { files: [...files].map((f) => f.slice(src.length + 1)), packages: [...packages] }
}

describe("entry points", () => {
  it("the main entry does not reach the testing modules", () => {
    const { files } = graph("index.ts")
    assert.include(files, "Flow.ts")
    assert.deepStrictEqual(files.filter((f) => f.startsWith("testing")), [])
  })

  it("the testing entry imports only effect", () => {
    const { files, packages } = graph("testing.ts")
    assert.includeMembers(files, ["testing/TestLanguageModel.ts", "testing/TestEmbeddingModel.ts"])
    assert.deepStrictEqual(packages.filter((p) => p !== "effect" && !p.startsWith("effect/")), [])
  })
})
