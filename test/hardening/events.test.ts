/**
 * Issue 7, defect 7: the event stream always ends with the run's final event, after `EventsDropped`,
 * whatever the buffer size; sub-flows run by concurrent items of a batch node carry the item index.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect, Stream } from "effect"
import { Flow, FlowEvent, Node } from "../../src/index.ts"

class Boom extends Data.TaggedError("Boom")<{}> {}

const collect = <E, R>(stream: Stream.Stream<FlowEvent.FlowEvent, E, R>) =>
  Effect.map(Stream.runCollect(stream), (events) => Array.from(events))

/** 20 steps, then "stop". */
const makeLoop = (fail = false) => {
  let n = 0
  const tick = Node.make({
    name: "tick",
    post: () => Effect.suspend(() => ++n < 20 ? Node.action("again") : Node.action("stop"))
  })
  const stop = Node.make({ name: "stop", exec: () => fail ? Effect.fail(new Boom()) : Effect.void })
  return Flow.make({ name: "loop", start: tick }).pipe(Flow.on(tick, "again", tick), Flow.on(tick, "stop", stop))
}

describe("7.7 the stream ends with the run's final event", () => {
  for (const strategy of ["sliding", "dropping"] as const) {
    for (const bufferSize of [1, 2, 3]) {
      it.effect(`7.7 ${strategy}, bufferSize ${bufferSize}: EventsDropped, then FlowFinished last`, () =>
        Effect.gen(function*() {
          const all = yield* collect(Flow.events(makeLoop()))
          const events = yield* collect(Flow.events(makeLoop(), { bufferSize, strategy }))
          const last = events[events.length - 1]
          const dropped = events[events.length - 2]
          assert.strictEqual(last?._tag, "FlowFinished")
          assert.deepStrictEqual(last, all[all.length - 1])
          assert.strictEqual(dropped?._tag, "EventsDropped")
          if (dropped?._tag === "EventsDropped") assert.strictEqual(events.length - 1 + dropped.count, all.length)
        }))
    }
  }

  it.effect("7.7 a failing run ends with FlowFailed after EventsDropped, then the stream fails", () =>
    Effect.gen(function*() {
      const seen: Array<FlowEvent.FlowEvent> = []
      const error = yield* Flow.events(makeLoop(true), { bufferSize: 1 }).pipe(
        Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
        Effect.flip
      )
      assert.instanceOf(error, Boom)
      assert.deepStrictEqual(seen.slice(-2).map((e) => e._tag), ["EventsDropped", "FlowFailed"])
    }))

  it.effect("7.7 a node run on its own ends with its NodeFinished", () =>
    Effect.gen(function*() {
      const node = Node.batch({ name: "items", prep: Effect.succeed([1, 2, 3, 4, 5]), exec: () => Effect.void })
      const events = yield* collect(Flow.events(node, { bufferSize: 1 }))
      assert.deepStrictEqual(events.slice(-2).map((e) => e._tag), ["EventsDropped", "NodeFinished"])
    }))
})

describe("7.7 sub-flows run by batch items carry the item index", () => {
  it.effect("7.7 concurrent items' sub-flow runs have distinct runs", () =>
    Effect.gen(function*() {
      const step = Node.make({ name: "step" })
      const sub = Flow.make({ name: "sub", start: step })
      const items = Node.batch({
        name: "items",
        prep: Effect.succeed([0, 1, 2]),
        exec: () => Flow.run(sub),
        concurrency: "unbounded"
      })
      const flow = Flow.make({ name: "outer", start: items })
      const events = yield* collect(Flow.events(flow))
      const starts = events.filter(FlowEvent.is("FlowStarted")).filter((e) => e.flow === "sub")
      assert.strictEqual(starts.length, 3)
      assert.deepStrictEqual(starts.map((e) => e.path), ["outer/items/sub", "outer/items/sub", "outer/items/sub"])
      assert.deepStrictEqual(starts.map((e) => e.runs).sort(), [[0], [1], [2]])
      const steps = events.filter(FlowEvent.is("NodeFinished")).filter((e) => e.node === "step")
      assert.deepStrictEqual(steps.map((e) => e.runs).sort(), [[0], [1], [2]])
    }))
})
