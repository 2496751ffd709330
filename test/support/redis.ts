/**
 * A throwaway `redis-server` for the tests that share limits across processes: started on 127.0.0.1 on a free port,
 * with no persistence, stopped by `stop()`. Without the binary the suites are skipped; `missing` says why.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { freePortPromise } from "./ports.ts"

/** The `redis-server` binary, or `undefined` (with the reason in `missing`). */
export const binary = (): { readonly path: string } | { readonly missing: string } => {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" })
  const path = found.stdout.trim()
  return found.status === 0 && path.length > 0
    ? { path }
    : { missing: "redis-server (the Redis server binary; apt-get install redis-server)" }
}

/** Logs the one-line notice and tells `describe.skipIf` to skip. */
export const missing = (): boolean => {
  const found = binary()
  if ("missing" in found) console.warn(`Redis suite skipped: missing ${found.missing}`)
  return "missing" in found
}

export interface Redis {
  readonly url: string
  readonly stop: () => void
}

/** Starts a server and resolves once it accepts connections. */
export const start = async (): Promise<Redis> => {
  const found = binary()
  if ("missing" in found) throw new Error(`no Redis: missing ${found.missing}`)
  const port = await freePortPromise()
  const server: ChildProcess = spawn(
    found.path,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    { stdio: ["ignore", "pipe", "pipe"] }
  )
  let output = ""
  await new Promise<void>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) ready()
    }
    server.stdout!.on("data", onData)
    server.stderr!.on("data", onData)
    server.once("exit", (code) => failed(new Error(`redis-server exited (${code}): ${output}`)))
  })
  server.stdout!.removeAllListeners("data")
  server.stderr!.removeAllListeners("data")
  server.removeAllListeners("exit")
  return { url: `redis://127.0.0.1:${port}`, stop: () => void server.kill("SIGKILL") }
}
