/**
 * The file-system and SQL checkpointers across real processes (fixtures/worker.ts): racing saves, racing claims,
 * a lease as a mutex under churn, and SIGKILL in the middle of writing versions.
 */
import { NodeServices } from "@effect/platform-node"
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Checkpointer } from "../../src/index.ts"
import * as Pg from "../support/pg.ts"

const fixture = join(import.meta.dirname, "fixtures", "worker.ts")
const root = mkdtempSync(join(tmpdir(), "pocketflow-crossproc-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Every child is killed when its test ends, passed or failed.
const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  children.clear()
})

interface Worker {
  readonly child: ChildProcess
  /** The next JSON line the child prints. */
  readonly next: () => Promise<unknown>
  readonly exited: Promise<void>
}

const worker = (args: ReadonlyArray<string>): Worker => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], { stdio: ["pipe", "pipe", "pipe"] })
  children.add(child)
  const lines: Array<unknown> = []
  const waiting: Array<(line: unknown) => void> = []
  let buffer = ""
  let stderr = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk
    let at: number
    while ((at = buffer.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffer.slice(0, at)) as unknown
      buffer = buffer.slice(at + 1)
      const resolve = waiting.shift()
      if (resolve) resolve(line)
      else lines.push(line)
    }
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const next = () =>
    lines.length > 0 ? Promise.resolve(lines.shift()) : Promise.race([
      new Promise<unknown>((resolve) => waiting.push(resolve)),
      exited.then(() => {
        // Lines printed just before exiting are delivered before "exit".
        if (lines.length > 0) return lines.shift()
        throw new Error(`worker ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}): ${stderr}`)
      })
    ])
  return { child, next, exited }
}

/** Starts the workers, waits until each is ready, then lets them all go at once. */
const together = async (all: ReadonlyArray<Worker>) => {
  for (const w of all) assert.strictEqual(await w.next(), "ready")
  for (const w of all) w.child.stdin!.write("go\n")
}

const runEffect = <A>(
  layer: Layer.Layer<Checkpointer.Checkpointer, unknown>,
  f: (c: Checkpointer.Service) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(Effect.provide(
    Effect.gen(function*() {
      return yield* f(yield* Checkpointer.Checkpointer)
    }),
    layer
  ))

const backends = [
  {
    name: "file system",
    skip: false,
    fresh: () => {
      const directory = mkdtempSync(join(root, "fs-"))
      return {
        args: ["fs", directory],
        layer: Checkpointer.layerFileSystem({ directory }).pipe(Layer.provide(NodeServices.layer))
      }
    }
  },
  {
    name: "Postgres",
    skip: Pg.missing(),
    fresh: () => ({
      args: ["pg", Pg.url ?? ""],
      layer: Checkpointer.layerSql({ table: "crossproc" }).pipe(Layer.provide(Pg.client({ maxConnections: 1 })))
    })
  }
]

for (const backend of backends) {
  describe.skipIf(backend.skip)(`${backend.name} checkpointer across processes`, () => {
    const fresh = () => {
      const made = backend.fresh()
      // Postgres: one table set for all, emptied first, created before the children race to create it.
      return runEffect(made.layer, (c) =>
        Effect.gen(function*() {
          for (const id of ["race", "mutex", "killed", ...Array.from({ length: 20 }, (_, i) => `lease-${i}`)]) {
            yield* c.delete(id)
          }
        })).then(() => made)
    }

    it("processes racing to save the next version: each version is won by exactly one", async () => {
      const { args, layer } = await fresh()
      await runEffect(layer, (c) => c.save({ ...snapshotOf("race", 1), stores: { writer: "parent" } }))
      const names = ["a", "b", "c"]
      const workers = names.map((name) => worker([...args, "save-race", name, "40"]))
      await together(workers)
      const results = (await Promise.all(workers.map((w) => w.next()))) as Array<
        { won: Array<number>; conflicts: number }
      >
      const latest = await runEffect(layer, (c) => c.load("race"))
      const owners = new Map<number, string>()
      for (const [i, r] of results.entries()) {
        for (const v of r.won) {
          assert.isFalse(owners.has(v), `version ${v} won twice`)
          owners.set(v, names[i]!)
        }
      }
      // Every version after the parent's was won by exactly one worker, and the stored one is the winner's.
      assert.strictEqual(owners.size, latest!.version - 1)
      const stored = await runEffect(layer, (c) => c.history("race", { limit: 1000 }))
      for (const s of stored) if (s.version > 1) assert.strictEqual(s.stores.writer, owners.get(s.version))
      const conflicts = results.reduce((n, r) => n + r.conflicts, 0)
      assert.strictEqual(owners.size + conflicts, 3 * 40)
      console.log(`${backend.name}: ${owners.size} versions saved, ${conflicts} conflicts among 3 processes`)
    }, 120_000)

    it("processes racing to claim a lease: exactly one holds it, the others see that one", async () => {
      const { args } = await fresh()
      const names = ["a", "b", "c"]
      const workers = names.map((name) => worker([...args, "claim-race", name, "20"]))
      await together(workers)
      const results = (await Promise.all(workers.map((w) => w.next()))) as Array<{ outcomes: Array<string> }>
      for (let i = 0; i < 20; i++) {
        const seen = new Set(results.map((r) => r.outcomes[i]))
        assert.strictEqual(seen.size, 1, `lease-${i}: ${[...seen].join(", ")}`)
      }
    }, 120_000)

    it("a lease as a mutex: processes claiming, renewing and releasing never hold it together", async () => {
      const { args } = await fresh()
      const sentinels = mkdtempSync(join(root, "mutex-"))
      const workers = ["a", "b", "c"].map((name) => worker([...args, "mutex", name, "60", sentinels]))
      await together(workers)
      const results = (await Promise.all(workers.map((w) => w.next()))) as Array<{ holds: number; violations: number }>
      assert.deepStrictEqual(results.map((r) => r.violations), [0, 0, 0])
      assert.isAbove(results.reduce((n, r) => n + r.holds, 0), 0)
    }, 120_000)

    it("SIGKILL while writing versions, four times: every stored version loads whole, and saving goes on", async () => {
      const { args, layer } = await fresh()
      for (let kill = 0; kill < 4; kill++) {
        const w = worker([...args, "save-forever", "k"])
        await together([w])
        const start = (await w.next()) as number
        let version = start
        while (version < start + 5) version = (await w.next()) as number
        // At a random point of the next save (about 1 to 10 ms each here), not just after one.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10))
        w.child.kill("SIGKILL")
        await w.exited
      }
      const history = await runEffect(layer, (c) => c.history("killed", { limit: 1000 }))
      const latest = history[0]!.version
      assert.isAtLeast(latest, 24)
      assert.deepStrictEqual(
        history.map((s) => s.version),
        Array.from({ length: Math.min(latest, 100) }, (_, i) => latest - i)
      )
      for (const s of history) {
        assert.strictEqual(s.stores.version, s.version)
        assert.strictEqual((s.stores.payload as string).length, 256 * 1024)
      }
      await runEffect(layer, (c) => c.save(snapshotOf("killed", latest + 1)))
    }, 120_000)
  })
}

const snapshotOf = (id: string, version: number): Checkpointer.Snapshot => ({
  format: 1,
  id,
  flow: "crossproc",
  version,
  status: "running",
  steps: version,
  position: null,
  stores: {},
  waiting: [],
  updatedAt: version
})
