/**
 * Type-level guarantees of nodes, checked by `tsc` (this file is type-checked through tsconfig's "test" include and is
 * not run by vitest). Each `// @ts-expect-error` marks a line that must not compile: if the guarantee broke, the line
 * would compile and tsc would report the unused directive. The 7.x sections are issue 7's type-level defects.
 */
import { Context, Data, type Duration, Effect } from "effect"
import { Node, type NodeTimeout, Shared } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

class Store extends Shared.Service<Store, { readonly question: string; readonly n: number }>()("types/Store") {}
class Llm extends Context.Service<Llm, { readonly ask: (q: string) => Effect.Effect<string, LlmError> }>()(
  "types/Llm"
) {}
class LlmError extends Data.TaggedError("LlmError")<{ readonly reason: string }> {}
class PrepError extends Data.TaggedError("PrepError")<{}> {}
class PostError extends Data.TaggedError("PostError")<{}> {}
class FallbackError extends Data.TaggedError("FallbackError")<{}> {}
class Offline extends Data.TaggedError("Offline")<{}> {}
class BadReply extends Data.TaggedError("BadReply")<{}> {}

declare const coin: boolean
declare const cfg: { readonly timeout: Duration.Input | undefined }

// ---------------------------------------------------------------------------------------------------
// action inference from post
// ---------------------------------------------------------------------------------------------------

const noPost = Node.make({ name: "no-post", exec: () => Effect.succeed(1) })
check<Equals<Node.Action<typeof noPost>, "default">>()

const voidPost = Node.make({ name: "void-post", post: () => Effect.void })
check<Equals<Node.Action<typeof voidPost>, "default">>()

const withAction = Node.make({ name: "with-action", post: () => Node.action("done") })
check<Equals<Node.Action<typeof withAction>, "done">>()

const withActions = Node.make({ name: "with-actions", post: () => (coin ? Node.action("left") : Node.action("right")) })
check<Equals<Node.Action<typeof withActions>, "left" | "right">>()

const withAs = Node.make({ name: "with-as", post: () => Store.update((s) => s).pipe(Node.as("saved")) })
check<Equals<Node.Action<typeof withAs>, "saved">>()

const withAsDataFirst = Node.make({ name: "with-as-2", post: () => Node.as(Effect.log("x"), "logged") })
check<Equals<Node.Action<typeof withAsDataFirst>, "logged">>()

const fromGen = Node.make({
  name: "from-gen",
  post: () =>
    Effect.gen(function*() {
      const { n } = yield* Store.get
      return n > 0 ? "positive" : "negative"
    })
})
check<Equals<Node.Action<typeof fromGen>, "positive" | "negative">>()

const fromGenMaybe = Node.make({
  name: "from-gen-maybe",
  post: () =>
    Effect.gen(function*() {
      if (coin) return "stop"
    })
})
check<Equals<Node.Action<typeof fromGenMaybe>, "stop" | "default">>()

const fromGenConst = Node.make({
  name: "from-gen-const",
  post: () =>
    Effect.gen(function*() {
      yield* Effect.void
      return "only" as const
    })
})
check<Equals<Node.Action<typeof fromGenConst>, "only">>()

// an explicit "default" next to another action keeps both
const explicitDefault = Node.make({
  name: "explicit-default",
  post: () => (coin ? Node.action("retry") : Node.action("default"))
})
check<Equals<Node.Action<typeof explicitDefault>, "retry" | "default">>()

const batchAction = Node.batch({
  name: "batch-action",
  prep: Effect.succeed([1, 2]),
  exec: (n) => Effect.succeed(n * 2),
  post: (_items, results) => Node.action(results.length > 0 ? "some" : "none")
})
check<Equals<Node.Action<typeof batchAction>, "some" | "none">>()
const batchNoPost = Node.batch({ name: "batch-no-post", prep: Effect.succeed(["a"]), exec: (s) => Effect.succeed(s) })
check<Equals<Node.Action<typeof batchNoPost>, "default">>()

// ---------------------------------------------------------------------------------------------------
// errors and requirements of nodes
// ---------------------------------------------------------------------------------------------------

const ask = Node.make({
  name: "ask",
  // `.pipe` form: a data-first Effect.flatMap(Store.get, f) here would leave prep's type uninferred (TS limitation)
  prep: Store.get.pipe(Effect.flatMap((s) => (s.n < 0 ? Effect.fail(new PrepError()) : Effect.succeed(s.question)))),
  exec: (question) => Effect.flatMap(Effect.service(Llm), (llm) => llm.ask(question)),
  post: (_q, answer) => (answer === "" ? Effect.fail(new PostError()) : Node.action("answered"))
})
check<Equals<Node.Action<typeof ask>, "answered">>()
check<Equals<Node.Error<typeof ask>, PrepError | LlmError | PostError>>()
check<Equals<Node.Services<typeof ask>, Store | Llm>>()
// a node is an Effect of its action
const askEffect: Effect.Effect<"answered", PrepError | LlmError | PostError, Store | Llm> = Node.run(ask)
void askEffect

// fallback replaces exec's error type with the fallback's own
const withFallback = Node.make({
  name: "with-fallback",
  exec: () => Effect.fail(new LlmError({ reason: "down" })),
  fallback: (_prep, error) => {
    check<Equals<typeof error, LlmError | NodeTimeout>>()
    return coin ? Effect.succeed(undefined) : Effect.fail(new FallbackError())
  }
})
check<Equals<Node.Error<typeof withFallback>, FallbackError>>()
const infallibleFallback = Node.make({
  name: "infallible-fallback",
  exec: () => Effect.fail(new LlmError({ reason: "down" })),
  fallback: () => Effect.succeed(undefined)
})
check<Equals<Node.Error<typeof infallibleFallback>, never>>()

// timeout adds NodeTimeout
const timed = Node.make({
  name: "timed",
  exec: () => Effect.fail(new LlmError({ reason: "slow" })),
  timeout: "1 second"
})
check<Equals<Node.Error<typeof timed>, LlmError | NodeTimeout>>()
const untimed = Node.make({ name: "untimed", exec: () => Effect.fail(new LlmError({ reason: "slow" })) })
check<Equals<Node.Error<typeof untimed>, LlmError>>()
// with a fallback, NodeTimeout is handled there too
const timedWithFallback = Node.make({
  name: "timed-fallback",
  exec: () => Effect.fail(new LlmError({ reason: "slow" })),
  timeout: "1 second",
  fallback: () => Effect.succeed(undefined)
})
check<Equals<Node.Error<typeof timedWithFallback>, never>>()
const batchTimed = Node.batch({
  name: "batch-timed",
  prep: Effect.succeed([1]),
  exec: (n) => Effect.succeed(n),
  timeout: "1 second"
})
check<Equals<Node.Error<typeof batchTimed>, NodeTimeout>>()

// a batch node's fallback (per item) replaces exec's error too
const batchFallback = Node.batch({
  name: "batch-fallback",
  prep: Effect.succeed(["q"]),
  exec: (q) => Effect.fail(new LlmError({ reason: q })),
  fallback: (item, error) => {
    check<Equals<typeof item, string>>()
    check<Equals<typeof error, LlmError | NodeTimeout>>()
    return Effect.fail(new FallbackError())
  }
})
check<Equals<Node.Error<typeof batchFallback>, FallbackError>>()

// CurrentAttempt is a number
const attempt: Effect.Effect<number> = Node.CurrentAttempt
void attempt

// ---------------------------------------------------------------------------------------------------
// 7.2 a timeout whose type may be defined keeps NodeTimeout in E
// ---------------------------------------------------------------------------------------------------

const maybeTimed = Node.make({ name: "maybe", exec: () => Effect.fail(new Offline()), timeout: cfg.timeout })
check<Equals<Node.Error<typeof maybeTimed>, Offline | NodeTimeout>>()

const maybeTimedBatch = Node.batch({
  name: "maybe-batch",
  prep: Effect.succeed([1, 2]),
  exec: () => Effect.void,
  timeout: cfg.timeout
})
check<Equals<Node.Error<typeof maybeTimedBatch>, NodeTimeout>>()

const untimedOffline = Node.make({ name: "untimed", exec: () => Effect.fail(new Offline()) })
check<Equals<Node.Error<typeof untimedOffline>, Offline>>()

const explicitlyUntimed = Node.make({ name: "explicit", exec: () => Effect.fail(new Offline()), timeout: undefined })
check<Equals<Node.Error<typeof explicitlyUntimed>, Offline>>()

const timedVoid = Node.make({ name: "timed", exec: () => Effect.void, timeout: "1 second" })
check<Equals<Node.Error<typeof timedVoid>, NodeTimeout>>()

// with a fallback the timeout is handled there, conditional or not
const caught = Node.make({
  name: "caught",
  exec: () => Effect.fail(new Offline()),
  timeout: cfg.timeout,
  fallback: (_p, error) => {
    check<Equals<typeof error, Offline | NodeTimeout>>()
    return Effect.void
  }
})
check<Equals<Node.Error<typeof caught>, never>>()

// ---------------------------------------------------------------------------------------------------
// 7.8 a batch prep producing a string does not compile
// ---------------------------------------------------------------------------------------------------

// @ts-expect-error a string is not batch items (a missing [ ])
Node.batch({ name: "chars", prep: Effect.succeed("a.txt"), exec: (c: string) => Effect.succeed(c) })

const fromSet = Node.batch({ name: "set", prep: Effect.succeed(new Set(["a", "b"])), exec: (s) => Effect.succeed(s) })
check<Equals<Node.Action<typeof fromSet>, "default">>()
const fromStrings = Node.batch({
  name: "strings",
  prep: Effect.succeed(["a.txt"]),
  exec: (s) => Effect.succeed(s.length)
})
check<Equals<Node.Error<typeof fromStrings>, never>>()

// ---------------------------------------------------------------------------------------------------
// friction: exec failing with two error types. A conditional of two `Effect.fail`s does not infer (TypeScript
// picks one error type and reports the other); the README's fixes do, and infer the union:
// ---------------------------------------------------------------------------------------------------

const viaGen = Node.make({
  name: "via-gen",
  exec: () =>
    Effect.gen(function*() {
      if (coin) return yield* new Offline()
      return yield* new BadReply()
    }),
  post: () => Node.action("ok")
})
check<Equals<Node.Error<typeof viaGen>, Offline | BadReply>>()

const annotated = Node.make({
  name: "annotated",
  exec: (): Effect.Effect<
    string,
    Offline | BadReply
  > => (coin ? Effect.fail(new Offline()) : Effect.fail(new BadReply())),
  post: () => Node.action("ok")
})
check<Equals<Node.Error<typeof annotated>, Offline | BadReply>>()
