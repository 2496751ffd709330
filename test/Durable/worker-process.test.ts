/**
 * The worker in real processes (test/Durable/fixtures/worker.ts), on the checkpointers whose data outlives a process:
 * - a worker is killed with SIGKILL in the middle of 20 runs; a second worker process finishes all of them once their
 *   leases expire, and only the steps in flight at the kill ran twice;
 * - a run sleeping 2 seconds survives a worker restart during the sleep and wakes on the new worker, not before due;
 * - an answer written from another process (this one) is picked up by a worker within one poll interval.
 */
import { afterEach, assert, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Durable } from "../../src/index.ts"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { type Child, killChildren, spawnTsx } from "../support/process.ts"
import { Approval, empty, makeFlows, STEPS, Store } from "./fixtures/worker.ts"

const fixture = resolve(import.meta.dirname, "fixtures/worker.ts")
const flows = makeFlows(undefined)

/** Every child still alive is killed when its test ends, passed or failed. */
afterEach(killChildren)

const logLines = (log: string): Array<Array<string>> =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split(" ")) : []

/** Polls (real time: these are processes) until `condition` holds, for up to a minute. */
const waitFor = <E>(what: string, condition: (() => boolean) | Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 6000; i++) {
      if (typeof condition === "function" ? condition() : yield* condition) return
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`never happened: ${what}`))
  })

interface Printed {
  readonly tag: string
  readonly id?: string
  readonly at: number
}

/** The worker events a fixture worker printed so far. */
const printed = (child: Child): Array<Printed> =>
  child.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Printed)

const killed = (child: Child) =>
  Effect.gen(function*() {
    child.process.kill("SIGKILL")
    const exit = yield* Effect.promise(() => child.exit)
    assert.strictEqual(exit.signal, "SIGKILL")
  })

forEachCheckpointer("Durable.worker in real processes", ({ storage }) => {
  const runs = storage("worker_processes")
  const scratch = storage("worker_logs").place.directory
  const spawnWorker = (name: string, log: string, options: Record<string, unknown>) =>
    spawnTsx(fixture, [...runs.args, log, JSON.stringify({ name, ...options })])
  const detailsOf = (id: string) => Effect.map(Effect.provide(Durable.get(id), runs.layer()), Option.getOrUndefined)

  it.live(
    "a worker killed with SIGKILL mid-way through 20 runs: a second worker finishes them after their leases expire; only the steps in flight ran twice",
    () =>
      Effect.gen(function*() {
        const prefix = `k${Date.now()}`
        const log = join(scratch, `${prefix}.log`)
        const ids = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`)
        yield* Effect.forEach(ids, (id) => Durable.start(flows.loop, { id, stores: [empty()] }), { discard: true })
          .pipe(
            Effect.provide(runs.layer())
          )
        const options = { concurrency: 4, poll: "100 millis", lease: "2 seconds" }
        const first = spawnWorker("first", log, options)
        // Mid-way: a quarter of the 200 steps have run.
        yield* waitFor("50 steps ran", () => logLines(log).length >= 50)
        yield* killed(first)
        const killedAt = Date.now()
        const atKill = logLines(log)

        // The runs held at the kill: their leases, as the killed worker left them.
        const held = new Map<string, number>()
        for (const id of ids) {
          const lease = (yield* detailsOf(id))?.lease
          if (lease !== undefined && lease.owner.startsWith("first#")) held.set(id, lease.expiresAt)
        }
        assert.isAbove(held.size, 0, "the kill left runs held")
        assert.isAtMost(held.size, options.concurrency)
        for (const expiresAt of held.values()) assert.isAbove(expiresAt, killedAt - 500)

        const second = spawnWorker("second", log, options)
        yield* waitFor(
          "every run is done",
          Effect.map(
            Effect.forEach(ids, detailsOf),
            (all) => all.every((d) => d?.status === "done")
          )
        )
        for (const id of ids) {
          const details = yield* detailsOf(id)
          assert.strictEqual(details?.status, "done", id)
          assert.deepStrictEqual(
            yield* Effect.provide(Durable.state(id, Store), runs.layer()),
            { n: STEPS, trail: Array.from({ length: STEPS }, (_, i) => i + 1) }
          )
        }

        // A run held by the killed worker moved only once its lease expired.
        for (const [id, expiresAt] of held) {
          const claimed = printed(second).find((e) => e.tag === "Claimed" && e.id === id)
          assert.isDefined(claimed, id)
          assert.isAtLeast(claimed!.at, expiresAt, `${id} was claimed before its lease expired`)
        }

        // Every step of every run ran; twice only for the step a held run had in flight at the kill (its last one
        // logged then), and no step that had finished ran again.
        const counts = new Map<string, number>()
        for (const [id, step] of logLines(log)) counts.set(`${id} ${step}`, (counts.get(`${id} ${step}`) ?? 0) + 1)
        const inFlight = new Set<string>()
        for (const id of held.keys()) {
          const last = atKill.filter(([run]) => run === id).at(-1)
          if (last !== undefined) inFlight.add(last.join(" "))
        }
        for (const id of ids) {
          for (let step = 1; step <= STEPS; step++) {
            const key = `${id} ${step}`
            const n = counts.get(key) ?? 0
            if (inFlight.has(key)) assert.include([1, 2], n, key)
            else assert.strictEqual(n, 1, `${key} ran ${n} times`)
          }
        }
        assert.isAbove(Array.from(inFlight).filter((key) => counts.get(key) === 2).length, 0, "no step ran twice")
      }),
    180_000
  )

  it.live(
    "a run sleeping 2 seconds survives a worker restart during the sleep and wakes on the new worker",
    () =>
      Effect.gen(function*() {
        const id = `nap${Date.now()}`
        const log = join(scratch, `${id}.log`)
        yield* Effect.provide(Durable.start(flows.nap, { id, stores: [] }), runs.layer())
        const first = spawnWorker("first", log, { poll: "200 millis" })
        yield* waitFor("the run sleeps", () => logLines(log).some(([, what]) => what === "before"))
        yield* waitFor("the run is saved sleeping", () => printed(first).some((e) => e.tag === "Released"))
        const sleeping = yield* detailsOf(id)
        assert.strictEqual(sleeping?.status, "sleeping")
        const until = sleeping!.waiting.find((w) => w.until !== undefined)?.until
        assert.isDefined(until)
        yield* killed(first)

        const second = spawnWorker("second", log, { poll: "200 millis" })
        yield* waitFor("the run woke", () => logLines(log).some(([, what]) => what === "woke"))
        const lines = logLines(log)
        const woke = lines.find(([, what]) => what === "woke")!
        assert.strictEqual(Number(woke[2]), second.process.pid, "it woke on the new worker")
        assert.isAtLeast(Number(woke[3]), until!, "it woke when due, not before")
        const before = lines.filter(([, what]) => what === "before")
        assert.strictEqual(before.length, 1, "the step before the sleep ran once")
        yield* waitFor("the run is done", () => printed(second).some((e) => e.tag === "Continued" && e.id === id))
        assert.strictEqual((yield* detailsOf(id))?.status, "done")
      }),
    120_000
  )

  it.live(
    "an answer written from another process makes the worker continue the run within one poll interval",
    () =>
      Effect.gen(function*() {
        const id = `ask${Date.now()}`
        const log = join(scratch, `${id}.log`)
        const pollMillis = 1000
        const worker = spawnWorker("asker", log, { poll: `${pollMillis} millis` })
        yield* Effect.provide(Durable.start(flows.ask, { id, stores: [] }), runs.layer())
        yield* waitFor("the run waits", () => printed(worker).some((e) => e.tag === "Released" && e.id === id))
        assert.strictEqual((yield* detailsOf(id))?.status, "suspended")
        // Nothing moves it until it is answered.
        yield* Effect.sleep(`${2 * pollMillis} millis`)
        assert.strictEqual(printed(worker).filter((e) => e.tag === "Claimed" && e.id === id).length, 1)

        yield* Effect.provide(Durable.answer({ id, input: Approval, value: true }), runs.layer())
        const answeredAt = Date.now()
        yield* waitFor("the run continued", () => logLines(log).some(([, what]) => what === "answered"))
        const claims = printed(worker).filter((e) => e.tag === "Claimed" && e.id === id)
        assert.strictEqual(claims.length, 2)
        // One poll interval, and the time a poll and a claim take on a busy machine.
        assert.isAtMost(claims[1]!.at - answeredAt, pollMillis + 500)
        yield* waitFor(
          "the run is done",
          () => printed(worker).filter((e) => e.tag === "Continued" && e.id === id).length === 2
        )
        assert.strictEqual((yield* detailsOf(id))?.status, "done")
      }),
    60_000
  )
}, shared)
