/**
 * Issue 7, type-level defects (checked by `tsc` through `npm run typecheck`, not run by vitest). Each
 * `// @ts-expect-error` marks a line that must not compile.
 */
import { Context, Data, type Duration, Effect } from "effect"
import { Flow, Node, type NodeTimeout } from "../../src/index.ts"

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false
const check = <T extends true>(_proof?: T): void => undefined

class Offline extends Data.TaggedError("Offline")<{}> {}
class BadReply extends Data.TaggedError("BadReply")<{}> {}

declare const coin: boolean
declare const cfg: { readonly timeout: Duration.Input | undefined }

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

const untimed = Node.make({ name: "untimed", exec: () => Effect.fail(new Offline()) })
check<Equals<Node.Error<typeof untimed>, Offline>>()

const explicitlyUntimed = Node.make({ name: "explicit", exec: () => Effect.fail(new Offline()), timeout: undefined })
check<Equals<Node.Error<typeof explicitlyUntimed>, Offline>>()

const timed = Node.make({ name: "timed", exec: () => Effect.void, timeout: "1 second" })
check<Equals<Node.Error<typeof timed>, NodeTimeout>>()

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
const fromStrings = Node.batch({ name: "strings", prep: Effect.succeed(["a.txt"]), exec: (s) => Effect.succeed(s.length) })
check<Equals<Node.Error<typeof fromStrings>, never>>()

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
  exec: (): Effect.Effect<string, Offline | BadReply> => (coin ? Effect.fail(new Offline()) : Effect.fail(new BadReply())),
  post: () => Node.action("ok")
})
check<Equals<Node.Error<typeof annotated>, Offline | BadReply>>()

// 7.8 for Flow.batch too
class Dir extends Context.Service<Dir, string>()("hardening-types/Dir") {}
// @ts-expect-error a string is not parameter sets
Flow.batch({ name: "dirs", flow: Node.make({ name: "one" }), params: Dir, prep: Effect.succeed("src") })
const dirs = Flow.batch({ name: "dirs", flow: Node.make({ name: "one" }), params: Dir, prep: Effect.succeed(["src"]) })
check<Equals<Node.Action<typeof dirs>, "default">>()
