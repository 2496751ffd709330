/**
 * `cluster`: the same flow on effect/cluster, with two runner processes and a client on one Postgres.
 *
 * Usage: `npx tsx --conditions=effect-pocketflow-source examples/cluster/main.ts [postgres url]`. Without a URL it
 * starts a throwaway Postgres (scripts/postgres.mjs; needs the server binaries, e.g. `apt-get install postgresql`).
 * It starts runner A and runner B (runner.ts) on free loopback ports, then the client (client.ts), which starts four
 * reports, approves each when it asks, and prints them; each section names the runner that wrote it. Both runners
 * are stopped at the end, whatever happens.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { start } from "../../scripts/postgres.mjs"

const here = import.meta.dirname
const tsx = ["--import", "tsx", "--conditions=effect-pocketflow-source"]

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => done(port))
    })
  })

const children: Array<ChildProcess> = []

/** Starts a process with its output prefixed by `name`; resolves when it prints a line containing `ready`. */
const launch = (name: string, script: string, args: ReadonlyArray<string>, waitFor?: string) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, [...tsx, join(here, script), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, RUNNER_NAME: name }
    })
    children.push(child)
    child.stdout!.setEncoding("utf8")
    child.stdout!.on("data", (text: string) => {
      for (const line of text.split("\n")) if (line !== "") console.log(`[${name}] ${line}`)
      if (waitFor !== undefined && text.includes(waitFor)) resolve(child)
    })
    child.on("exit", (code) => (code === 0 ? resolve(child) : reject(new Error(`${name} exited with ${code}`))))
  })

let stopPostgres = () => {}

const killChildren = () => {
  for (const child of children) child.kill("SIGKILL")
}

// Ctrl-C or a kill stops the runners too (the `finally` below does not run on signals).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killChildren()
    stopPostgres()
    process.exit(130)
  })
}

const main = async () => {
  let url = process.argv[2]
  if (url === undefined) {
    const pg = await start()
    url = pg.url
    stopPostgres = pg.stop
    console.log(`started a throwaway Postgres at ${url}`)
  }
  try {
    await Promise.all([
      launch("A", "runner.ts", [url, String(await freePort())], "ready"),
      launch("B", "runner.ts", [url, String(await freePort())], "ready")
    ])
    const client = launch("client", "client.ts", [url, "effect", "pocketflow", "clusters", "runners"])
    await client
  } finally {
    killChildren()
    stopPostgres()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
