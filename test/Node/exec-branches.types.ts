/**
 * Type-level check of the README's note "An exec that chooses between two effects of different types" (issue 17):
 * a conditional of two effects whose success (or error) types differ does not compile — TypeScript infers the exec's
 * type from one branch (TS2769 on the exec) — and the node then has `Node.make`'s fallback type, whose only action is
 * `"default"`, so the flow wiring it reports a second, misleading error far away ("tool" is not assignable to
 * "default"). The fixed forms (`Effect.gen`, an annotated return type) compile, infer the union, and keep the actions.
 * Checked by `tsc` (not run by vitest): if a broken line started to compile, its `@ts-expect-error` would be unused.
 */
import { Data, Effect } from "effect"
import { Flow, Node } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

declare const coin: boolean
class Offline extends Data.TaggedError("Offline")<{}> {}

const search = Node.make({ name: "search" })
const answer = Node.make({ name: "answer" })

// Broken: two success types in a conditional.
const broken = Node.make({
  name: "decide",
  // @ts-expect-error TS2769: `{ tool: string }` is not assignable to `string` (one branch's type wins)
  exec: () => coin ? Effect.succeed({ tool: "web" }) : Effect.succeed("just answer"),
  post: (_p, choice) => typeof choice === "string" ? Node.action("answer") : Node.action("tool")
})
// The knock-on error, far from its cause: the broken node's only action is "default".
check<Equals<Node.Action<typeof broken>, "default">>()
Flow.make({ name: "agent", start: broken }).pipe(
  // @ts-expect-error TS2345: "tool" is not assignable to "default"
  Flow.on(broken, "tool", search)
)

// Fixed with Effect.gen: the success type is the union of what it returns.
const viaGen = Node.make({
  name: "decide",
  exec: () =>
    Effect.gen(function*() {
      if (coin) return { tool: "web" }
      return "just answer"
    }),
  post: (_p, choice) => typeof choice === "string" ? Node.action("answer") : Node.action("tool")
})
check<Equals<Node.Action<typeof viaGen>, "answer" | "tool">>()
export const agent = Flow.make({ name: "agent", start: viaGen }).pipe(
  Flow.on(viaGen, "tool", search),
  Flow.on(viaGen, "answer", answer)
)

// Fixed with an annotated return type: success and error unions both.
const annotated = Node.make({
  name: "decide",
  exec: (): Effect.Effect<{ readonly tool: string } | string, Offline> =>
    coin ? Effect.succeed({ tool: "web" }) : coin ? Effect.fail(new Offline()) : Effect.succeed("just answer"),
  post: (_p, choice) => typeof choice === "string" ? Node.action("answer") : Node.action("tool")
})
check<Equals<Node.Action<typeof annotated>, "answer" | "tool">>()
check<Equals<Node.Error<typeof annotated>, Offline>>()
export const annotatedAgent = Flow.make({ name: "agent", start: annotated }).pipe(
  Flow.on(annotated, "tool", search),
  Flow.on(annotated, "answer", answer)
)
