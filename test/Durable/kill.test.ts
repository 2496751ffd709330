/**
 * Crash tests that really kill: a child process runs a 40-step durable loop (test/Durable/fixtures/run.ts) and is
 * killed with SIGKILL mid-run, twice; a third process finishes it. The final state must equal an uninterrupted run's,
 * and at most the step in flight may have run twice per kill. Then two processes continue one run: one gets
 * `RunLocked`, the other finishes. On the file-system checkpointer and on Postgres.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Checkpointer, Durable } from "../../src/index.ts"
import * as pg from "../support/pg.ts"
import { makeFlow, STEPS, Store } from "./fixtures/run.ts"

const fixture = resolve(import.meta.dirname, "fixtures/run.ts")

interface Child {
  readonly process: ChildProcess
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null; readonly stdout: string }>
}

const children = new Set<ChildProcess>()

const start = (args: ReadonlyArray<string>, env?: Record<string, string>): Child => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  children.add(child)
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; signal: string | null; stdout: string }>((done) =>
    child.on("exit", (code, signal) => {
      children.delete(child)
      if (code !== 0 && signal === null) process.stderr.write(stderr)
      done({ code, signal, stdout })
    })
  )
  return { process: child, exit }
}

/** Every child still alive is killed when the test ends, passed or failed. */
const killAll = Effect.sync(() => {
  for (const child of children) child.kill("SIGKILL")
})

const lines = (log: string): Array<number> =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map(Number) : []

/** Waits (real time: these are processes) until the exec log has at least `n` lines. */
const waitForLines = (log: string, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 3000; i++) {
      if (lines(log).length >= n) return
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`the exec log never reached ${n} lines`))
  })

const killed = (child: Child) =>
  Effect.gen(function*() {
    child.process.kill("SIGKILL")
    const exit = yield* Effect.promise(() => child.exit)
    assert.strictEqual(exit.signal, "SIGKILL")
  })

const finished = (child: Child) => Effect.promise(() => child.exit)

const expected = {
  n: STEPS,
  total: Array.from({ length: STEPS }, (_, i) => (i + 1) * (i + 1)).reduce((a, b) => a + b, 0),
  trail: Array.from({ length: STEPS }, (_, i) => i + 1)
}

const suite = (
  name: string,
  location: () => string,
  layer: () => Layer.Layer<Checkpointer.Checkpointer, unknown>
) => {
  const scratch = mkdtempSync(join(tmpdir(), `pocketflow-kill-${name}-`))

  it.live(`${name}: killed twice mid-run, a new process finishes it; finished steps never ran again`, () =>
    Effect.gen(function*() {
      const id = `kill-${Date.now()}`
      const log = join(scratch, `${id}.log`)
      const first = start([name === "fs" ? "fs" : "pg", location(), id, log])
      yield* waitForLines(log, 8)
      yield* killed(first)
      const second = start([name === "fs" ? "fs" : "pg", location(), id, log, "force"])
      yield* waitForLines(log, 22)
      yield* killed(second)
      const third = start([name === "fs" ? "fs" : "pg", location(), id, log, "force"])
      const exit = yield* finished(third)
      assert.strictEqual(exit.code, 0)
      assert.deepStrictEqual(JSON.parse(exit.stdout), { outcome: "Done", steps: STEPS })

      const state = yield* Effect.provide(Durable.state(id, Store), layer())
      assert.deepStrictEqual(state, expected)

      // The same flow, never interrupted, on the memory checkpointer.
      const uninterrupted = yield* Durable.run(makeFlow(undefined), { id, stores: [Store.initial({ n: 0, total: 0, trail: [] })] }).pipe(
        Effect.andThen(Durable.state(id, Store)),
        Effect.provide(Checkpointer.layerMemory)
      )
      assert.deepStrictEqual(state, uninterrupted)

      // Each step ran once, except at most the one in flight at each kill.
      const counts = new Map<number, number>()
      for (const step of lines(log)) counts.set(step, (counts.get(step) ?? 0) + 1)
      assert.deepStrictEqual(Array.from(counts.keys()).sort((a, b) => a - b), expected.trail)
      const twice = Array.from(counts.entries()).filter(([, c]) => c > 1)
      assert.isAtMost(twice.length, 2, `steps run more than once: ${JSON.stringify(twice)}`)
      for (const [, c] of twice) assert.strictEqual(c, 2)
    }).pipe(Effect.ensuring(killAll)), 120_000)

  it.live(`${name}: two processes continue one run: one gets RunLocked, the other finishes`, () =>
    Effect.gen(function*() {
      const id = `locked-${Date.now()}`
      const log = join(scratch, `${id}.log`)
      // Slow steps (150 ms, 6 s in all): the owner is still running when the intruder has started up.
      const owner = start([name === "fs" ? "fs" : "pg", location(), id, log], { STEP_MS: "150" })
      yield* waitForLines(log, 3)
      const intruder = start([name === "fs" ? "fs" : "pg", location(), id, log])
      const refused = yield* finished(intruder)
      assert.strictEqual(refused.code, 0)
      assert.deepStrictEqual(JSON.parse(refused.stdout), { error: "RunLocked" })
      const done = yield* finished(owner)
      assert.deepStrictEqual(JSON.parse(done.stdout), { outcome: "Done", steps: STEPS })
      // The refused process ran nothing: every step ran exactly once.
      assert.deepStrictEqual(lines(log), expected.trail)
      assert.deepStrictEqual(yield* Effect.provide(Durable.state(id, Store), layer()), expected)
    }).pipe(Effect.ensuring(killAll)), 120_000)

  it.effect(`${name}: cleanup`, () => Effect.sync(() => rmSync(scratch, { recursive: true, force: true })))
}

describe("durable runs killed with SIGKILL: file system", () => {
  const directory = mkdtempSync(join(tmpdir(), "pocketflow-kill-runs-"))
  suite(
    "fs",
    () => directory,
    () =>
      Checkpointer.layerFileSystem({ directory }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))
  )
})

describe.skipIf(pg.missing())("durable runs killed with SIGKILL: Postgres", () => {
  suite("pg", () => pg.url!, () => Checkpointer.layerSql({ table: "killed" }).pipe(Layer.provide(pg.client())))
})
