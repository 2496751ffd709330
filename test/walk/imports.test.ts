/**
 * The import structure check CI runs (scripts/check-imports.mjs): src/ passes it, and it fails on a runtime cycle and
 * on an internal module importing a public one, while type-only imports are allowed.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const check = (root?: string) =>
  spawnSync(process.execPath, ["scripts/check-imports.mjs", ...(root === undefined ? [] : [root])], {
    encoding: "utf8"
  })

const tree = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), "imports-"))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe("scripts/check-imports.mjs", () => {
  it("src/ has no runtime import cycle and no internal module importing a public one", () => {
    const result = check()
    assert.strictEqual(result.status, 0, result.stderr)
  })

  it("fails on a cycle, naming it", () => {
    const root = tree({
      "A.ts": `import { b } from "./internal/b.ts"\nexport const a = b`,
      "internal/b.ts": `import { c } from "./c.ts"\nexport const b = c`,
      "internal/c.ts": `import { b } from "./b.ts"\nexport const c = () => b`
    })
    const result = check(root)
    assert.strictEqual(result.status, 1)
    assert.include(result.stderr, "import cycle:")
    assert.include(result.stderr, "internal/b.ts")
  })

  it("fails on an internal module importing a public one, but not on type-only imports or Errors.ts", () => {
    const root = tree({
      "Public.ts": `import * as x from "./internal/x.ts"\nexport const p = x`,
      "Errors.ts": `export class E {}`,
      "internal/x.ts": `import type { p } from "../Public.ts"\nimport { E } from "../Errors.ts"\nexport const x = E`,
      "internal/y.ts": `import { p } from "../Public.ts"\nexport const y = p`
    })
    const result = check(root)
    assert.strictEqual(result.status, 1)
    assert.include(result.stderr, "internal/y.ts imports the public module")
    assert.notInclude(result.stderr, "internal/x.ts")
  })
})
