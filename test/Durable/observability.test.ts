/**
 * A durable run is observable: spans `durable.claim`, `durable.restore` and `durable.save` carry the run id (and the
 * saved version), its logs carry `pocketflow.run`, and `Durable.events` streams the durable events.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, References, Schema, Stream, Tracer } from "effect"
import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "../../src/index.ts"
import { recording } from "../support/tracing.ts"

class Store extends Shared.Service<Store>()("obs/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}

const inc = Node.make({
  name: "inc",
  exec: () => Effect.logInfo("incrementing"),
  post: () => Store.update((s) => ({ n: s.n + 1 }))
})
const flow = Flow.make({ name: "obs", start: inc })

describe("durable observability", () => {
  it.effect("spans durable.claim, durable.restore and durable.save name the run and the version", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      yield* Durable.run(flow, { id: "traced", stores: [Store.initial({ n: 0 })] }).pipe(
        Effect.provideService(Tracer.Tracer, tracer),
        Effect.provideService(References.TracerEnabled, true)
      )
      const named = (name: string) => spans.filter((s) => s.name === name)
      assert.strictEqual(named("durable.claim").length, 1)
      assert.strictEqual(named("durable.claim")[0]!.attributes.get("pocketflow.run"), "traced")
      assert.strictEqual(named("durable.restore").length, 1)
      // claim (v1), inc, the flow's end (done)
      assert.deepStrictEqual(named("durable.save").map((s) => s.attributes.get("pocketflow.version")), [1, 2, 3])
      assert.deepStrictEqual(named("durable.save").map((s) => s.attributes.get("pocketflow.status")), [
        "running",
        "running",
        "done"
      ])
      assert.isTrue(named("durable.save").every((s) => s.attributes.get("pocketflow.run") === "traced"))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("logs inside a durable run carry pocketflow.run", () =>
    Effect.gen(function*() {
      const annotations: Array<Record<string, unknown>> = []
      const logger = Logger.make((options) => {
        annotations.push({ ...options.fiber.getRef(References.CurrentLogAnnotations) })
      })
      yield* Durable.run(flow, { id: "logged", stores: [Store.initial({ n: 0 })] }).pipe(
        Effect.provide(Logger.layer([logger]))
      )
      assert.isTrue(annotations.length > 0)
      assert.isTrue(annotations.every((a) => a["pocketflow.run"] === "logged"))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Durable.events streams node events, CheckpointSaved, Suspended and Resumed", () =>
    Effect.gen(function*() {
      const Ok = Durable.input("ok", { answer: Schema.Boolean })
      const ask = Node.make({ name: "ask", exec: () => Ok.ask() })
      const asking = Flow.make({ name: "asking", start: inc }).pipe(Flow.next(inc, ask))
      const first = yield* Stream.runCollect(Durable.events(asking, { id: "ev", stores: [Store.initial({ n: 0 })] }))
      assert.deepStrictEqual(Array.from(first, FlowEvent.format).map((l) => l.replace(/ in [\d.]+m?s$/, "")), [
        "asking: checkpoint v1 (running)",
        "asking: flow started",
        "asking/inc: started (node)",
        "asking: checkpoint v2 (running)",
        "asking/inc: finished with \"default\"",
        "asking: inc --default--> ask",
        "asking/ask: started (node)",
        "asking: checkpoint v3 (suspended)",
        "asking: suspended, waiting for asking/ask#1/ok#1"
      ])
      yield* Durable.answer({ id: "ev", input: Ok, value: true })
      const second = yield* Stream.runCollect(Durable.events(asking, { id: "ev", stores: [Store.initial({ n: 0 })] }))
      const tags = Array.from(second, (e) => e._tag)
      assert.deepStrictEqual(tags.slice(0, 2), ["CheckpointSaved", "Resumed"])
      assert.include(tags, "FlowFinished")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})
