/** A flow that counts up to `to`, one checkpointed step at a time, `stepMillis` apart: a run with many events. */
import { Flow, Node, Shared } from "effect-pocketflow"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

export class Counter extends Shared.Service<Counter>()("test/Counter", {
  schema: Schema.Struct({ n: Schema.Number, to: Schema.Number })
}) {}

export const counting = (stepMillis: number) => {
  const tick = Node.make({
    name: "tick",
    prep: Counter.get,
    exec: () => Effect.sleep(stepMillis),
    post: (s) =>
      Effect.as(Counter.update((c) => ({ ...c, n: c.n + 1 })), s.n + 1 >= s.to ? "done" as const : "again" as const)
  })
  return Flow.make({ name: "counting", start: tick, maxSteps: 1000 }).pipe(Flow.on(tick, "again", tick))
}
