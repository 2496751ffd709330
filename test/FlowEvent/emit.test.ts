/**
 * `Flow.emit`: custom events from inside a node reach `Flow.events` subscribers with the node's path, run indices and
 * name; with nobody observing it does nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Stream, Tracer } from "effect"
import { Flow, FlowEvent, Node } from "../../src/index.ts"

const customs = <E, R>(stream: Stream.Stream<FlowEvent.FlowEvent, E, R>) =>
  Effect.map(
    Stream.runCollect(stream),
    (events) =>
      Array.from(events).filter(FlowEvent.is("Custom")).map(({ data, node, path, runs }) => ({
        path,
        runs,
        node,
        data
      }))
  )

class Item extends Context.Service<Item, { readonly id: number }>()("test/emit/Item") {}

describe("Flow.emit", () => {
  it.effect("prep, exec and post each reach the subscriber as Custom events, in order, with the node's path", () =>
    Effect.gen(function*() {
      const talk = Node.make({
        name: "talk",
        prep: Flow.emit("prep"),
        exec: () => Effect.forEach(["Hel", "lo"], (token) => Flow.emit({ token }), { discard: true }),
        post: () => Flow.emit("post")
      })
      const inner = Flow.make({ name: "inner", start: talk })
      const outer = Flow.make({ name: "outer", start: inner })
      const events = yield* customs(Flow.events(outer))
      assert.deepStrictEqual(events, [
        { path: "outer/inner/talk", runs: [], node: "talk", data: "prep" },
        { path: "outer/inner/talk", runs: [], node: "talk", data: { token: "Hel" } },
        { path: "outer/inner/talk", runs: [], node: "talk", data: { token: "lo" } },
        { path: "outer/inner/talk", runs: [], node: "talk", data: "post" }
      ])
      assert.strictEqual(
        FlowEvent.format(FlowEvent.Custom(events[1])),
        "outer/inner/talk: {\"token\":\"Hel\"}"
      )
    }))

  it.effect("inside batch flows and batch items, runs tells concurrent emitters apart", () =>
    Effect.gen(function*() {
      const each = Node.make({ name: "each", prep: Item, exec: (item) => Flow.emit(item.id) })
      const perItem = Flow.batch({
        name: "per-item",
        flow: each,
        params: Item,
        prep: Effect.succeed([{ id: 10 }, { id: 20 }])
      })
      const items = Node.batch({ name: "items", prep: Effect.succeed(["a", "b"]), exec: (s: string) => Flow.emit(s) })
      const flow = Flow.make({ name: "flow", start: perItem }).pipe(Flow.next(perItem, items))
      assert.deepStrictEqual(yield* customs(Flow.events(flow)), [
        { path: "flow/per-item/each", runs: [0], node: "each", data: 10 },
        { path: "flow/per-item/each", runs: [1], node: "each", data: 20 },
        { path: "flow/items", runs: [0], node: "items", data: "a" },
        { path: "flow/items", runs: [1], node: "items", data: "b" }
      ])
    }))

  it.effect("parallel branches emit under their own paths", () =>
    Effect.gen(function*() {
      const a = Node.make({ name: "a", exec: () => Flow.emit("from a") })
      const b = Node.make({ name: "b", exec: () => Flow.emit("from b") })
      const par = Flow.parallel({ name: "par", branches: [a, b], concurrency: 1 })
      const events = yield* customs(Flow.events(Flow.make({ name: "flow", start: par })))
      assert.deepStrictEqual(events.map((e) => `${e.path} ${String(e.data)}`), [
        "flow/par/a from a",
        "flow/par/b from b"
      ])
    }))

  it.effect("a node run on its own under Flow.events emits with its own name as path", () =>
    Effect.gen(function*() {
      const solo = Node.make({ name: "solo", exec: () => Flow.emit(1) })
      assert.deepStrictEqual(yield* customs(Flow.events(solo)), [{ path: "solo", runs: [], node: "solo", data: 1 }])
    }))

  it.effect("an unobserved run emitting while another run is observed reaches nobody", () =>
    Effect.gen(function*() {
      const chatty = (name: string) =>
        Node.make({
          name,
          exec: () =>
            Effect.forEach([1, 2, 3], (i) => Effect.andThen(Effect.yieldNow, Flow.emit(`${name}${i}`)), {
              discard: true
            })
        })
      const observed = Flow.make({ name: "observed", start: chatty("o") })
      const plain = Flow.make({ name: "plain", start: chatty("p") })
      const [events] = yield* Effect.all([customs(Flow.events(observed)), Flow.run(plain)], {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(events.map((e) => e.data), ["o1", "o2", "o3"])
    }))

  it.effect("with nobody observing it does nothing, also when only a tracer observes (no subscriber)", () =>
    Effect.gen(function*() {
      const talk = Node.make({ name: "talk", exec: () => Flow.emit("x"), post: () => Node.action("done") })
      const flow = Flow.make({ name: "flow", start: talk })
      assert.strictEqual(yield* Flow.run(flow), "done")
      assert.strictEqual(yield* Flow.emit("outside any flow"), undefined)
      const spans: Array<string> = []
      const tracer = Tracer.make({
        span: (options) => {
          spans.push(options.name)
          return new Tracer.NativeSpan(options)
        }
      })
      assert.strictEqual(yield* Flow.run(flow).pipe(Effect.withTracer(tracer)), "done")
      assert.deepStrictEqual(spans, ["flow", "talk"])
      assert.strictEqual((yield* customs(Flow.events(flow))).length, 1)
    }))
})
