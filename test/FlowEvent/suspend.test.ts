/**
 * `Flow.events` with the `"suspend"` strategy (the default since issue 17, defect 16): a full buffer makes the run
 * wait for its subscriber, so a subscriber of any speed gets every event, in order, tokens included, the root's final
 * event last. Before, a fast subscriber (`Stream.runForEach(() => Effect.sync(...))`) of a 2,000-node chain got 5,122
 * of its 6,001 events: the run outpaced the subscriber's fiber and the sliding buffer dropped the rest.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Flow, FlowEvent, Node } from "../../src/index.ts"
import { expectThrow, js } from "../support/throws.ts"

/** A chain of `n` nodes, `n0 → n1 → …`; `onStep` runs in each node's exec. */
const chain = (n: number, onStep: () => void = () => {}) => {
  const nodes = Array.from({ length: n }, (_, i) => Node.make({ name: `n${i}`, exec: () => Effect.sync(onStep) }))
  let flow = Flow.make({ name: "chain", start: nodes[0]! })
  for (let i = 1; i < n; i++) flow = flow.pipe(Flow.next(nodes[i - 1]!, nodes[i]!))
  return flow
}

/** What a 2,000-node chain reports: 3 events a step but the last (no transition), and the flow's start and end. */
const expected = (n: number) => [
  "FlowStarted chain",
  ...Array.from({ length: n }, (_, i) => [
    `NodeStarted chain/n${i}`,
    `NodeFinished chain/n${i}`,
    ...(i < n - 1 ? [`Transition chain n${i}->n${i + 1}`] : [])
  ]).flat(),
  "FlowFinished chain"
]

const outline = (e: FlowEvent.FlowEvent) =>
  e._tag === "Transition" ? `Transition ${e.path} ${e.from}->${e.to}` : `${e._tag} ${e.path}`

/** Consumes `stream` as a fast subscriber does: one synchronous effect per event. */
const fast = <E, R>(stream: Stream.Stream<FlowEvent.FlowEvent, E, R>) =>
  Effect.suspend(() => {
    const seen: Array<FlowEvent.FlowEvent> = []
    return Effect.as(Stream.runForEach(stream, (event) => Effect.sync(() => seen.push(event))), seen)
  })

class Boom extends Data.TaggedError("Boom")<{}> {}

describe("Flow.events, strategy \"suspend\" (the default)", () => {
  it.effect("a fast subscriber of a 2,000-node chain gets all 6,001 events, in order, FlowFinished last", () =>
    Effect.gen(function*() {
      const seen = yield* fast(Flow.events(chain(2000)))
      assert.strictEqual(seen.length, 6001)
      assert.deepStrictEqual(seen.map(outline), expected(2000))
      assert.isFalse(seen.some(FlowEvent.is("EventsDropped")))
    }))

  it.effect("every buffer size, even 1, delivers every event in order", () =>
    Effect.gen(function*() {
      for (const bufferSize of [1, 2, 3, 7, 64]) {
        const seen = yield* fast(Flow.events(chain(300), { bufferSize, strategy: "suspend" }))
        assert.deepStrictEqual(seen.map(outline), expected(300), `bufferSize ${bufferSize}`)
      }
    }))

  it.effect("a slow subscriber holds the run back: it goes no further than the buffer lets it", () =>
    Effect.gen(function*() {
      let steps = 0
      // The subscriber takes one event per second of the TestClock; the clock does not move until told to.
      const fiber = yield* Effect.forkChild(
        Flow.events(chain(2000, () => steps++), { bufferSize: 4 }).pipe(
          Stream.runForEach(() => Effect.sleep("1 second"))
        )
      )
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
      // 4 events in the buffer, one taken, what one step reports past a full buffer: a few steps, not 2,000.
      assert.isAtMost(steps, 4)
      assert.isAtLeast(steps, 1)
      const before = steps
      yield* TestClock.adjust("30 seconds")
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
      // 30 more events taken: about 10 more steps (3 events a step).
      assert.isAtLeast(steps - before, 8)
      assert.isAtMost(steps - before, 12)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("tokens from Flow.emit all arrive, in order, however slow the subscriber: the node waits in Flow.emit", () =>
    Effect.gen(function*() {
      let sent = 0
      const speak = Node.make({
        name: "speak",
        exec: () =>
          Effect.forEach(
            Array.from({ length: 5000 }, (_, i) => i),
            (i) => Effect.andThen(Effect.sync(() => sent++), Flow.emit({ token: i })),
            { discard: true }
          )
      })
      const flow = Flow.make({ name: "talk", start: speak })
      const tokens: Array<number> = []
      const fiber = yield* Effect.forkChild(
        Flow.events(flow, { bufferSize: 8 }).pipe(
          Stream.filter(FlowEvent.is("Custom")),
          Stream.runForEach((e) =>
            Effect.andThen(
              Effect.sleep("1 millis"),
              Effect.sync(() => tokens.push((e.data as { token: number }).token))
            )
          )
        )
      )
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
      // The node has sent what fits: the chunk the subscriber took, the buffer behind it, the token that found it
      // full. Not all 5,000.
      assert.isAtMost(sent, 8 + 8 + 1)
      yield* TestClock.adjust("5001 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(sent, 5000)
      assert.deepStrictEqual(tokens, Array.from({ length: 5000 }, (_, i) => i))
    }))

  it.effect("concurrent batch items and parallel branches: every event, each item's tokens in order", () =>
    Effect.gen(function*() {
      const items = Node.batch({
        name: "items",
        prep: Effect.succeed(Array.from({ length: 200 }, (_, i) => i)),
        exec: (i: number) => Effect.forEach([0, 1, 2, 3, 4], (t) => Flow.emit({ i, t }), { discard: true }),
        concurrency: "unbounded"
      })
      const branch = (name: string) =>
        Flow.make({ name, start: Node.make({ name: `${name}-step`, exec: () => Flow.emit(name) }) })
      const both = Flow.parallel({ name: "both", branches: [branch("left"), branch("right")] })
      const flow = Flow.make({ name: "fan", start: items }).pipe(Flow.next(items, both))
      const all = yield* fast(Flow.events(flow, { strategy: "sliding", bufferSize: 1_000_000 }))
      for (const bufferSize of [1, 5, 64]) {
        const seen = yield* fast(Flow.events(flow, { bufferSize }))
        assert.strictEqual(seen.length, all.length, `bufferSize ${bufferSize}`)
        assert.sameMembers(seen.map(outline), all.map(outline))
        const custom = seen.filter(FlowEvent.is("Custom")).map((e) => e.data as { i: number; t: number } | string)
        for (let i = 0; i < 200; i++) {
          assert.deepStrictEqual(
            custom.filter((d) => typeof d === "object" && d.i === i).map((d) => (d as { t: number }).t),
            [0, 1, 2, 3, 4]
          )
        }
        const progress = seen.filter(FlowEvent.is("BatchProgress")).map((e) => e.done)
        assert.deepStrictEqual(progress, Array.from({ length: 201 }, (_, i) => i))
        assert.strictEqual(seen[seen.length - 1]?._tag, "FlowFinished")
        assert.strictEqual(seen[seen.length - 1]?.path, "fan")
      }
    }))

  it.effect("a failing run delivers every event, FlowFailed last, then the stream fails", () =>
    Effect.gen(function*() {
      const fail = Node.make({ name: "fail", exec: () => Effect.fail(new Boom()) })
      const nodes = chain(100)
      const flow = Flow.make({ name: "outer", start: nodes }).pipe(Flow.next(nodes, fail))
      const seen: Array<FlowEvent.FlowEvent> = []
      const error = yield* Flow.events(flow, { bufferSize: 2 }).pipe(
        Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
        Effect.flip
      )
      assert.instanceOf(error, Boom)
      // The outer flow's start; the chain's start and end as a node, its own 301 events; a transition; the failing
      // node's start and failure; the outer flow's failure.
      assert.strictEqual(seen.length, 1 + 2 + 301 + 1 + 2 + 1)
      assert.deepStrictEqual(seen.slice(-3).map((e) => `${e._tag} ${e.path}`), [
        "NodeStarted outer/fail",
        "NodeFailed outer/fail",
        "FlowFailed outer"
      ])
    }))

  it.effect("stopping the stream early interrupts the run, even while it waits for room", () =>
    Effect.gen(function*() {
      let steps = 0
      const taken = yield* Stream.runCollect(
        Flow.events(chain(2000, () => steps++), { bufferSize: 1 }).pipe(Stream.take(5))
      )
      assert.strictEqual(taken.length, 5)
      const at = steps
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow
      assert.strictEqual(steps, at)
      assert.isBelow(steps, 10)
    }))

  it.effect("an interrupted run ends the stream without hanging", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Stream.runDrain(Flow.events(chain(2000), { bufferSize: 1 })))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause))
    }))

  it("a bad strategy names the three allowed", () => {
    const flow = Flow.make({ name: "ev", start: Node.make({ name: "a" }) })
    expectThrow(
      () => Flow.events(flow, { strategy: js("bogus") }),
      TypeError,
      "\"suspend\"",
      "\"sliding\"",
      "\"dropping\""
    )
  })
})
