/**
 * `Flow.events`: the event stream of a flow run (order, paths, run indices, retries, fallbacks,
 * batch progress, durations on the TestClock, failure, the bounded buffer). Issue 7, defect 7: the stream always
 * ends with the run's final event, after `EventsDropped`, whatever the buffer size; sub-flows run by concurrent items
 * of a batch node carry the item index.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Data, Deferred, Duration, Effect, Fiber, Ref, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Flow, FlowEvent, Node } from "../../src/index.ts"
import { expectThrow, js } from "../support/throws.ts"

const collect = <E, R>(stream: Stream.Stream<FlowEvent.FlowEvent, E, R>) =>
  Effect.map(Stream.runCollect(stream), (events) => Array.from(events))

/** `tag path` lines, enough to check order and placement. */
const outline = (events: ReadonlyArray<FlowEvent.FlowEvent>) =>
  events.map((e) => `${e._tag} ${e.path}${e.runs.length === 0 ? "" : ` #${e.runs.join(".")}`}`)

/** An agent that searches `searches` times, then answers. */
const makeAgent = (searches: number) => {
  let left = searches
  const decide = Node.make({
    name: "decide",
    post: () =>
      Effect.sync(() => left-- > 0).pipe(Effect.flatMap((s) => s ? Node.action("search") : Node.action("answer")))
  })
  const search = Node.make({ name: "search", exec: () => Effect.void })
  const answer = Node.make({ name: "answer", post: () => Node.action("done") })
  return Flow.make({ name: "agent", start: decide }).pipe(
    Flow.on(decide, "search", search),
    Flow.on(decide, "answer", answer),
    Flow.next(search, decide)
  )
}

describe("Flow.events", () => {
  it.effect("emits flow, node and transition events in run order", () =>
    Effect.gen(function*() {
      const events = yield* collect(Flow.events(makeAgent(1)))
      assert.deepStrictEqual(outline(events), [
        "FlowStarted agent",
        "NodeStarted agent/decide",
        "NodeFinished agent/decide",
        "Transition agent",
        "NodeStarted agent/search",
        "NodeFinished agent/search",
        "Transition agent",
        "NodeStarted agent/decide",
        "NodeFinished agent/decide",
        "Transition agent",
        "NodeStarted agent/answer",
        "NodeFinished agent/answer",
        "FlowFinished agent"
      ])
      const transitions = events.filter(FlowEvent.is("Transition")).map((t) => `${t.from} -${t.action}-> ${t.to}`)
      assert.deepStrictEqual(transitions, [
        "decide -search-> search",
        "search -default-> decide",
        "decide -answer-> answer"
      ])
      const last = events[events.length - 1]
      assert.isTrue(last?._tag === "FlowFinished" && last.action === "done")
    }))

  it.effect("measures durations with the Clock", () =>
    Effect.gen(function*() {
      const slow = Node.make({ name: "slow", exec: () => Effect.sleep("5 seconds") })
      const fast = Node.make({ name: "fast" })
      const flow = Flow.make({ name: "timed", start: slow }).pipe(Flow.next(slow, fast))
      const fiber = yield* Effect.forkChild(collect(Flow.events(flow)))
      yield* TestClock.adjust("5 seconds")
      const events = yield* Fiber.join(fiber)
      const durations = events.filter(FlowEvent.is("NodeFinished")).map((e) => [e.node, Duration.toMillis(e.duration)])
      assert.deepStrictEqual(durations, [["slow", 5000], ["fast", 0]])
      const end = events.find(FlowEvent.is("FlowFinished"))
      assert.strictEqual(end && Duration.toMillis(end.duration), 5000)
    }))

  it.effect("reports each scheduled retry with attempt, error and delay, then the fallback", () =>
    Effect.gen(function*() {
      const flaky = Node.make({
        name: "flaky",
        exec: () => Effect.flatMap(Node.CurrentAttempt, (n) => Effect.fail(`boom ${n}`)),
        retry: { times: 2, schedule: Schedule.spaced("1 second") },
        fallback: () => Effect.succeed("fallback")
      })
      const fiber = yield* Effect.forkChild(collect(Flow.events(Flow.make({ name: "f", start: flaky }))))
      yield* TestClock.adjust("2 seconds")
      const events = yield* Fiber.join(fiber)
      const retries = events.filter(FlowEvent.is("RetryScheduled"))
      assert.deepStrictEqual(
        retries.map((r) => [r.path, r.attempt, r.error, Duration.toMillis(r.delay), r.item]),
        [["f/flaky", 1, "boom 1", 1000, undefined], ["f/flaky", 2, "boom 2", 1000, undefined]]
      )
      const fallback = events.filter(FlowEvent.is("FallbackUsed"))
      assert.deepStrictEqual(fallback.map((f) => [f.path, f.error]), [["f/flaky", "boom 3"]])
      assert.deepStrictEqual(outline(events).slice(-2), ["NodeFinished f/flaky", "FlowFinished f"])
    }))

  it.effect("reports batch progress of a batch node, with the item index on retries", () =>
    Effect.gen(function*() {
      const double = Node.batch({
        name: "double",
        prep: Effect.succeed([1, 2, 3]),
        exec: (n: number) =>
          Effect.flatMap(
            Node.CurrentAttempt,
            (attempt) => n === 2 && attempt === 1 ? Effect.fail("once") : Effect.succeed(n * 2)
          ),
        retry: { times: 1 }
      })
      const events = yield* collect(Flow.events(Flow.make({ name: "batch", start: double })))
      const progress = events.filter(FlowEvent.is("BatchProgress")).map((p) => `${p.path} ${p.done}/${p.total}`)
      assert.deepStrictEqual(progress, ["batch/double 0/3", "batch/double 1/3", "batch/double 2/3", "batch/double 3/3"])
      const retry = events.find(FlowEvent.is("RetryScheduled"))
      assert.strictEqual(retry?.item, 1)
      assert.strictEqual(retry?.path, "batch/double")
    }))

  it.effect("tags events inside batch flows with the run index, under the path of nested flows", () =>
    Effect.gen(function*() {
      class Item extends Context.Service<Item, { readonly id: number }>()("test/events/Item") {}
      const show = Node.make({ name: "show", prep: Item, exec: () => Effect.void })
      const inner = Flow.make({ name: "inner", start: show })
      const each = Flow.batch({ name: "each", flow: inner, params: Item, prep: Effect.succeed([{ id: 1 }, { id: 2 }]) })
      const outer = Flow.make({ name: "outer", start: each })
      const events = yield* collect(Flow.events(outer))
      assert.deepStrictEqual(outline(events), [
        "FlowStarted outer",
        "NodeStarted outer/each",
        "BatchProgress outer/each",
        "NodeStarted outer/each/inner #0",
        "FlowStarted outer/each/inner #0",
        "NodeStarted outer/each/inner/show #0",
        "NodeFinished outer/each/inner/show #0",
        "FlowFinished outer/each/inner #0",
        "NodeFinished outer/each/inner #0",
        "BatchProgress outer/each",
        "NodeStarted outer/each/inner #1",
        "FlowStarted outer/each/inner #1",
        "NodeStarted outer/each/inner/show #1",
        "NodeFinished outer/each/inner/show #1",
        "FlowFinished outer/each/inner #1",
        "NodeFinished outer/each/inner #1",
        "BatchProgress outer/each",
        "NodeFinished outer/each",
        "FlowFinished outer"
      ])
      const progress = events.filter(FlowEvent.is("BatchProgress")).map((p) => `${p.done}/${p.total}`)
      assert.deepStrictEqual(progress, ["0/2", "1/2", "2/2"])
    }))

  it.effect("reports an action without an edge when the node has other edges", () =>
    Effect.gen(function*() {
      const giveUp = true
      const check = Node.make({ name: "check", post: () => giveUp ? Node.action("giveUp") : Node.action("retry") })
      const retry = Node.make({ name: "retry" })
      const flow = Flow.make({ name: "checker", start: check }).pipe(Flow.on(check, "retry", retry))
      const events = yield* collect(Flow.events(flow))
      const unmatched = events.filter(FlowEvent.is("UnmatchedAction"))
      assert.deepStrictEqual(unmatched.map((u) => [u.path, u.node, u.action, u.known]), [[
        "checker",
        "check",
        "giveUp",
        ["retry"]
      ]])
    }))

  it.effect("fails with the flow's error after emitting NodeFailed and FlowFailed", () =>
    Effect.gen(function*() {
      const ok = Node.make({ name: "ok" })
      const broken = Node.make({ name: "broken", exec: () => Effect.fail("disk full" as const) })
      const flow = Flow.make({ name: "f", start: ok }).pipe(Flow.next(ok, broken))
      const seen: Array<FlowEvent.FlowEvent> = []
      const error = yield* Flow.events(flow).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e))),
        Effect.flip
      )
      assert.strictEqual(error, "disk full")
      assert.deepStrictEqual(outline(seen).slice(-3), ["NodeStarted f/broken", "NodeFailed f/broken", "FlowFailed f"])
      const failed = seen[seen.length - 1]
      assert.isTrue(failed?._tag === "FlowFailed" && Cause.hasFails(failed.cause))
    }))

  it.effect("accepts a node that is not a flow as the root", () =>
    Effect.gen(function*() {
      const alone = Node.batch({ name: "alone", prep: Effect.succeed(["a"]), exec: () => Effect.void })
      const events = yield* collect(Flow.events(alone))
      assert.deepStrictEqual(outline(events), [
        "NodeStarted alone",
        "BatchProgress alone",
        "BatchProgress alone",
        "NodeFinished alone"
      ])
    }))

  it.effect("stopping the stream early interrupts the flow", () =>
    Effect.gen(function*() {
      const reached = yield* Ref.make(false)
      const first = Node.make({ name: "first", exec: () => Effect.sleep("1 second") })
      const second = Node.make({ name: "second", exec: () => Ref.set(reached, true) })
      const flow = Flow.make({ name: "f", start: first }).pipe(Flow.next(first, second))
      const events = yield* collect(Flow.events(flow).pipe(Stream.take(2)))
      assert.deepStrictEqual(outline(events), ["FlowStarted f", "NodeStarted f/first"])
      yield* TestClock.adjust("2 seconds")
      assert.isFalse(yield* Ref.get(reached))
    }))
})

describe("Flow.events buffer", () => {
  /** 51 steps (50 ticks, then stop): 102 node events, 50 transitions, the flow's start and end. */
  const makeLoop = () => {
    let n = 0
    const tick = Node.make({
      name: "tick",
      post: () => Effect.suspend(() => ++n < 50 ? Node.action("again") : Node.action("stop"))
    })
    const stop = Node.make({ name: "stop" })
    return Flow.make({ name: "loop", start: tick }).pipe(Flow.on(tick, "again", tick), Flow.on(tick, "stop", stop))
  }

  it.effect("sliding: a subscriber that never keeps up does not hold the flow back", () =>
    Effect.gen(function*() {
      const finished = yield* Deferred.make<void>()
      const tick = Node.make({ name: "tick" })
      const last = Node.make({ name: "last", exec: () => Deferred.succeed(finished, undefined) })
      const flow = Flow.make({ name: "f", start: tick }).pipe(Flow.next(tick, last))
      // The subscriber takes an hour per event; the clock never moves, yet the flow reaches its end.
      const subscriber = yield* Effect.forkChild(
        Flow.events(flow, { bufferSize: 2, strategy: "sliding" }).pipe(Stream.runForEach(() => Effect.sleep("1 hour")))
      )
      yield* Deferred.await(finished)
      yield* Fiber.interrupt(subscriber)
    }))

  // Issue 7 (defect 7) moved the run's final event after EventsDropped: the stream always ends with it.
  // Issue 17 (defect 16) made "suspend" the default; sliding and dropping stay for monitors.
  it.effect("sliding: keeps the latest events, then EventsDropped, then the final event", () =>
    Effect.gen(function*() {
      const all = yield* collect(Flow.events(makeLoop()))
      assert.strictEqual(all.length, 154)
      const events = yield* collect(Flow.events(makeLoop(), { bufferSize: 8, strategy: "sliding" }))
      const dropped = events[events.length - 2]
      assert.isTrue(dropped?._tag === "EventsDropped")
      const kept = events.slice(0, -2)
      assert.strictEqual(kept.length + 1 + (dropped?._tag === "EventsDropped" ? dropped.count : 0), all.length)
      assert.deepStrictEqual(outline(kept), outline(all.slice(all.length - 1 - kept.length, -1)))
      assert.strictEqual(events[events.length - 1]?._tag, "FlowFinished")
    }))

  it.effect("dropping: keeps the earliest events, then EventsDropped, then the final event", () =>
    Effect.gen(function*() {
      const all = yield* collect(Flow.events(makeLoop()))
      const events = yield* collect(Flow.events(makeLoop(), { bufferSize: 8, strategy: "dropping" }))
      const dropped = events[events.length - 2]
      const kept = events.slice(0, -2)
      assert.isTrue(dropped?._tag === "EventsDropped")
      assert.strictEqual(kept.length + 1 + (dropped?._tag === "EventsDropped" ? dropped.count : 0), all.length)
      assert.deepStrictEqual(outline(kept), outline(all.slice(0, kept.length)))
      assert.strictEqual(events[events.length - 1]?._tag, "FlowFinished")
    }))

  it.effect("a subscriber that keeps up loses nothing", () =>
    Effect.gen(function*() {
      const events = yield* collect(Flow.events(makeLoop()))
      assert.isFalse(events.some(FlowEvent.is("EventsDropped")))
    }))
})

describe("FlowEvent.format", () => {
  it("describes events on one line", () => {
    assert.strictEqual(
      FlowEvent.format(FlowEvent.NodeFinished({
        path: "a/b",
        runs: [2],
        node: "b",
        kind: "node",
        action: "next",
        duration: Duration.millis(1234.4)
      })),
      "a/b #2: finished with \"next\" in 1234ms"
    )
    assert.strictEqual(
      FlowEvent.format(
        FlowEvent.Transition({ path: "agent", runs: [], from: "decide", action: "search", to: "search" })
      ),
      "agent: decide --search--> search"
    )
  })
})

class Boom extends Data.TaggedError("Boom")<{}> {}

/** 20 steps, then "stop". */
const twentySteps = (fail = false) => {
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
          const all = yield* collect(Flow.events(twentySteps()))
          const events = yield* collect(Flow.events(twentySteps(), { bufferSize, strategy }))
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
      const error = yield* Flow.events(twentySteps(true), { bufferSize: 1, strategy: "sliding" }).pipe(
        Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
        Effect.flip
      )
      assert.instanceOf(error, Boom)
      assert.deepStrictEqual(seen.slice(-2).map((e) => e._tag), ["EventsDropped", "FlowFailed"])
    }))

  it.effect("7.7 a node run on its own ends with its NodeFinished", () =>
    Effect.gen(function*() {
      const node = Node.batch({ name: "items", prep: Effect.succeed([1, 2, 3, 4, 5]), exec: () => Effect.void })
      const events = yield* collect(Flow.events(node, { bufferSize: 1, strategy: "sliding" }))
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

describe("7.5 Flow.events checks its options when the stream is made", () => {
  it("7.5 Flow.events(undefined) and strategy: \"bogus\" throw a TypeError", () => {
    expectThrow(() => Flow.events(js(undefined)), TypeError, "Flow.events", "undefined")
    const flow = Flow.make({ name: "ev", start: Node.make({ name: "a" }) })
    expectThrow(() => Flow.events(flow, { strategy: js("bogus") }), TypeError, "\"ev\"", "strategy", "\"bogus\"")
    expectThrow(() => Flow.events(flow, { bufferSize: js("8") }), TypeError, "bufferSize")
    expectThrow(() => Flow.events(flow, { bufferSize: 0 }), RangeError, "bufferSize")
  })
})
