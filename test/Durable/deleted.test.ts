/**
 * Issue 17, defect 1: a run deleted by another process while its owner walks must stay deleted. The owner (a child
 * process running the 40-step loop of fixtures/run.ts) is walking when this process deletes the run — with
 * `Durable.delete`, or on the file system by removing its folder by hand. Its next save is a version conflict, it
 * stops, and nothing of the run comes back. On every checkpointer another process can open.
 */
import { afterEach, assert, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { Durable } from "../../src/index.ts"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { type Child, killChildren, spawnTsx } from "../support/process.ts"

const fixture = resolve(import.meta.dirname, "fixtures/run.ts")

afterEach(killChildren)

const lines = (log: string): number =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").length : 0

/** Waits (real time: these are processes) until the exec log has at least `n` lines. */
const waitForLines = (log: string, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 3000; i++) {
      if (lines(log) >= n) return
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`the exec log never reached ${n} lines`))
  })

const printed = (child: Child) =>
  Effect.map(
    Effect.promise(() => child.exit),
    (exit) => ({ code: exit.code, printed: JSON.parse(child.lines.join("\n")) })
  )

forEachCheckpointer("a run deleted by another process while its owner walks", ({ kind, storage }) => {
  const runs = storage("deleted")
  const scratch = storage("deleted_logs").place.directory
  /** The owner: a process walking run `id` with slow steps (150 ms each, 6 s in all). */
  const owner = (id: string, log: string) => spawnTsx(fixture, [...runs.args, id, log], { env: { STEP_MS: "150" } })

  /** The run's folders under the file-system checkpointer's directory (none for other kinds). */
  const folders = () => {
    const dir = join(runs.place.directory, "runs")
    return existsSync(dir) ? readdirSync(dir) : []
  }

  const stays = (id: string, log: string, remove: Effect.Effect<void>) =>
    Effect.gen(function*() {
      const child = owner(id, log)
      yield* waitForLines(log, 3)
      yield* remove
      const seenAt = lines(log)
      const exit = yield* printed(child)
      assert.strictEqual(exit.code, 0)
      assert.deepStrictEqual(exit.printed, { error: "CheckpointError", reason: "version conflict" })
      // It stopped at the step in flight: at most that one step ran after the delete.
      assert.isAtMost(lines(log), seenAt + 1)
      assert.isTrue(Option.isNone(yield* Effect.provide(Durable.get(id), runs.layer())))
      assert.deepStrictEqual((yield* Effect.provide(Durable.history(id), runs.layer())).snapshots, [])
      assert.deepStrictEqual(folders(), [])
    })

  it.live(
    "Durable.delete from another process: the owner's next save is a version conflict, nothing comes back",
    () =>
      Effect.gen(function*() {
        const id = `deleted-${Date.now()}`
        yield* stays(id, join(scratch, `${id}.log`), Effect.orDie(Effect.provide(Durable.delete(id), runs.layer())))
      }),
    120_000
  )

  if (kind.name === "file system") {
    it.live(
      "its folder removed by hand: the owner's next save is a version conflict, nothing comes back",
      () =>
        Effect.gen(function*() {
          const id = `removed-${Date.now()}`
          yield* stays(
            id,
            join(scratch, `${id}.log`),
            Effect.sync(() => {
              for (const folder of folders()) {
                rmSync(join(runs.place.directory, "runs", folder), { recursive: true, force: true, maxRetries: 5 })
              }
            })
          )
        }),
      120_000
    )
  }
}, shared)
