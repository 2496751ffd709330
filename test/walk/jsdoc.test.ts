/**
 * The JSDoc check CI runs (scripts/check-jsdoc.mjs): every export of the public modules of src/ has a description,
 * an example, a category, a stability and a version; an export missing a tag fails it, naming the file, line and tag.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const check = (...paths: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["scripts/check-jsdoc.mjs", ...paths], { encoding: "utf8" })

const tree = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), "jsdoc-"))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

const doc = (tags: ReadonlyArray<string>) =>
  ["/**", " * Does a thing.", " *", ...tags.map((tag) => ` * ${tag}`), " */"].join("\n")

/** The 1-based line of the first line of `text` that starts with `start`. */
const lineOf = (text: string, start: string) => text.split("\n").findIndex((line) => line.startsWith(start)) + 1

const example = ["@example", "```ts", "const x = 1", "```"]
const complete = [...example, "@category constructors", "@stability stable", "@since 0.1.0"]

describe("scripts/check-jsdoc.mjs", () => {
  it("passes on src/: every export of every public module is tagged", () => {
    const result = check()
    assert.strictEqual(result.status, 0, result.stderr)
    assert.match(result.stdout, /jsdoc: \d+ exports in \d+ public modules/)
  })

  it("fails on a file with an export missing @category, naming file:line and the tag", () => {
    const text = [
      doc(complete),
      "export const good = 1",
      "",
      doc([...example, "@stability stable", "@since 0.1.0"]),
      "export const bad = 2"
    ].join("\n")
    const root = tree({ "A.ts": text })
    const result = check(join(root, "A.ts"))
    assert.strictEqual(result.status, 1)
    assert.include(result.stderr, `${join(root, "A.ts")}:${lineOf(text, "export const bad")}: bad: missing @category`)
    assert.notInclude(result.stderr, "good")
  })

  it("checks @stability's value, @example, `export * as` and local `export { a as b }`; skips internal/", () => {
    const text = [
      doc([...example, "@category models", "@stability beta", "@since 0.1.0"]),
      "export interface Wobbly {}",
      doc(["@category models", "@stability stable", "@since 0.1.0"]),
      "export type NoExample = string",
      "/** @since 0.1.0 */",
      "export * as Inner from \"./internal/inner.ts\"",
      "const delete_ = 1",
      "export { delete_ as delete }"
    ].join("\n")
    const root = tree({ "B.ts": text, "internal/inner.ts": "export const untagged = 1\n" })
    const result = check(root)
    assert.strictEqual(result.status, 1)
    const at = (start: string) => `B.ts:${lineOf(text, start)}`
    assert.include(result.stderr, `${at("export interface")}: Wobbly: @stability must be one of stable, experimental`)
    assert.include(result.stderr, `${at("export type")}: NoExample: missing @example`)
    assert.include(result.stderr, `${at("export *")}: Inner: missing @category`)
    assert.include(result.stderr, `${at("export *")}: Inner: missing @stability`)
    assert.include(result.stderr, `${at("export {")}: delete: no JSDoc`)
    assert.notInclude(result.stderr, "untagged")
  })

  it("needs no @example on an @internal export, but still its @category and @stability", () => {
    const text = [
      doc(["@internal", "@category internal", "@stability experimental", "@since 0.1.0"]),
      "export const helper = 1",
      doc(["@internal", "@since 0.1.0"]),
      "export const bare = 1"
    ].join("\n")
    const root = tree({ "C.ts": text })
    const result = check(root)
    assert.strictEqual(result.status, 1)
    assert.notInclude(result.stderr, "helper")
    assert.notInclude(result.stderr, "missing @example")
    assert.include(result.stderr, `C.ts:${lineOf(text, "export const bare")}: bare: missing @category`)
  })
})
