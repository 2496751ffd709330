/**
 * The file-system and SQL checkpointers across real processes (fixtures/worker.ts): racing saves, racing claims,
 * a lease as a mutex under churn, and SIGKILL in the middle of writing versions.
 */
import { afterEach, assert, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { join } from "node:path"
import { Checkpointer } from "../../src/index.ts"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { killChildren, spawnTsx } from "../support/process.ts"
import { snapshot } from "../support/snapshot.ts"

const fixture = join(import.meta.dirname, "fixtures", "worker.ts")

// Every child is killed when its test ends, passed or failed.
afterEach(killChildren)

/** A worker on the storage `args` names; `next` reads the next JSON line it prints. */
const worker = (args: ReadonlyArray<string>) => {
  const child = spawnTsx(fixture, args, { stdin: true })
  return { ...child, next: () => child.next().then((line) => JSON.parse(line) as unknown) }
}
type Worker = ReturnType<typeof worker>

/** Starts the workers, waits until each is ready, then lets them all go at once. */
const together = async (all: ReadonlyArray<Worker>) => {
  for (const w of all) assert.strictEqual(await w.next(), "ready")
  for (const w of all) w.process.stdin!.write("go\n")
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

forEachCheckpointer("checkpointer across processes", ({ kind, storage }) => {
  const fresh = () => {
    const made = storage("crossproc")
    // Postgres: one table set for all, emptied first, created before the children race to create it.
    return runEffect(made.layer(), (c) =>
      Effect.gen(function*() {
        for (const id of ["race", "mutex", "killed", ...Array.from({ length: 20 }, (_, i) => `lease-${i}`)]) {
          yield* c.delete(id)
        }
      })).then(() => ({ args: made.args, layer: made.layer() }))
  }

  it("processes racing to save the next version: each version is won by exactly one", async () => {
    const { args, layer } = await fresh()
    await runEffect(layer, (c) => c.save({ ...snapshot("race", 1), stores: { writer: "parent" } }))
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
    console.log(`${kind.name}: ${owners.size} versions saved, ${conflicts} conflicts among 3 processes`)
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
    const sentinels = storage("sentinels").place.directory
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
      w.process.kill("SIGKILL")
      await w.exit
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
    await runEffect(layer, (c) => c.save(snapshot("killed", latest + 1)))
  }, 120_000)
}, shared)
