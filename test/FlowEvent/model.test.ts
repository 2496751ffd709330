/**
 * Model events: with `{ model: true }`, `Flow.events` and `Durable.events` report every `LanguageModel` call in any
 * node (`ModelDelta`, `ToolCalled`, `ToolResult`, `ModelFinished`) with the node's path, in order, without the nodes
 * calling `Flow.emit`; for a model inside a nested flow, inside a parallel branch and inside a batch item. Without the
 * option nothing is reported.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema, Stream } from "effect"
import { LanguageModel, Tool, Toolkit } from "effect/ai"
import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"

const isModelEvent = (e: FlowEvent.FlowEvent) =>
  e._tag === "ModelDelta" || e._tag === "ToolCalled" || e._tag === "ToolResult" || e._tag === "ModelFinished" ||
  e._tag === "NodeStarted"

/** One line per model event (and node start, for placement): tag, path, and what it carries. */
const lines = (events: ReadonlyArray<FlowEvent.FlowEvent>) =>
  events.filter(isModelEvent).map((e) => {
    switch (e._tag) {
      case "ModelDelta":
        return `delta ${e.path} ${e.node} ${e.text}`
      case "ToolCalled":
        return `call ${e.path} ${e.name} ${JSON.stringify(e.params)}`
      case "ToolResult":
        return `result ${e.path} ${e.name} ${JSON.stringify(e.result)}`
      case "ModelFinished":
        return `finished ${e.path} ${e.usage.inputTokens.total} ${e.usage.outputTokens.total}`
      default:
        return `started ${e.path}`
    }
  })

const Search = Tool.make("search", { parameters: Schema.Struct({ query: Schema.String }), success: Schema.String })
const Tools = Toolkit.make(Search)
const handlers = Tools.toLayer({ search: ({ query }) => Effect.succeed(`hits for ${query}`) })

/** Streams the model's answer to `prompt` and returns its text: no `Flow.emit` anywhere. */
const streamed = (name: string, prompt: string) =>
  Node.make({
    name,
    exec: () =>
      LanguageModel.streamText({ prompt }).pipe(
        Stream.filter((p) => p.type === "text-delta"),
        Stream.map((p) => p.delta),
        Stream.mkString
      )
  })

const searching = Node.make({
  name: "research",
  exec: () => LanguageModel.generateText({ prompt: "research", toolkit: Tools })
})

describe("model events", () => {
  it.effect("a model in a nested flow: deltas, tool call, tool result and usage in order, with the node's path", () =>
    Effect.gen(function*() {
      const inner = Flow.make({ name: "inner", start: searching }).pipe(
        Flow.next(searching, streamed("write", "write it up"))
      )
      const outer = Flow.make({ name: "outer", start: inner })
      const model = TestLanguageModel.layer(
        [TestLanguageModel.toolCall("search", { query: "nobel" }, { text: "Looking" }), "Hinton and Hopfield"],
        { chunkSize: 8 }
      )
      const events = yield* Stream.runCollect(Flow.events(outer, { model: true })).pipe(
        Effect.provide(Layer.mergeAll(model, handlers))
      )
      assert.deepStrictEqual(lines(events), [
        "started outer/inner",
        "started outer/inner/research",
        "delta outer/inner/research research Looking",
        "call outer/inner/research search {\"query\":\"nobel\"}",
        "result outer/inner/research search \"hits for nobel\"",
        "finished outer/inner/research 1 1",
        "started outer/inner/write",
        "delta outer/inner/write write Hinton a",
        "delta outer/inner/write write nd Hopfi",
        "delta outer/inner/write write eld",
        "finished outer/inner/write 3 3"
      ])
    }))

  it.effect("models in parallel branches report under each branch's path", () =>
    Effect.gen(function*() {
      const both = Flow.parallel({ name: "both", branches: [streamed("a", "first"), streamed("b", "second")] })
      const flow = Flow.make({ name: "app", start: both })
      const model = TestLanguageModel.layer(({ text }) => text === "first" ? "alpha beta" : "gamma", { chunkSize: 5 })
      const events = yield* Stream.runCollect(Flow.events(flow, { model: true })).pipe(Effect.provide(model))
      const of = (path: string) => lines(events).filter((l) => l.split(" ")[1] === path)
      assert.deepStrictEqual(of("app/both/a"), [
        "started app/both/a",
        "delta app/both/a a alpha",
        "delta app/both/a a  beta",
        "finished app/both/a 1 2"
      ])
      assert.deepStrictEqual(of("app/both/b"), [
        "started app/both/b",
        "delta app/both/b b gamma",
        "finished app/both/b 1 1"
      ])
    }))

  it.effect("a batch item's model call carries the item index in runs", () =>
    Effect.gen(function*() {
      const each = Node.batch({
        name: "each",
        prep: Effect.succeed(["x", "y"]),
        exec: (item) => Effect.map(LanguageModel.generateText({ prompt: item }), (r) => r.text)
      })
      const model = TestLanguageModel.layer(({ text }) => text.toUpperCase())
      const events = yield* Stream.runCollect(Flow.events(Flow.make({ name: "f", start: each }), { model: true })).pipe(
        Effect.provide(model)
      )
      const deltas = events.filter(FlowEvent.is("ModelDelta"))
      assert.deepStrictEqual(deltas.map((d) => [d.path, d.runs, d.text]), [["f/each", [0], "X"], ["f/each", [1], "Y"]])
    }))

  it.effect("without { model: true } no model event is reported", () =>
    Effect.gen(function*() {
      const flow = Flow.make({ name: "f", start: searching })
      const events = yield* Stream.runCollect(Flow.events(flow)).pipe(
        Effect.provide(
          Layer.mergeAll(TestLanguageModel.layer([TestLanguageModel.toolCall("search", { query: "q" })]), handlers)
        )
      )
      assert.deepStrictEqual(lines(events), ["started f/research"])
    }))

  it.effect("Durable.events reports them too", () =>
    Effect.gen(function*() {
      class Store extends Shared.Service<Store>()("model/Store", { schema: Schema.Struct({ text: Schema.String }) }) {}
      const write = Node.make({
        name: "write",
        exec: () => Effect.map(LanguageModel.generateText({ prompt: "go" }), (r) => r.text),
        post: (_, text) => Store.set({ text })
      })
      const flow = Flow.make({ name: "durable", start: write })
      const events = yield* Stream.runCollect(
        Durable.events(flow, { id: "d", stores: [Store.initial({ text: "" })], model: true })
      ).pipe(Effect.provide(Layer.mergeAll(TestLanguageModel.layer(["done and dusted"]), Checkpointer.layerMemory)))
      assert.deepStrictEqual(lines(events), [
        "started durable/write",
        "delta durable/write write done and dusted",
        "finished durable/write 1 3"
      ])
    }))
})
