/**
 * Type-level guarantees, checked by `tsc` (this file is type-checked through tsconfig's "test" include and is
 * not run by vitest). Each `// @ts-expect-error` marks a line that must not compile: if the guarantee
 * broke, the line would compile and tsc would report the unused directive.
 */
import { Context, Data, Effect } from "effect"
import {
  type Errors,
  Flow,
  type MaxStepsExceeded,
  Node,
  type NodeTimeout,
  Shared
} from "../../src/index.ts"

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false
const check = <T extends true>(_proof?: T): void => undefined

class Store extends Shared.Service<Store, { readonly question: string; readonly n: number }>()("types/Store") {}
class Llm extends Context.Service<Llm, { readonly ask: (q: string) => Effect.Effect<string, LlmError> }>()(
  "types/Llm"
) {}
class LlmError extends Data.TaggedError("LlmError")<{ readonly reason: string }> {}
class PrepError extends Data.TaggedError("PrepError")<{}> {}
class PostError extends Data.TaggedError("PostError")<{}> {}
class FallbackError extends Data.TaggedError("FallbackError")<{}> {}
class FileParams extends Context.Service<FileParams, { readonly file: string }>()("types/FileParams") {}
class DirParams extends Context.Service<DirParams, { readonly dir: string }>()("types/DirParams") {}

declare const coin: boolean

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
// flows: wiring is checked, types flow through
// ---------------------------------------------------------------------------------------------------

const decide = Node.make({ name: "decide", post: () => (coin ? Node.action("search") : Node.action("answer")) })
const search = Node.make({ name: "search", exec: () => Effect.fail(new LlmError({ reason: "no results" })) })
const answer = Node.make({ name: "answer", prep: Store.get, post: () => Node.action("done") })

const agent = Flow.make({ name: "agent", start: decide }).pipe(
  Flow.on(decide, "search", search),
  Flow.on(decide, "answer", answer),
  Flow.next(search, decide)
)
check<Equals<Node.Action<typeof agent>, "search" | "answer" | "default" | "done">>()
check<Equals<Node.Error<typeof agent>, LlmError>>()
check<Equals<Node.Services<typeof agent>, Store>>()
const agentRun: Effect.Effect<"search" | "answer" | "default" | "done", LlmError, Store> = Flow.run(agent)
void agentRun

// a typo in an action does not compile
Flow.make({ name: "typo", start: decide }).pipe(
  // @ts-expect-error "serach" is not an action of decide
  Flow.on(decide, "serach", search)
)
// @ts-expect-error the data-first form checks the action too
Flow.on(Flow.make({ name: "typo-2", start: decide }), decide, "anwser", answer)
// an action of the target node is not an action of the source node
Flow.make({ name: "wrong-node", start: decide }).pipe(
  // @ts-expect-error "done" belongs to answer, not to decide
  Flow.on(decide, "done", answer)
)

// Flow.next needs a node that can return "default"
Flow.make({ name: "no-default", start: decide }).pipe(
  // @ts-expect-error decide only returns "search" | "answer"
  Flow.next(decide, answer)
)
// a node that may return "default" can be wired with next
Flow.make({ name: "maybe-default", start: fromGenMaybe }).pipe(Flow.next(fromGenMaybe, answer))

// nested flows: an outer flow branches on the inner flow's actions only
const outer = Flow.make({ name: "outer", start: agent }).pipe(Flow.on(agent, "done", noPost))
check<Equals<Node.Error<typeof outer>, LlmError>>()
Flow.make({ name: "outer-typo", start: agent }).pipe(
  // @ts-expect-error "finished" is not an action of the agent flow
  Flow.on(agent, "finished", noPost)
)

// a flow's own post fixes its action: adding edges no longer widens it
const own = Flow.make({
  name: "own",
  start: decide,
  prep: Store.get.pipe(Effect.flatMap(() => (coin ? Effect.fail(new PrepError()) : Effect.succeed(1)))),
  post: (prep, last) => {
    check<Equals<typeof prep, number>>()
    check<Equals<typeof last, string>>()
    return Node.action("summarized")
  }
}).pipe(Flow.on(decide, "answer", answer))
check<Equals<Node.Action<typeof own>, "summarized">>()
check<Equals<Node.Error<typeof own>, PrepError>>()
check<Equals<Node.Services<typeof own>, Store>>()

// maxSteps adds MaxStepsExceeded; without it the flow cannot fail that way
const bounded = Flow.make({ name: "bounded", start: decide, maxSteps: 100 }).pipe(Flow.on(decide, "search", search))
check<Equals<Node.Error<typeof bounded>, LlmError | MaxStepsExceeded>>()
const unbounded = Flow.make({ name: "unbounded", start: decide }).pipe(Flow.on(decide, "search", search))
check<Equals<Node.Error<typeof unbounded>, LlmError>>()
const boundedOwn = Flow.make({ name: "bounded-own", start: decide, maxSteps: 5, post: () => Effect.void })
check<Equals<Node.Error<typeof boundedOwn>, MaxStepsExceeded>>()
check<Equals<Errors.FlowError, MaxStepsExceeded>>()

// ---------------------------------------------------------------------------------------------------
// batch flows remove their params service from R
// ---------------------------------------------------------------------------------------------------

const perFileNode = Node.make({
  name: "per-file-node",
  prep: Effect.service(FileParams).pipe(
    Effect.flatMap(({ file }) => Effect.map(Store.get, (s) => `${s.question}:${file}`))
  ),
  exec: (text) => Effect.flatMap(Effect.service(Llm), (llm) => llm.ask(text))
})
check<Equals<Node.Services<typeof perFileNode>, FileParams | Store | Llm>>()

const perFile = Flow.batch({
  name: "per-file",
  flow: perFileNode,
  params: FileParams,
  prep: Effect.succeed([{ file: "a" }])
})
check<Equals<Node.Services<typeof perFile>, Store | Llm>>()
check<Equals<Node.Error<typeof perFile>, LlmError>>()
check<Equals<Node.Action<typeof perFile>, "default">>()

// nested batch flows: the inner one needs DirParams for its prep; the outer one provides it
const visit = Node.make({
  name: "visit",
  prep: Effect.all([Effect.service(DirParams), Effect.service(FileParams)])
})
const files = Flow.batch({
  name: "files",
  flow: visit,
  params: FileParams,
  prep: Effect.map(Effect.service(DirParams), ({ dir }) => [{ file: `${dir}/a` }])
})
check<Equals<Node.Services<typeof files>, DirParams>>()
const dirs = Flow.batch({
  name: "dirs",
  flow: files,
  params: DirParams,
  prep: Effect.succeed([{ dir: "docs" }]),
  post: (params, actions) => {
    check<Equals<typeof params, ReadonlyArray<{ readonly dir: string }>>>()
    check<Equals<typeof actions, ReadonlyArray<"default">>>()
    return Node.action("all-done")
  }
})
check<Equals<Node.Services<typeof dirs>, never>>()
check<Equals<Node.Action<typeof dirs>, "all-done">>()

Flow.batch({
  name: "wrong-params",
  flow: perFileNode,
  params: FileParams,
  // @ts-expect-error parameter sets must match the params service's shape
  prep: Effect.succeed([{ path: "a" }])
})
