/**
 * `Durable.events` with a buffer (issue 17, defect 16): `"suspend"` (the default) makes the durable run wait for its
 * subscriber, so every event arrives in order with the run's last event last, and a slow subscriber holds the run
 * back instead of letting events pile up without bound; `"sliding"`/`"dropping"` are for monitors, as in
 * `Flow.events`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Latch, Option, Stream } from "effect"
import { Checkpointer, Durable, Flow, FlowEvent, Node } from "../../src/index.ts"

/** A chain of `n` nodes; `onStep` runs in each node's exec. */
const chain = (n: number, onStep: () => void = () => {}) => {
  const nodes = Array.from({ length: n }, (_, i) =>
    Node.make({
      name: `n${i}`,
      exec: () => Effect.andThen(Effect.sync(onStep), Flow.emit({ step: i }))
    }))
  let flow = Flow.make({ name: "chain", start: nodes[0]! })
  for (let i = 1; i < n; i++) flow = flow.pipe(Flow.next(nodes[i - 1]!, nodes[i]!))
  return flow
}

const outline = (e: FlowEvent.FlowEvent) => `${e._tag} ${e.path}`

describe("Durable.events buffer", () => {
  it.effect("suspend (default): a fast subscriber gets every event, in order, the run's last event last", () =>
    Effect.gen(function*() {
      const reference: Array<FlowEvent.FlowEvent> = []
      yield* Stream.runForEach(
        Durable.events(chain(200), { id: "all", stores: [], strategy: "sliding", bufferSize: 1_000_000 }),
        (e) => Effect.sync(() => reference.push(e))
      )
      for (const bufferSize of [1, 3, 1024]) {
        const seen: Array<FlowEvent.FlowEvent> = []
        yield* Stream.runForEach(
          Durable.events(chain(200), { id: `fast-${bufferSize}`, stores: [], bufferSize }),
          (e) => Effect.sync(() => seen.push(e))
        )
        assert.deepStrictEqual(seen.map(outline), reference.map(outline), `bufferSize ${bufferSize}`)
        assert.deepStrictEqual(
          seen.filter(FlowEvent.is("Custom")).map((e) => (e.data as { step: number }).step),
          Array.from({ length: 200 }, (_, i) => i)
        )
      }
      assert.strictEqual(reference[reference.length - 1]?._tag, "FlowFinished")
      assert.isFalse(reference.some(FlowEvent.is("EventsDropped")))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("suspend: a subscriber that stops reading holds the run back; it goes on when the subscriber does", () =>
    Effect.gen(function*() {
      let steps = 0
      const gate = yield* Latch.make(false)
      let taken = 0
      const fiber = yield* Effect.forkChild(
        Durable.events(chain(200, () => steps++), { id: "held", stores: [], bufferSize: 4 }).pipe(
          Stream.runForEach(() => Effect.andThen(gate.await, Effect.sync(() => taken++)))
        )
      )
      for (let i = 0; i < 200; i++) yield* Effect.yieldNow
      // A step reports at least four events (started, a checkpoint, Custom, finished): a few steps fill the buffer.
      assert.isAtLeast(steps, 1)
      assert.isAtMost(steps, 4)
      const run = Option.getOrThrow(yield* Durable.get("held"))
      assert.strictEqual(run.status, "running")
      yield* gate.open
      yield* Fiber.join(fiber)
      assert.strictEqual(steps, 200)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("held")).status, "done")
      assert.isAbove(taken, 200 * 4)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("sliding: a monitor never holds the run back; EventsDropped, then the run's last event", () =>
    Effect.gen(function*() {
      const seen: Array<FlowEvent.FlowEvent> = []
      let steps = 0
      const gate = yield* Latch.make(false)
      const fiber = yield* Effect.forkChild(
        Durable.events(chain(100, () => steps++), { id: "monitor", stores: [], bufferSize: 4, strategy: "sliding" })
          .pipe(Stream.runForEach((e) => Effect.andThen(gate.await, Effect.sync(() => seen.push(e)))))
      )
      // The subscriber reads nothing until the run is done.
      while (Option.getOrUndefined(yield* Durable.get("monitor"))?.status !== "done") yield* Effect.yieldNow
      assert.strictEqual(steps, 100)
      yield* gate.open
      yield* Fiber.join(fiber)
      const last = seen[seen.length - 1]
      assert.strictEqual(last?._tag, "FlowFinished")
      assert.strictEqual(seen[seen.length - 2]?._tag, "EventsDropped")
      assert.isBelow(seen.length, 20)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it("checks bufferSize and strategy when the stream is made", () => {
    const flow = chain(1)
    assert.throws(
      () => Durable.events(flow, { id: "x", stores: [], strategy: "bogus" as "suspend" }),
      /Durable\.events "x": option "strategy" must be "suspend", "sliding" or "dropping"/
    )
    assert.throws(() => Durable.events(flow, { id: "x", stores: [], bufferSize: 0 }), RangeError)
  })
})
