/**
 * `Durable.toWorkflow` on a real cluster: two runner processes (NodeClusterSocket, SQL storage) on one Postgres on
 * loopback, and client processes that start runs, answer them and wait for them. (a) six runs spread over both
 * runners finish with the states of runs under `Durable.run`; (b) after `kill -9` of a runner the other takes its
 * runs over and finishes them, and only the steps in flight ran twice; (c) a run suspended on `ask` is answered from
 * a third process and finishes on whichever runner holds it. Every child is killed when its test ends.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as pg from "../../support/pg.ts"
import { freePort } from "../../support/ports.ts"
import { type Child, killChildren, spawnTsx } from "../../support/process.ts"
import { locally } from "../../support/workflow.ts"
import { LOOP_STEPS, spreadIds, workflows } from "./fixtures/cluster.ts"
import { loop, LoopStore } from "./fixtures/flows.ts"

const fixture = resolve(import.meta.dirname, "fixtures/proc.ts")

// Every child still alive is killed when its test ends, passed or failed.
afterEach(killChildren)

/** Waits (real time: these are processes) until `check` holds, or dies naming `what`. */
const until = (what: string, check: () => boolean, seconds = 60) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds * 50; i++) {
      if (check()) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`timed out waiting for ${what}`))
  })

interface Entry {
  readonly tag: string
  readonly run: string
  readonly key: string
  readonly at: number
}

const entries = (log: string): Array<Entry> =>
  existsSync(log)
    ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => {
      const [tag, key, at] = l.split(" ") as [string, string, string]
      return { tag, run: key.slice(0, key.indexOf(":")), key, at: Number(at) }
    })
    : []

/** Two runners on fresh ports, each printing "ready". */
const twoRunners = (url: string, log: string, stepMillis: number) =>
  Effect.gen(function*() {
    const runner = (tag: string, port: number) =>
      spawnTsx(fixture, ["runner", url, String(port), log, String(stepMillis)], { env: { RUNNER_TAG: tag } })
    const a = runner("A", yield* freePort)
    const b = runner("B", yield* freePort)
    yield* until("both runners ready", () => a.lines.includes("\"ready\"") && b.lines.includes("\"ready\""))
    return [a, b] as const
  })

const client = (url: string, ...commands: ReadonlyArray<string>) => spawnTsx(fixture, ["client", url, ...commands])

const done = (child: Child) =>
  Effect.gen(function*() {
    const exit = yield* Effect.promise(() => child.exit)
    assert.strictEqual(exit.code, 0, `client exited with ${exit.code ?? exit.signal}`)
    return child.lines.map((l) => JSON.parse(l))
  })

const expectedLoop = locally(
  loop({ steps: LOOP_STEPS, stepMillis: 0 }),
  LoopStore.initial({ n: 0, total: 0, trail: [] })
)

const wfs = workflows(undefined)

describe.skipIf(pg.missing())("Durable.toWorkflow on two runner processes + Postgres", () => {
  const scratch = mkdtempSync(join(tmpdir(), "wf-cluster-"))

  /** A fresh database `name` with two runners on it, whose execs take `stepMillis` and go to `<name>.log`. */
  const cluster = (name: string, stepMillis: number) =>
    Effect.gen(function*() {
      const url = yield* pg.database(name)
      const log = join(scratch, `${name}.log`)
      return { url, log, runners: yield* twoRunners(url, log, stepMillis) }
    })

  it.live("(a) six runs over two runners finish with the same states as local runs", () =>
    Effect.gen(function*() {
      const { log, url } = yield* cluster("wf_six", 10)
      const runs = yield* spreadIds(wfs.loop, "six", 6)
      const [, finals] = yield* done(client(url, "start-loop", runs, "wait-loop", runs))
      const expected = yield* expectedLoop
      for (const id of runs.split(",")) assert.deepStrictEqual(finals[id]["wf/LoopStore"], expected, id)
      const log$ = entries(log)
      // Every step ran exactly once, and both runners ran some.
      assert.strictEqual(log$.length, 6 * LOOP_STEPS)
      assert.strictEqual(new Set(log$.map((e) => e.key)).size, 6 * LOOP_STEPS)
      const byRunner = new Map<string, Set<string>>()
      for (const e of log$) byRunner.set(e.tag, (byRunner.get(e.tag) ?? new Set()).add(e.run))
      console.log(`runs per runner: A ${byRunner.get("A")?.size ?? 0}, B ${byRunner.get("B")?.size ?? 0}`)
      // Each runner holds one of the two shards, and the ids are three per shard.
      assert.strictEqual(byRunner.get("A")?.size, 3)
      assert.strictEqual(byRunner.get("B")?.size, 3)
    }), 60_000)

  it.live(
    "(b) kill -9 of a runner mid-run: the other takes its runs over; only steps in flight ran twice",
    () =>
      Effect.gen(function*() {
        const { log, runners: [a], url } = yield* cluster("wf_kill", 150)
        const runs = yield* spreadIds(wfs.loop, "kill", 6)
        const waiter = client(url, "start-loop", runs, "wait-loop", runs)
        // Kill A once it is a few steps into its runs.
        yield* until("runner A to run 3 steps", () => entries(log).filter((e) => e.tag === "A").length >= 3)
        a.process.kill("SIGKILL")
        const killedAt = Date.now()
        const killedExit = yield* Effect.promise(() => a.exit)
        assert.strictEqual(killedExit.signal, "SIGKILL")
        const heldByA = new Set(entries(log).filter((e) => e.tag === "A").map((e) => e.run))

        const [, finals] = yield* done(waiter)
        const expected = yield* expectedLoop
        for (const id of runs.split(",")) assert.deepStrictEqual(finals[id]["wf/LoopStore"], expected, id)

        const log$ = entries(log)
        const counts = new Map<string, number>()
        for (const e of log$) counts.set(e.key, (counts.get(e.key) ?? 0) + 1)
        assert.strictEqual(counts.size, 6 * LOOP_STEPS)
        const twice = Array.from(counts).filter(([, c]) => c > 1)
        // At most one step per run A held was in flight; it ran at most twice, first on A, then on B.
        assert.isAtMost(twice.length, heldByA.size, JSON.stringify(twice))
        for (const [key, c] of twice) {
          assert.strictEqual(c, 2)
          assert.deepStrictEqual(log$.filter((e) => e.key === key).map((e) => e.tag), ["A", "B"])
          assert.isTrue(heldByA.has(key.slice(0, key.indexOf(":"))))
        }
        // B finished A's runs: takeover time is from the kill to B's first step of a run A held.
        const takenOver = log$.filter((e) => e.tag === "B" && heldByA.has(e.run) && e.at >= killedAt)
        assert.isAbove(takenOver.length, 0)
        const takeover = Math.min(...takenOver.map((e) => e.at)) - killedAt
        console.log(
          `takeover after kill -9: ${takeover} ms (runs held by A: ${heldByA.size}, steps run twice: ${twice.length})`
        )
      }),
    90_000
  )

  it.live("(c) a run suspended on ask is answered from a third process and finishes", () =>
    Effect.gen(function*() {
      const { log, url } = yield* cluster("wf_ask", 10)
      const runs = yield* spreadIds(wfs.essay, "essay", 2)
      yield* done(client(url, "start-essay", runs, "suspended-essay", runs))
      const answering = client(url, "answer-essay", runs)
      yield* done(answering)
      const [finals] = yield* done(client(url, "wait-essay", runs))
      for (const id of runs.split(",")) {
        assert.deepStrictEqual(finals[id]["wf/AskStore"], {
          draft: "a draft",
          published: true,
          note: `answered by ${answering.process.pid}`
        })
        const mine = entries(log).filter((e) => e.run === id).map((e) => e.key.slice(id.length + 1))
        assert.deepStrictEqual(mine, ["essay/draft#1", "essay/review#1", "essay/review#1", "essay/publish#1"])
      }
    }), 60_000)
})
