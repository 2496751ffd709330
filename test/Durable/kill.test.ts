/**
 * Crash tests that really kill: a child process runs a 40-step durable loop (test/Durable/fixtures/run.ts) and is
 * killed with SIGKILL mid-run, twice; a third process finishes it. The final state must equal an uninterrupted run's,
 * and at most the step in flight may have run twice per kill. Then two processes continue one run: one gets
 * `RunLocked`, the other finishes. On the file-system checkpointer and on Postgres.
 */
import { afterEach, assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Checkpointer, Durable } from "../../src/index.ts"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { type Child, killChildren, spawnTsx } from "../support/process.ts"
import { makeFlow, STEPS, Store } from "./fixtures/run.ts"

const fixture = resolve(import.meta.dirname, "fixtures/run.ts")

/** Every child still alive is killed when its test ends, passed or failed. */
afterEach(killChildren)

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

/** Waits for the child to end; its exit code and the JSON line it printed. */
const finished = (child: Child) =>
  Effect.map(Effect.promise(() => child.exit), (exit) => ({
    code: exit.code,
    printed: JSON.parse(child.lines.join("\n"))
  }))

const expected = {
  n: STEPS,
  total: Array.from({ length: STEPS }, (_, i) => (i + 1) * (i + 1)).reduce((a, b) => a + b, 0),
  trail: Array.from({ length: STEPS }, (_, i) => i + 1)
}

forEachCheckpointer("durable runs killed with SIGKILL", ({ storage }) => {
  const runs = storage("killed")
  const scratch = storage("logs").place.directory
  /** A process continuing (or starting) run `id` on this checkpointer; each exec appends its step to `log`. */
  const start = (id: string, log: string, options: { readonly force?: boolean; readonly stepMillis?: number } = {}) =>
    spawnTsx(fixture, [...runs.args, id, log, ...(options.force ? ["force"] : [])], {
      env: options.stepMillis === undefined ? {} : { STEP_MS: String(options.stepMillis) }
    })

  it.live(
    "killed twice mid-run, a new process finishes it; finished steps never ran again",
    () =>
      Effect.gen(function*() {
        const id = `kill-${Date.now()}`
        const log = join(scratch, `${id}.log`)
        const first = start(id, log)
        yield* waitForLines(log, 8)
        yield* killed(first)
        const second = start(id, log, { force: true })
        yield* waitForLines(log, 22)
        yield* killed(second)
        const third = start(id, log, { force: true })
        const exit = yield* finished(third)
        assert.strictEqual(exit.code, 0)
        assert.deepStrictEqual(exit.printed, { outcome: "Done", steps: STEPS })

        const state = yield* Effect.provide(Durable.state(id, Store), runs.layer())
        assert.deepStrictEqual(state, expected)

        // The same flow, never interrupted, on the memory checkpointer.
        const uninterrupted = yield* Durable.run(makeFlow(undefined), {
          id,
          stores: [Store.initial({ n: 0, total: 0, trail: [] })]
        }).pipe(
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
      }),
    120_000
  )

  it.live("two processes continue one run: one gets RunLocked, the other finishes", () =>
    Effect.gen(function*() {
      const id = `locked-${Date.now()}`
      const log = join(scratch, `${id}.log`)
      // Slow steps (150 ms, 6 s in all): the owner is still running when the intruder has started up.
      const owner = start(id, log, { stepMillis: 150 })
      yield* waitForLines(log, 3)
      const intruder = start(id, log)
      const refused = yield* finished(intruder)
      assert.strictEqual(refused.code, 0)
      assert.deepStrictEqual(refused.printed, { error: "RunLocked" })
      const done = yield* finished(owner)
      assert.deepStrictEqual(done.printed, { outcome: "Done", steps: STEPS })
      // The refused process ran nothing: every step ran exactly once.
      assert.deepStrictEqual(lines(log), expected.trail)
      assert.deepStrictEqual(yield* Effect.provide(Durable.state(id, Store), runs.layer()), expected)
    }), 120_000)
}, shared)
