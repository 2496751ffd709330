/**
 * Child processes for the tests that need real ones (kill -9, several processes on one storage, the CLIs): a
 * TypeScript file run by `node --import tsx`, its stdout read line by line, and every child still alive killed by
 * `killChildren` (register it with `afterEach`).
 */
import { Effect } from "effect"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { resolve } from "node:path"

/** The repository's root: examples and the CLIs run from there. */
export const root = resolve(import.meta.dirname, "../..")

/** Runs the package from src/ (package.json `exports`), as the tests import it. */
const source = ["--conditions=effect-pocketflow-source", "--import", "tsx"]

export interface Child {
  readonly process: ChildProcess
  /** The lines printed on stdout so far. */
  readonly lines: ReadonlyArray<string>
  /** The next line on stdout that `next` has not returned yet; fails with stderr when the child ends first. */
  readonly next: () => Promise<string>
  /** Once the child has exited and its output is read: its exit code, or the signal that killed it. */
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

const children = new Set<ChildProcess>()

/** SIGKILLs every child `spawnTsx` started that is still running. */
export const killChildren = (): void => {
  for (const child of children) child.kill("SIGKILL")
  children.clear()
}

/**
 * Starts `node --import tsx <file> <args>` with `env` added to this process's environment; `stdin: true` gives the
 * child a pipe to write to. A child that fails (exits non-zero, not by a signal) prints its stderr here.
 */
export const spawnTsx = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly stdin?: boolean } = {}
): Child => {
  const child = spawn(process.execPath, [...source, file, ...args], {
    cwd: root,
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env }
  })
  children.add(child)
  const lines: Array<string> = []
  let taken = 0
  const waiting: Array<() => void> = []
  let partial = ""
  let stderr = ""
  let closed = false
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n")
    partial = parts.pop()!
    lines.push(...parts)
    for (const wake of waiting.splice(0)) wake()
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  // "close", not "exit": by then every line the child printed has been read.
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => {
      closed = true
      children.delete(child)
      if (code !== 0 && signal === null) process.stderr.write(stderr)
      for (const wake of waiting.splice(0)) wake()
      done({ code, signal })
    })
  )
  const next = async (): Promise<string> => {
    while (taken >= lines.length) {
      if (closed) {
        throw new Error(`${file} ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}): ${stderr}`)
      }
      await new Promise<void>((wake) => waiting.push(wake))
    }
    return lines[taken++]!
  }
  return { process: child, lines, next, exit }
}

/** `npm run example -- <args>`: examples/main.ts in a child process, with its exit code and output. */
export const runExample = (
  args: ReadonlyArray<string>,
  options: { readonly timeout: number; readonly env?: Record<string, string> }
) =>
  Effect.callback<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    execFile(
      process.execPath,
      [...source, "examples/main.ts", ...args],
      { cwd: root, env: { ...process.env, ...options.env }, timeout: options.timeout },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
    )
  })
