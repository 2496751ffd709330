// A throwaway PostgreSQL server for tests and benchmarks: initdb in a temp dir, listening on 127.0.0.1 on a free
// port, trust auth, stopped and removed by `stop()`. Plain JavaScript so the bench (plain Node) and vitest's global
// setup can share it.
//
// PostgreSQL refuses to run as root: when we are root, the server runs as the `postgres` user (its data dir is
// chowned to it). The binaries are looked up in /usr/lib/postgresql/<version>/bin (Debian's layout), newest first.
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The directory with `initdb`, `pg_ctl` and `postgres`, or `undefined` with the reason in `missing`. */
export const findBinaries = () => {
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : []
  for (const version of versions) {
    const bin = join(root, version, "bin")
    if (["initdb", "pg_ctl", "postgres"].every((tool) => existsSync(join(bin, tool)))) return { bin, version }
  }
  return {
    bin: undefined,
    missing: `${root}/<version>/bin/initdb (PostgreSQL server binaries; apt-get install postgresql)`
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

/** Runs a PostgreSQL tool, as the `postgres` user when we are root. */
const run = (bin, tool, args) => {
  const file = join(bin, tool)
  const result = isRoot()
    ? spawnSync("su", ["postgres", "-s", "/bin/sh", "-c", [file, ...args].map(shellQuote).join(" ")], {
      encoding: "utf8"
    })
    : spawnSync(file, args, { encoding: "utf8" })
  if (result.status !== 0) {
    throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`)
  }
  return result.stdout
}

const shellQuote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`

/**
 * Starts a server and returns `{ url, host, port, database, stop }`. `database` (default "flows") is created.
 * Options: `settings` (extra `-c name=value` server settings, e.g. `{ fsync: "off" }`).
 */
export const start = async (options = {}) => {
  const { bin, missing } = findBinaries()
  if (bin === undefined) throw new Error(`no PostgreSQL: missing ${missing}`)
  const dir = mkdtempSync(join(tmpdir(), "pocketflow-pg-"))
  chmodSync(dir, 0o755)
  if (isRoot()) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, "data")
  const port = await freePort()
  const database = options.database ?? "flows"
  const settings = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    max_connections: "100",
    ...options.settings
  }
  const serverOptions = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(" ")
  let started = false
  const stop = () => {
    if (started) {
      started = false
      try {
        run(bin, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
      } catch {
        // already gone: nothing to stop
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    run(bin, "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
    run(bin, "pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", serverOptions, "-w", "-t", "30", "start"])
    started = true
    createDatabase(bin, port, dir, database)
  } catch (error) {
    stop()
    throw error
  }
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`
  return { url, host: "127.0.0.1", port, database, user: "postgres", dir, stop }
}

/** `createdb` ships with the client package; fall back to a single-user `postgres` call when it is missing. */
const createDatabase = (bin, port, dir, database) => {
  const createdb = existsSync(join(bin, "createdb")) ? join(bin, "createdb") : "createdb"
  const result = spawnSync(createdb, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", database], {
    encoding: "utf8"
  })
  if (result.status !== 0) throw new Error(`createdb failed: ${result.stderr || result.stdout} (socket dir ${dir})`)
}

// `node scripts/postgres.mjs` starts a server, prints its URL and waits for Ctrl-C: handy for poking at it by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const pg = await start()
  console.log(pg.url)
  const bye = () => {
    pg.stop()
    process.exit(0)
  }
  process.on("SIGINT", bye)
  process.on("SIGTERM", bye)
  setInterval(() => {}, 1 << 30)
}
