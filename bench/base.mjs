// Builds effect-pocketflow as it was at a commit into bench/.base/dist, for the "before" rows of a workload
// (contenders/effect-pocketflow-base.mjs): `node bench/base.mjs <commit>` from the repository root. The sources are
// taken with `git archive` into bench/.base/tree (inside the repository, so the build resolves the root's
// node_modules: one copy of effect) and compiled with the root's tsc and tsconfig.build.json.
import { execFileSync } from "node:child_process"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"

const commit = process.argv[2]
if (commit === undefined) {
  console.error("usage: node bench/base.mjs <commit>")
  process.exit(1)
}
const root = resolve(import.meta.dirname, "..")
const base = join(root, "bench", ".base")
const tree = join(base, "tree")
rmSync(base, { recursive: true, force: true })
mkdirSync(tree, { recursive: true })
const archive = execFileSync(
  "git",
  ["archive", "--format=tar", commit, "src", "tsconfig.json", "tsconfig.build.json"],
  {
    cwd: root,
    maxBuffer: 1 << 30
  }
)
execFileSync("tar", ["-x", "-C", tree], { input: archive })
// tsconfig.build.json includes src only (the archive holds no tests or examples).
execFileSync(process.execPath, [
  join(root, "node_modules", "typescript", "bin", "tsc"),
  "-p",
  join(tree, "tsconfig.build.json"),
  "--outDir",
  join(base, "dist")
], {
  cwd: tree,
  stdio: "inherit"
})
writeFileSync(
  join(base, "dist", "COMMIT"),
  `${execFileSync("git", ["rev-parse", commit], { cwd: root, encoding: "utf8" })}`
)
console.log(`built ${commit} into bench/.base/dist`)
