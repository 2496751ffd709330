/**
 * Type-level guarantees of flows, checked by `tsc` (this file is type-checked through tsconfig's "test" include and is
 * not run by vitest). Each `// @ts-expect-error` marks a line that must not compile: if the guarantee broke, the line
 * would compile and tsc would report the unused directive. The 7.x sections are issue 7's type-level defects.
 */
import { Context, Data, Effect } from "effect"
import { type Errors, Flow, type MaxStepsExceeded, Node, Shared } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

class Store extends Shared.Service<Store, { readonly question: string; readonly n: number }>()("types/Store") {}
class Llm extends Context.Service<Llm, { readonly ask: (q: string) => Effect.Effect<string, LlmError> }>()(
  "types/Llm"
) {}
class LlmError extends Data.TaggedError("LlmError")<{ readonly reason: string }> {}
class PrepError extends Data.TaggedError("PrepError")<{}> {}
class FileParams extends Context.Service<FileParams, { readonly file: string }>()("types/FileParams") {}
class DirParams extends Context.Service<DirParams, { readonly dir: string }>()("types/DirParams") {}

declare const coin: boolean

/** Nodes the wiring below uses (their own action types are checked in test/Node/node.types.ts). */
const noPost = Node.make({ name: "no-post", exec: () => Effect.succeed(1) })
const fromGenMaybe = Node.make({
  name: "from-gen-maybe",
  post: () =>
    Effect.gen(function*() {
      if (coin) return "stop"
    })
})

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
// ---------------------------------------------------------------------------------------------------
// 7.10 no typed routing through a node whose action type widened to string
// ---------------------------------------------------------------------------------------------------

const widened = Node.make({
  name: "widened",
  post: () =>
    Effect.gen(function*() {
      yield* Effect.void
      return "decide"
    })
})
check<Equals<Node.Action<typeof widened>, string>>()
const target = Node.make({ name: "target" })
const base = Flow.make({ name: "f", start: widened })

// @ts-expect-error the action type widened to string: a typo like "decidee" would compile
base.pipe(Flow.on(widened, "decidee", target))
// @ts-expect-error the same for the right action: the fix is Node.action
base.pipe(Flow.on(widened, "decide", target))
// @ts-expect-error Flow.next too
base.pipe(Flow.next(widened, target))
// @ts-expect-error and Flow.end
base.pipe(Flow.end(widened, "decide"))
// @ts-expect-error data-first
Flow.on(base, widened, "decide", target)

const typed = Node.make({
  name: "typed",
  post: () =>
    Effect.gen(function*() {
      yield* Effect.void
      return yield* (coin ? Node.action("decide") : Node.action("answer"))
    })
})
check<Equals<Node.Action<typeof typed>, "decide" | "answer">>()
const routed = Flow.make({ name: "g", start: typed }).pipe(Flow.on(typed, "decide", target), Flow.end(typed, "answer"))
check<Equals<Node.Action<typeof routed>, "decide" | "answer" | "default">>()
// @ts-expect-error a typo still fails on a typed node
Flow.make({ name: "h", start: typed }).pipe(Flow.on(typed, "decidee", target))
// @ts-expect-error Flow.end checks the action too
Flow.make({ name: "h", start: typed }).pipe(Flow.end(typed, "dne"))

// ---------------------------------------------------------------------------------------------------
// 7.8 a batch flow's prep producing a string does not compile (test/Node/node.types.ts has Node.batch's)
// ---------------------------------------------------------------------------------------------------

class Dir extends Context.Service<Dir, string>()("hardening-types/Dir") {}
// @ts-expect-error a string is not parameter sets
Flow.batch({ name: "dirs", flow: Node.make({ name: "one" }), params: Dir, prep: Effect.succeed("src") })
const srcDirs = Flow.batch({
  name: "dirs",
  flow: Node.make({ name: "one" }),
  params: Dir,
  prep: Effect.succeed(["src"])
})
check<Equals<Node.Action<typeof srcDirs>, "default">>()
