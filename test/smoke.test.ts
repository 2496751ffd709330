import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { Flow, Node } from "../src/index.ts"

it.effect("a flow runs its start node and returns its action", () =>
  Effect.gen(function*() {
    const hello = Node.make({ name: "hello", post: () => Node.action("done") })
    const action = yield* Flow.run(Flow.make({ name: "hi", start: hello }))
    assert.strictEqual(action, "done")
  }))
