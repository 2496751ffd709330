/**
 * docs/durable.md's "Workers", "Timers", "Child runs" and "Schedules" snippets are the files of test/Durable/docs/,
 * verbatim, and they run here.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable } from "../../src/index.ts"
import { assertSnippetIs } from "../support/readme.ts"
import { eventually } from "../support/worker.ts"
import * as children from "./docs/children.ts"
import * as schedules from "./docs/schedules.ts"
import * as timers from "./docs/timers.ts"
import * as workers from "./docs/workers.ts"

const doc = "docs/durable.md"

describe("docs/durable.md: workers, timers, child runs, schedules", () => {
  it("each snippet is its file in test/Durable/docs/", () => {
    assertSnippetIs("## Workers", `${import.meta.dirname}/docs`, "workers.ts", doc)
    assertSnippetIs("## Timers", `${import.meta.dirname}/docs`, "timers.ts", doc)
    assertSnippetIs("## Child runs", `${import.meta.dirname}/docs`, "children.ts", doc)
    assertSnippetIs("## Schedules", `${import.meta.dirname}/docs`, "schedules.ts", doc)
  })

  it.live("Workers: a queued run is run by the worker", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* workers.program, { topic: "workers", draft: "An essay about workers" })
    }))

  it.effect("Timers: the run is saved sleeping until three days from now", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* timers.program, {
        outcome: "Suspended",
        status: "sleeping",
        until: 3 * 24 * 60 * 60 * 1000
      })
    }))

  it.live("Child runs: the parent waits for a child run per subscriber, in order", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* children.program, {
        sent: ["ada", "grace"],
        children: ["issue-1/ada", "issue-1/grace"]
      })
    }))

  it.effect("Schedules: a run per daily tick, named by the tick; a worker started later catches up the latest tick", () =>
    Effect.gen(function*() {
      const reportOf = (id: string) =>
        eventually(`${id} is done`, Effect.map(Durable.get(id), (r) => Option.isSome(r) && r.value.status === "done"))
      yield* TestClock.setTime(Date.parse("2026-12-07T08:00:00.000Z"))
      yield* Effect.scoped(
        Effect.andThen(Layer.build(schedules.WorkerLive), reportOf("report@2026-12-07T08:00:00.000Z"))
      )
      // No worker all night (a day of TestClock polls would be 86,400 of them); the next one catches up 08:00.
      yield* TestClock.setTime(Date.parse("2026-12-08T09:30:00.000Z"))
      yield* Effect.scoped(
        Effect.andThen(Layer.build(schedules.WorkerLive), reportOf("report@2026-12-08T08:00:00.000Z"))
      )
      const runs = yield* Durable.list({ flow: "report" })
      assert.deepStrictEqual(runs.runs.map((r) => r.id).sort(), [
        "report@2026-12-07T08:00:00.000Z",
        "report@2026-12-08T08:00:00.000Z"
      ])
      assert.deepStrictEqual(yield* Durable.state("report@2026-12-08T08:00:00.000Z", schedules.Day), {
        date: "2026-12-08",
        report: "Report for 2026-12-08"
      })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})
