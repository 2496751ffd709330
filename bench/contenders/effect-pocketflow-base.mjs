// effect-pocketflow as built from an older commit (bench/base.mjs builds it into ../.base/dist): the "before"
// rows of a workload that measures what a change costs. Rows are skipped when no base build exists.
import { existsSync } from "node:fs"
import { modelLoops } from "./support/model-loop.mjs"

const entry = new URL("../.base/dist/index.js", import.meta.url)
const Lib = existsSync(entry) ? await import(entry.href) : undefined
const missing = { skip: "no base build: run `node bench/base.mjs <commit>` first" }

export const modelLoop = (args) => Lib === undefined ? missing : modelLoops(Lib).modelLoop(args)
