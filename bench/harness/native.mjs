// bench/'s postinstall: builds better-sqlite3, the native add-on under LangGraph's SqliteSaver, for the Node the rows
// run on (processes.mjs: the root's pinned Node 22, or BENCH_NODE), whatever Node runs npm (the machine's may be
// older). Its own install script is not allowed (package.json `allowScripts`): it downloads a prebuilt binary from
// GitHub, else headers from nodejs.org, and a machine with no network but the npm registry has neither. Here
// node-gyp (a devDependency) compiles it from its bundled SQLite sources against the headers that ship with that
// Node (the `node` package's `include/node`). It never fails the install: without headers or a compiler the reason
// is printed and written to better-sqlite3/build/skipped.txt, and the SqliteSaver row is skipped with it.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { childNode } from "./processes.mjs"

const require = createRequire(import.meta.url)
const version = execFileSync(childNode, ["--version"], { encoding: "utf8" }).trim()

/** The folder holding `include/node` of exactly that Node, or undefined. */
const headers = () => {
  const root = fileURLToPath(new URL("../../node_modules/node/node_modules", import.meta.url))
  const candidates = [
    dirname(dirname(realpathSync(childNode))),
    join(root, `node-${process.platform}-${process.arch}`)
  ]
  for (const dir of candidates) {
    const h = join(dir, "include", "node", "node_version.h")
    if (!existsSync(join(dir, "include", "node", "common.gypi")) || !existsSync(h)) continue
    const text = readFileSync(h, "utf8")
    const part = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1]
    if (`v${part("NODE_MAJOR_VERSION")}.${part("NODE_MINOR_VERSION")}.${part("NODE_PATCH_VERSION")}` === version) {
      return dir
    }
  }
  return undefined
}

const skip = (addon, reason) => {
  console.log(`bench: better-sqlite3 not built, the LangGraph SqliteSaver row will be skipped: ${reason}`)
  if (addon === undefined) return
  mkdirSync(join(addon, "build"), { recursive: true })
  writeFileSync(join(addon, "build", "skipped.txt"), reason + "\n")
}

let addon
try {
  addon = dirname(require.resolve("better-sqlite3/package.json", {
    paths: [dirname(require.resolve("@langchain/langgraph-checkpoint-sqlite/package.json"))]
  }))
} catch {
  skip(undefined, "better-sqlite3 is not installed")
  process.exit(0)
}
const nodedir = headers()
if (nodedir === undefined) {
  skip(addon, `no headers of Node ${version} (${childNode}) found`)
} else {
  const gyp = require.resolve("node-gyp/bin/node-gyp.js")
  console.log(`bench: building better-sqlite3 for Node ${version} (headers in ${nodedir}); this takes a minute`)
  // npm hands its config to scripts as npm_config_* variables, which node-gyp reads before its flags (Debian's npm
  // sets nodedir=/usr, the system Node's headers): none of them is passed on.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)))
  try {
    execFileSync(childNode, [gyp, "rebuild", "--release", `--nodedir=${nodedir}`, "--jobs=max"], {
      cwd: addon,
      env,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8"
    })
    console.log("bench: better-sqlite3 built")
  } catch (error) {
    skip(addon, `node-gyp failed: ${String(error.stderr ?? error).trim().split("\n").slice(-5).join(" | ")}`)
  }
}
