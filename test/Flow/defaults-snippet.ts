import { Effect, Schedule } from "effect"
import { Flow, Node } from "effect-pocketflow"

export const attempts = { search: 0, answer: 0 }

// Neither node sets a retry or a timeout of its own.
const search = Node.make({
  name: "search",
  exec: () => Effect.suspend(() => ++attempts.search < 3 ? Effect.fail("busy" as const) : Effect.succeed(3))
})
const answer = Node.make({
  name: "answer",
  exec: () => Effect.suspend(() => ++attempts.answer < 2 ? Effect.fail("busy" as const) : Effect.succeed("42"))
})
// A nested flow's defaults win over its parent's, option by option; a node's own options win over both.
const research = Flow.make({ name: "research", start: search, defaults: { retry: { times: 5 } } })

export const agent = Flow.make({
  name: "agent",
  start: research,
  defaults: { retry: { times: 1, schedule: Schedule.spaced("1 second") }, timeout: "30 seconds" }
}).pipe(Flow.next(research, answer))
// agent: Flow<"default", "busy" | NodeTimeout, never>

export const program = Flow.run(agent)
// search: 3 attempts (research's retry), answer: 2 attempts a second apart (agent's); each bounded by 30 seconds
