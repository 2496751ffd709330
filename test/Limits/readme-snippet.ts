import { Effect } from "effect"
import { Flow, Limits, Node } from "effect-pocketflow"

export const gauge = { inFlight: 0, most: 0 }
const callModel = (prompt: string) =>
  Effect.gen(function*() {
    gauge.most = Math.max(gauge.most, ++gauge.inFlight)
    yield* Effect.sleep("1 second") // the model at work
    gauge.inFlight--
    return `reply to ${prompt}`
  })

const questions = Node.batch({
  name: "questions",
  prep: Effect.succeed(["q1", "q2", "q3", "q4"]),
  exec: callModel,
  concurrency: 4,
  limit: "openai"
})
const summaries = Node.batch({
  name: "summaries",
  prep: Effect.succeed(["s1", "s2"]),
  exec: callModel,
  concurrency: "unbounded",
  limit: "openai"
})
const both = Flow.parallel({ name: "both", branches: [questions, summaries] })
// both: Node<"default", never, Limits>

export const program = Flow.run(Flow.make({ name: "app", start: both })).pipe(
  Effect.provide(Limits.layer({ openai: { concurrency: 2, rate: { limit: 500, window: "1 minute" } } }))
)
// 6 model calls, never more than 2 at once across both batches: done after 3 seconds
