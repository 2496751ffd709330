/**
 * The cookbook's bookkeeping: every example file is registered with `npm run example`, listed in the README's
 * examples table, and imported by a test in test/examples/; the README's PocketFlow cookbook table links only to
 * examples that exist.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "../..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

// Helpers, not examples: the CLI, the model helper, the demo and its display code.
const helpers = new Set(["main", "model", "demo", "observe"])
const examples = fs.readdirSync(path.join(root, "examples"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .filter((name) => !helpers.has(name))
  .sort()

const section = (text: string, heading: string) => {
  const start = text.indexOf(`\n${heading}\n`)
  assert.notStrictEqual(start, -1, `README has no "${heading}"`)
  const end = text.indexOf("\n## ", start + 1)
  return text.slice(start, end === -1 ? undefined : end)
}

/** Every example's tests are in test/examples/. */
const testSources = () =>
  fs.readdirSync(path.join(root, "test/examples")).map((f) => read(`test/examples/${f}`)).join("\n")

describe("the cookbook", () => {
  it("has at least 15 examples", () => {
    assert.isAtLeast(examples.length, 15)
  })

  it("registers every example with npm run example", () => {
    const main = read("examples/main.ts")
    for (const name of examples) assert.include(main, `from "./${name}.ts"`, name)
  })

  it("lists every example, and nothing else, in the README's examples table", () => {
    const table = section(read("README.md"), "## Examples")
    const listed = Array.from(table.matchAll(/^\| `([\w-]+)` \|/gm), (m) => m[1]!).sort()
    assert.deepStrictEqual(listed, examples)
  })

  it("tests every example", () => {
    const tests = testSources()
    for (const name of examples) {
      const imported = tests.includes(`examples/${name}.ts"`) || tests.includes(`"${name}"`)
      assert.isTrue(imported, `no test imports examples/${name}.ts`)
    }
  })

  it("links the PocketFlow cookbook table to examples that exist", () => {
    const table = section(read("README.md"), "### PocketFlow's cookbook")
    const linked = Array.from(table.matchAll(/\]\(examples\/([\w-]+)\.ts\)/g), (m) => m[1]!)
    assert.isAtLeast(linked.length, 15)
    for (const name of linked) assert.include(examples, name)
  })
})
