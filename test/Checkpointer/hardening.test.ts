/**
 * Hardening v3 (issue 17) on every checkpointer: state size limits (defect 6), typed list cursors (defect 10) and
 * what `Durable.get` reads besides the snapshot — answered keys, the lease, batch item counts (operator item a).
 */
import { assert, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Durable, Flow, Node, Shared } from "../../src/index.ts"
import { forEachCheckpointer } from "../support/checkpointers.ts"
import { assertCheckpointError, failure, suspended } from "../support/durable.ts"

const State = Schema.Struct({ text: Schema.String })
class Store extends Shared.Service<Store>()("test/checkpointer-hardening/Store", { schema: State }) {}

const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })

forEachCheckpointer("checkpointer hardening", ({ storage }) => {
  const small = storage("hardening_small")
  const runs = storage("hardening")
  const fresh = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`

  it.effect("6. a state larger than maxStateBytes is refused with \"state too large\" naming size and limit", () =>
    Effect.gen(function*() {
      const id = fresh("large")
      const grow = Node.make({ name: "grow", post: () => Store.set({ text: "x".repeat(5000) }) })
      const error = yield* failure(
        Durable.run(Flow.make({ name: "large", start: grow }), { id, stores: [Store.initial({ text: "" })] })
      )
      assertCheckpointError(error, "state too large", "maxStateBytes (4000)")
      assert.match((error as unknown as { detail: string }).detail, /is \d{4} bytes of JSON/)
      // What was saved before (the claim, version 1) loads as ever.
      const saved = Option.getOrThrow(yield* Durable.get(id))
      assert.deepStrictEqual([saved.version, saved.stores], [1, { "test/checkpointer-hardening/Store": { text: "" } }])
    }).pipe(Effect.provide(small.layer({ maxStateBytes: 4000 }))))

  it.effect("10. a malformed list cursor is CheckpointError \"invalid cursor\"", () =>
    Effect.gen(function*() {
      for (const cursor of ["garbage", "%E0%A4%A", encodeURIComponent("[\"a\",1]")]) {
        assertCheckpointError(yield* failure(Durable.list({ cursor })), "invalid cursor")
      }
    }).pipe(Effect.provide(runs.layer())))

  it.effect("(a) Durable.get: answered keys, the lease with its last heartbeat, batch item counts", () =>
    Effect.gen(function*() {
      // Answered keys.
      const asks = Node.make({
        name: "asks",
        exec: () => Effect.all([Approval.ask("a?", { key: "a" }), Approval.ask("b?", { key: "b" })], { concurrency: 2 })
      })
      const id = fresh("answered")
      const o = suspended(yield* Durable.run(Flow.make({ name: "asks", start: asks }), { id, stores: [] }))
      assert.strictEqual(o.waiting.length, 2)
      yield* Durable.answer({ id, input: Approval, key: o.waiting[0]!.key, value: true })
      const answered = Option.getOrThrow(yield* Durable.get(id))
      assert.deepStrictEqual(answered.answered, [o.waiting[0]!.key])
      assert.isUndefined(answered.lease)

      // The lease and batch progress of a run in flight.
      const third = yield* Deferred.make<void>()
      const batch = Node.batch({
        name: "batch",
        prep: Effect.succeed(["a", "b", "c", "d", "e"]),
        exec: (s: string) =>
          s === "c" ? Effect.andThen(Deferred.succeed(third, undefined), Effect.never) : Effect.succeed(s),
        resultSchema: Schema.String
      })
      const flow = Flow.make({ name: "items", start: batch })
      const running = fresh("running")
      const t0 = yield* Clock.currentTimeMillis
      const owner = yield* Effect.forkChild(Durable.run(flow, { id: running, stores: [], lease: "30 seconds" }))
      yield* Deferred.await(third)
      yield* TestClock.adjust("10 seconds")
      // The heartbeat renews in the background (a real write): wait until it has.
      let live = Option.getOrThrow(yield* Durable.get(running))
      for (let i = 0; i < 500 && live.lease?.heartbeatAt !== t0 + 10_000; i++) {
        yield* TestClock.withLive(Effect.sleep("5 millis"))
        live = Option.getOrThrow(yield* Durable.get(running))
      }
      assert.match(live.lease!.owner, /^owner-/)
      assert.deepStrictEqual([live.lease!.expiresAt, live.lease!.heartbeatAt], [t0 + 40_000, t0 + 10_000])
      assert.deepStrictEqual(live.items, { "items/batch#1": { done: 2, total: 5 } })
      yield* Fiber.interrupt(owner)
      // Stopped (and released): no lease; the saved items stay for the next owner.
      const left = Option.getOrThrow(yield* Durable.get(running))
      assert.isUndefined(left.lease)
      assert.deepStrictEqual(left.items, { "items/batch#1": { done: 2, total: 5 } })
    }).pipe(Effect.provide(runs.layer())))
})
