// The model-events workload's implementations, for any build of effect-pocketflow (`Lib`: ../dist, or the build of an
// older commit in ../.base/dist, see bench/base.mjs): a loop whose node asks a fake `LanguageModel` once per step.
// The fake answers at once with a constant reply, so the rows measure the library around the call, not a model.
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const reply = [
  { type: "text", text: "ok" },
  { type: "finish", reason: "stop", usage: { inputTokens: { total: 1 }, outputTokens: { total: 1 } } }
]

/** A `LanguageModel` that always answers "ok", with no recording, latency or scripting: the cheapest fake. */
const fakeModel = LanguageModel.make({
  generateText: () => Effect.succeed(reply),
  streamText: () =>
    Stream.fromIterable([
      { type: "text-delta", id: "0", delta: "ok" },
      reply[1]
    ])
})

export const modelLoops = (Lib) => {
  const { Flow, Node, Shared } = Lib
  const Store = Shared.Service()("bench/ModelLoopStore")

  /** prep reads the counter, exec asks the model, post counts the step and routes back until `n`. */
  const flowOf = (n) => {
    const ask = Node.make({
      name: "ask",
      prep: Effect.map(Store.get, (s) => s.n),
      exec: (x) => Effect.map(LanguageModel.generateText({ prompt: "ping" }), (r) => r.text === "ok" ? x + 1 : x),
      post: (_n, x) => Node.as(Store.set({ n: x }), x < n ? "again" : "done")
    })
    return Flow.on(
      Flow.on(Flow.make({ name: "model-loop", start: ask }), ask, "again", ask),
      ask,
      "done",
      Node.make({
        name: "end"
      })
    )
  }

  const counted = (program) =>
    Effect.runPromise(
      Effect.flatMap(fakeModel, (model) =>
        Effect.flatMap(Store.make({ n: 0 }), (store) =>
          program.pipe(
            Effect.andThen(Store.get),
            Effect.provideService(Store, store),
            Effect.provideService(LanguageModel.LanguageModel, model)
          )))
    ).then((s) => s.n)

  /** `Flow.run`: nobody observes. */
  const modelLoop = ({ n }) => {
    const flow = flowOf(n)
    return { run: () => counted(flow) }
  }

  /** Through a `Flow.events` subscriber, with or without `{ model: true }`. */
  const observed = (model) => ({ n }) => {
    const flow = flowOf(n)
    let events = 0
    let deltas = 0
    return {
      run: () => {
        events = 0
        deltas = 0
        const stream = Flow.events(flow, model ? { model: true } : undefined)
        return counted(Stream.runForEach(stream, (e) =>
          Effect.sync(() => {
            events++
            if (e._tag === "ModelDelta") deltas++
          })))
      },
      extra: () => ({ eventsPerRun: events, modelDeltasPerRun: deltas })
    }
  }

  return { modelLoop, modelLoopEvents: observed(false), modelLoopModelEvents: observed(true) }
}
