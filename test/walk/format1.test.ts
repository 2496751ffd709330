/**
 * Runs saved by version 0.3 (before the one walk, `format: 1`) resume with today's code: a loop suspended on its
 * second visit, a parallel block with two branches waiting, a batch flow with one run done and one waiting, a batch
 * node with saved items, and a nested flow that crashed inside. The fixtures were written by `generate.ts` with that
 * version (fixtures/format1/runs.json); each run is loaded into a fresh checkpointer exactly as it was saved.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Checkpointer, Durable } from "effect-pocketflow"
import { readFileSync } from "node:fs"
import { Approval, type Dump, makeFlows, Store } from "./fixtures/format1/flows.ts"

const dumps: ReadonlyArray<Dump> = JSON.parse(
  readFileSync(new URL("fixtures/format1/runs.json", import.meta.url), "utf8")
)

/** Loads the saved runs into the checkpointer: every version, item record and answer, as the old code wrote them. */
const load = Effect.gen(function*() {
  const cp = yield* Checkpointer.Checkpointer
  for (const dump of dumps) {
    for (const version of dump.versions) yield* cp.save(version)
    for (const [scope, items] of Object.entries(dump.items)) {
      for (const [index, value] of items) yield* cp.putItem(dump.id, scope, index, value as never)
    }
    for (const answer of dump.answers) yield* cp.putAnswer(dump.id, answer as Checkpointer.Answer)
  }
})

const tracked = () => {
  const counts = new Map<string, number>()
  const flows = makeFlows({ hit: (name) => counts.set(name, (counts.get(name) ?? 0) + 1), failOnce: new Set() })
  return { flows, ran: () => Object.fromEntries(counts) }
}

const fresh = Layer.fresh(Checkpointer.layerMemory)

describe("runs saved in format 1 (version 0.3)", () => {
  it("the fixtures hold what they claim", () => {
    const last = (id: string) => dumps.find((d) => d.id === id)!.versions.at(-1)!
    assert.deepStrictEqual(dumps.map((d) => [d.id, last(d.id).status, last(d.id).format]), [
      ["loop", "suspended", 1],
      ["parallel", "suspended", 1],
      ["batchFlow", "suspended", 1],
      ["batch", "failed", 1],
      ["nested", "failed", 1]
    ])
  })

  it.effect("a loop suspended on its second visit takes the answer and finishes; nothing before it runs again", () =>
    Effect.gen(function*() {
      yield* load
      const { flows, ran } = tracked()
      const polled = yield* Durable.run(flows.loop, { id: "loop", stores: [Store.initial({ log: [] })] })
      assert.strictEqual(polled._tag, "Suspended")
      if (polled._tag === "Suspended") {
        assert.deepStrictEqual(polled.waiting.map((w) => [w.key, w.prompt]), [[
          "loop/review#2/approval#1",
          "Publish draft 2?"
        ]])
      }
      yield* Durable.answer({ id: "loop", input: Approval, value: { ok: true } })
      const done = yield* Durable.run(flows.loop, { id: "loop", stores: [Store.initial({ log: [] })] })
      assert.deepStrictEqual(done, { _tag: "Done", action: "default", steps: 6 })
      // Only the waiting review ran again (from its prep), then the nested flow.
      assert.deepStrictEqual(ran(), { review: 1, pack: 1, upload: 1 })
      assert.deepStrictEqual((yield* Durable.state("loop", Store)).log, [
        "draft",
        "draft 1",
        "review ok=false",
        "draft",
        "draft 2",
        "review ok=true",
        "pack",
        "upload"
      ])
    }).pipe(Effect.provide(fresh)))

  it.effect("a parallel block with both branches waiting resumes each branch where it stood", () =>
    Effect.gen(function*() {
      yield* load
      const { flows, ran } = tracked()
      yield* Durable.answer({
        id: "parallel",
        input: Approval,
        key: "parallel/both#1/left#1/approval#1",
        value: { ok: true }
      })
      yield* Durable.answer({
        id: "parallel",
        input: Approval,
        key: "parallel/both#1/right#1/r2#1/approval#1",
        value: { ok: false }
      })
      const done = yield* Durable.run(flows.parallel, { id: "parallel", stores: [Store.initial({ log: [] })] })
      assert.strictEqual(done._tag, "Done")
      // r1 had finished inside the right branch: it does not run again.
      assert.deepStrictEqual(ran(), { left: 1, r2: 1, after: 1 })
      assert.sameMembers([...(yield* Durable.state("parallel", Store)).log], [
        "r1",
        "left ok=true",
        "r2 ok=false",
        "after"
      ])
    }).pipe(Effect.provide(fresh)))

  it.effect("a batch flow runs only its waiting run; the finished ones keep their results", () =>
    Effect.gen(function*() {
      yield* load
      const { flows, ran } = tracked()
      yield* Durable.answer({ id: "batchFlow", input: Approval, value: { ok: false } })
      const done = yield* Durable.run(flows.batchFlow, { id: "batchFlow", stores: [Store.initial({ log: [] })] })
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(ran(), { one2: 1 })
      assert.deepStrictEqual((yield* Durable.state("batchFlow", Store)).log, [
        "one1 ok=true",
        "one3 ok=true",
        "one2 ok=false"
      ])
    }).pipe(Effect.provide(fresh)))

  it.effect("a failed batch resumes with its saved items: only the items that had not finished run", () =>
    Effect.gen(function*() {
      yield* load
      const { flows, ran } = tracked()
      const done = yield* Durable.resume(flows.batch, { id: "batch", stores: [Store] })
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(ran(), { item3: 1, item4: 1 })
      assert.deepStrictEqual((yield* Durable.state("batch", Store)).log, ["first", "items 0,10,20,30,40"])
    }).pipe(Effect.provide(fresh)))

  it.effect("a nested flow that crashed inside resumes inside it", () =>
    Effect.gen(function*() {
      yield* load
      const { flows, ran } = tracked()
      const done = yield* Durable.resume(flows.nested, { id: "nested", stores: [Store] })
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(ran(), { i2: 1, y: 1 })
      assert.deepStrictEqual((yield* Durable.state("nested", Store)).log, ["x", "i1", "i2", "y"])
    }).pipe(Effect.provide(fresh)))
})
