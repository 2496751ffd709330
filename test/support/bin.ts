/**
 * The `effect-pocketflow` command in a child process, from source (the built one is dist/bin.js, the same code): run
 * it to its end, or start it until it prints its URL (killed when the scope closes).
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import { resolve } from "node:path"

const root = resolve(import.meta.dirname, "../..")
const tsx = createRequire(resolve(root, "package.json")).resolve("tsx")
/** Absolute paths: the command may run in another working directory. */
const bin = ["--conditions=effect-pocketflow-source", "--import", tsx, resolve(root, "src/bin.ts")]

export interface BinOptions {
  readonly cwd?: string | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Node options before the bin's (e.g. `--import` of a loader hook). */
  readonly node?: ReadonlyArray<string> | undefined
}

const child = (args: ReadonlyArray<string>, options: BinOptions | undefined) =>
  spawn(process.execPath, [...(options?.node ?? []), ...bin, ...args], {
    cwd: options?.cwd ?? root,
    env: { ...process.env, ...options?.env },
    stdio: ["ignore", "pipe", "pipe"]
  })

/** Runs the command to its end: its exit code and everything it printed. */
export const runBin = (args: ReadonlyArray<string>, options?: BinOptions) =>
  Effect.callback<{ readonly code: number | null; readonly output: string }>((resume) => {
    const process = child(args, options)
    let output = ""
    process.stdout.on("data", (c: Buffer) => (output += c.toString()))
    process.stderr.on("data", (c: Buffer) => (output += c.toString()))
    process.on("exit", (code) => resume(Effect.succeed({ code, output })))
  })

/**
 * Starts the command and waits until it prints `<label>: <url>`; `kill` sends a signal (SIGTERM by default). The process
 * is killed when the scope closes.
 */
export const startBin = (args: ReadonlyArray<string>, label: string, options?: BinOptions) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly url: string
      readonly output: () => string
      readonly kill: (signal?: NodeJS.Signals) => void
      readonly exited: Promise<number | null>
    }>((resume) => {
      const process = child(args, options)
      const exited = new Promise<number | null>((done) => process.on("exit", (code) => done(code)))
      let out = ""
      const onData = (chunk: Buffer) => {
        out += chunk.toString()
        const url = new RegExp(`${label}: (http://\\S+)`).exec(out)?.[1]
        if (url !== undefined) {
          resume(
            Effect.succeed({ url, output: () => out, kill: (signal) => process.kill(signal ?? "SIGTERM"), exited })
          )
        }
      }
      process.stdout.on("data", onData)
      process.stderr.on("data", onData)
      process.on("exit", (code) => resume(Effect.die(new Error(`the command exited with ${code}:\n${out}`))))
      return Effect.sync(() => process.kill("SIGKILL"))
    }),
    (started) => Effect.sync(() => started.kill("SIGKILL"))
  )
