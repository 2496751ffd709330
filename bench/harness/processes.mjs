// Process management: one child process (harness/child.mjs) per row of a workload, driven by messages, and
// everything the bench starts (children, Postgres servers, temp dirs) torn down when it exits, fails or is
// interrupted.
//
// Why a process per row: libraries loaded side by side change each other's speed. LangGraph's first `invoke`
// enables AsyncLocalStorage (async_hooks promise hooks) for the whole process, after which every Promise costs
// more: PocketFlow's loop ran 2.3× slower in the process that had run LangGraph (docs/performance.md, Method).
import { fork } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const childScript = fileURLToPath(new URL("./child.mjs", import.meta.url))

// The children run on the Node the project pins (the root devDependency `node`, Node 22) whatever started the
// bench (`node bench/run.mjs` on an older Node, `npm run bench`, `npm --prefix bench run bench`), so every entry
// point measures the same thing. BENCH_NODE=/path/to/node measures another one.
const pinnedNode = fileURLToPath(new URL("../../node_modules/node/bin/node", import.meta.url))
export const childNode = process.env.BENCH_NODE ?? (existsSync(pinnedNode) ? pinnedNode : process.execPath)

const live = new Set()
const cleanups = new Set()

/** Runs `f` when the bench exits or is interrupted, unless the returned function is called first. */
export const onExit = (f) => {
  cleanups.add(f)
  return () => cleanups.delete(f)
}

// children first: they may hold connections to a Postgres server that a cleanup stops
const shutdown = () => {
  for (const child of live) child.kill("SIGKILL")
  for (const f of cleanups) {
    try {
      f()
    } catch {
      // best effort: the bench is going away
    }
  }
  cleanups.clear()
}
process.once("exit", shutdown)
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    shutdown()
    process.exit(signal === "SIGINT" ? 130 : 143)
  })
}

const childError = (name, e) => Object.assign(new Error(`${name}: ${e.message}`), { stack: `${name}: ${e.stack}` })

/**
 * Starts the child for one row and loads its implementation (`init`). `call(op, data, { deadlineMs })` sends one
 * message and resolves with the reply; past the deadline the child is killed and `call` resolves `undefined` (the
 * only way to stop synchronous work). `close()` lets the implementation release what it holds, then ends the child.
 */
export const startChild = async (workload, row, heap = false) => {
  const child = fork(childScript, [], {
    execPath: childNode,
    // --expose-gc: the warm-up starts from a collected heap, the heap rows read it after a forced GC
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  live.add(child)
  let pending
  let exit
  child.on("message", (m) => {
    const p = pending
    pending = undefined
    if (m.error !== undefined) p?.reject(childError(row.name, m.error))
    else p?.resolve(m)
  })
  child.on("exit", (code, signal) => {
    live.delete(child)
    exit ??= `exited (code ${code}, signal ${signal})`
    pending?.reject(new Error(`${row.name}: child process ${exit}`))
    pending = undefined
  })
  const call = (op, data = {}, options = {}) =>
    new Promise((resolve, reject) => {
      if (exit !== undefined) return reject(new Error(`${row.name}: child process ${exit}`))
      let timer
      if (options.deadlineMs !== undefined) {
        timer = setTimeout(() => {
          pending = undefined
          exit = `killed: it missed its ${options.deadlineMs} ms deadline`
          child.kill("SIGKILL")
          resolve(undefined)
        }, options.deadlineMs)
      }
      const settle = (f) => (x) => {
        clearTimeout(timer)
        f(x)
      }
      pending = { resolve: settle(resolve), reject: settle(reject) }
      child.send({ op, ...data })
    })
  const close = async () => {
    if (exit !== undefined) return
    try {
      await call("dispose", {}, { deadlineMs: 10_000 })
    } finally {
      // disconnecting ends the child (child.mjs exits on disconnect) even if something it opened keeps it alive
      if (child.connected) child.disconnect()
    }
  }
  try {
    const { name, contender, impl, args, repeat } = row
    const ready = await call("init", { workload, heap, row: { name, contender, impl, args, repeat } })
    return { call, close, skip: ready.skip }
  } catch (e) {
    child.kill("SIGKILL")
    throw e
  }
}
