/**
 * Type-level guarantees of `Flow.parallel`, checked by `tsc` (not run by vitest). Each
 * `// @ts-expect-error` marks a line that must not compile.
 */
import { Context, Data, Effect } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

class Store extends Shared.Service<Store, { readonly n: number }>()("types/parallel/Store") {}
class Web extends Context.Service<Web, { readonly get: (url: string) => Effect.Effect<string> }>()("types/Web") {}
class WebError extends Data.TaggedError("WebError")<{}> {}
class PaperError extends Data.TaggedError("PaperError")<{}> {}
class JoinError extends Data.TaggedError("JoinError")<{}> {}
class Audit extends Context.Service<Audit, { readonly note: (s: string) => Effect.Effect<void> }>()("types/Audit") {}

declare const coin: boolean

const web = Node.make({
  name: "web",
  prep: Web,
  exec: (w) => coin ? w.get("x") : Effect.fail(new WebError()),
  post: () => Node.action(coin ? "found" : "empty")
})
const papers = Node.make({
  name: "papers",
  prep: Store.get,
  exec: () => coin ? Effect.succeed(1) : Effect.fail(new PaperError())
})
const inner = Flow.make({ name: "inner", start: papers })

// Without post: "default", errors and requirements are the branches' union.
const plain = Flow.parallel({ name: "plain", branches: [web, inner] })
check<Equals<Node.Action<typeof plain>, "default">>()
check<Equals<Node.Error<typeof plain>, WebError | PaperError>>()
check<Equals<Node.Services<typeof plain>, Web | Store>>()

// With post: its action; post's errors and requirements join the union; post sees each branch's action, in order.
const joined = Flow.parallel({
  name: "joined",
  branches: [web, inner],
  concurrency: 2,
  post: (actions) => {
    check<Equals<typeof actions, readonly ["found" | "empty", "default"]>>()
    return Effect.flatMap(Audit, (a) => a.note(actions[0])).pipe(
      Effect.andThen(coin ? Effect.fail(new JoinError()) : Effect.void),
      Effect.andThen(Node.action(actions[0] === "found" ? "write" : "give-up"))
    )
  }
})
check<Equals<Node.Action<typeof joined>, "write" | "give-up">>()
check<Equals<Node.Error<typeof joined>, WebError | PaperError | JoinError>>()
check<Equals<Node.Services<typeof joined>, Web | Store | Audit>>()

// A post that returns nothing means "default".
const quiet = Flow.parallel({ name: "quiet", branches: [web], post: () => Effect.void })
check<Equals<Node.Action<typeof quiet>, "default">>()

// The block is a node: flows wire its actions, and only those.
const write = Node.make({ name: "write" })
Flow.make({ name: "app", start: joined }).pipe(Flow.on(joined, "write", write))
// @ts-expect-error "nope" is not an action of the block
Flow.make({ name: "app", start: joined }).pipe(Flow.on(joined, "nope", write))

// @ts-expect-error branches must be nodes
Flow.parallel({ name: "bad", branches: [Effect.void] })

Flow.parallel({
  name: "bad-post",
  branches: [web],
  // @ts-expect-error post's actions are the branches' actions: a branch has no third action
  post: (actions) => Node.action(actions[1])
})

// @ts-expect-error concurrency is a number or "unbounded"
Flow.parallel({ name: "bad-concurrency", branches: [web], concurrency: "2" })
