/**
 * The README's "Use it in your project" says what a new project needs (issue 17, from the ports: a user's
 * `npm init` project failed with TS1295, and which optional package each feature needs was undocumented). These
 * checks keep the section true to package.json: the module type, the Node version of `engines`, every optional peer
 * dependency named with what needs it. (The claims themselves were tried on the packed tarball in a fresh project.)
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"

const root = resolve(import.meta.dirname, "../..")
const readme = readFileSync(resolve(root, "README.md"), "utf8")
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  readonly type: string
  readonly engines: { readonly node: string }
  readonly peerDependencies: Record<string, string>
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>
  readonly devDependencies: Record<string, string>
}

/** The section's text, up to the next `## ` heading. */
const section = (() => {
  const start = readme.indexOf("\n## Use it in your project\n")
  assert.isAtLeast(start, 0, "README has no \"Use it in your project\" section")
  const end = readme.indexOf("\n## ", start + 1)
  return readme.slice(start, end)
})()

describe("README: Use it in your project", () => {
  it("says the package is ESM-only, how to set the module type, and the error npm init's CommonJS gives", () => {
    assert.strictEqual(pkg.type, "module")
    assert.include(section, "\"type\": \"module\"")
    assert.include(section, "npm pkg set type=module")
    assert.include(section, "TS1295")
    assert.include(section, "\"type\": \"commonjs\"")
  })

  it("names the Node version of the package's engines", () => {
    const minimum = /^>=\s*(\d+\.\d+)/.exec(pkg.engines.node)?.[1]
    assert.isDefined(minimum)
    assert.include(section, `Node.js ≥ ${minimum}`)
  })

  it("names every optional peer dependency with the feature that needs it, and the test runner packages", () => {
    const optional = Object.entries(pkg.peerDependenciesMeta).filter(([, m]) => m.optional).map(([name]) => name)
    assert.sameMembers(optional, ["@effect/platform-node", "@effect/sql-pg"])
    const rows = section.split("\n").filter((line) => line.trimStart().startsWith("|"))
    const row = (feature: string) => rows.find((r) => r.includes(feature)) ?? ""
    assert.include(row("Checkpointer.layerFileSystem"), "`@effect/platform-node`")
    assert.include(row("effect-pocketflow/viewer"), "`@effect/platform-node`")
    assert.include(row("Checkpointer.layerSql"), "`@effect/sql-pg`")
    assert.include(row("it.effect"), "vitest @effect/vitest")
    // The versions the README names for the test runner are the ones this repository tests with.
    assert.match(pkg.devDependencies["vitest"]!, /^\^5\./)
    assert.include(row("it.effect"), `\`@effect/vitest\` ${pkg.devDependencies["@effect/vitest"]}`)
  })
})
