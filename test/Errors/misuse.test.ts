/**
 * Misuse is reported with messages that name the culprits: wiring mistakes throw FlowDefinitionError when
 * the flow is built, runaway loops fail with MaxStepsExceeded, and a batch prep that yields no iterable is
 * the defect InvalidBatchItems naming the node and the flow running it. Issue 7, defect 8: a batch `prep` producing
 * a string (a missing `[ ]`) is that defect too, for batch nodes and batch flows alike, instead of a batch over its
 * characters.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit } from "effect"
import { Errors, Flow, FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded, Node } from "../../src/index.ts"
import { thrown } from "../support/throws.ts"

/** The defect a failed run died with (failing the test if it did not die). */
const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  assert.isTrue(Exit.isFailure(exit) && Exit.hasDies(exit), "expected a defect")
  return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
}

const plain = (name: string) => Node.make({ name })
const choice = (name: string) => Node.make({ name, post: () => Node.action(Math.random() > 2 ? "left" : "right") })

describe("flow definition errors", () => {
  it("two different nodes with one name: the message names the flow and the node", () => {
    const a = plain("a")
    const b = plain("b")
    const otherA = plain("a")
    const error = thrown(() => Flow.make({ name: "dupes", start: a }).pipe(Flow.next(a, b), Flow.next(b, otherA)))
    assert.instanceOf(error, FlowDefinitionError)
    const e = error as FlowDefinitionError
    assert.strictEqual(e._tag, "FlowDefinitionError")
    assert.strictEqual(e.flow, "dupes")
    assert.include(e.message, "Flow \"dupes\"")
    assert.include(e.message, "named \"a\"")
  })

  it("a node named like the start node is rejected too", () => {
    const start = plain("same")
    const error = thrown(() => Flow.make({ name: "clash", start }).pipe(Flow.next(start, plain("same"))))
    assert.instanceOf(error, FlowDefinitionError)
    assert.include((error as FlowDefinitionError).message, "Flow \"clash\"")
    assert.include((error as FlowDefinitionError).message, "\"same\"")
  })

  it("one node reused in many places is fine; so is one node in two flows", () => {
    const a = plain("a")
    const pick = choice("pick")
    const f1 = Flow.make({ name: "f1", start: pick }).pipe(Flow.on(pick, "left", a), Flow.on(pick, "right", a))
    const f2 = Flow.make({ name: "f2", start: a })
    assert.strictEqual(f1.edges.get(pick)?.size, 2)
    assert.strictEqual(f2.start, a)
  })

  it("an edge wired twice: the message names the flow, the node, the action and both targets", () => {
    const pick = choice("pick")
    const first = plain("first")
    const second = plain("second")
    const error = thrown(() =>
      Flow.make({ name: "twice", start: pick }).pipe(Flow.on(pick, "left", first), Flow.on(pick, "left", second))
    )
    assert.instanceOf(error, FlowDefinitionError)
    const message = (error as FlowDefinitionError).message
    assert.include(message, "Flow \"twice\"")
    assert.include(message, "\"pick\"")
    assert.include(message, "\"left\"")
    assert.include(message, "\"first\"")
    assert.include(message, "\"second\"")
  })

  it("wiring the same edge to the same target again is still an error (each edge is wired once)", () => {
    const a = plain("a")
    const b = plain("b")
    const error = thrown(() => Flow.make({ name: "again", start: a }).pipe(Flow.next(a, b), Flow.next(a, b)))
    assert.instanceOf(error, FlowDefinitionError)
    assert.include((error as FlowDefinitionError).message, "\"default\"")
  })

  it("a flow is immutable: wiring returns a new flow and leaves the old one untouched", () => {
    const a = plain("a")
    const b = plain("b")
    const base = Flow.make({ name: "base", start: a })
    const wired = base.pipe(Flow.next(a, b))
    assert.strictEqual(base.edges.size, 0)
    assert.strictEqual(wired.edges.get(a)?.get("default"), b)
    // the same base can be wired differently elsewhere without a "wired twice" error
    const c = plain("c")
    assert.strictEqual(base.pipe(Flow.next(a, c)).edges.get(a)?.get("default"), c)
  })

  it("a node needs a name; maxSteps must be a positive integer", () => {
    assert.throws(() => Node.make({ name: "" }), /name/)
    assert.throws(() => Flow.make({ name: "zero", start: plain("a"), maxSteps: 0 }), /"zero".*maxSteps/)
    assert.throws(() => Flow.make({ name: "frac", start: plain("a"), maxSteps: 1.5 }), /maxSteps/)
  })
})

describe("maxSteps", () => {
  const tick = Node.make({ name: "tick", post: () => Node.action("again") })
  const forever = (maxSteps: number) =>
    Flow.make({ name: "runaway", start: tick, maxSteps }).pipe(Flow.on(tick, "again", tick))

  it.effect("a runaway loop fails with MaxStepsExceeded naming the flow, maxSteps and the next node", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Flow.run(forever(5)))
      assert.deepStrictEqual(exit, Exit.fail(new MaxStepsExceeded({ flow: "runaway", maxSteps: 5, node: "tick" })))
      const error = new MaxStepsExceeded({ flow: "runaway", maxSteps: 5, node: "tick" })
      assert.include(error.message, "\"runaway\"")
      assert.include(error.message, "5")
      assert.include(error.message, "\"tick\"")
    }))

  it.effect("exactly maxSteps steps is allowed; one more is not", () =>
    Effect.gen(function*() {
      let runs = 0
      let budget = 3
      const step = Node.make({
        name: "step",
        post: () => Effect.sync(() => (runs++, --budget > 0 ? "again" as const : "stop" as const))
      })
      const flow = Flow.make({ name: "bounded", start: step, maxSteps: 3 }).pipe(Flow.on(step, "again", step))
      assert.strictEqual(yield* Flow.run(flow), "stop")
      assert.strictEqual(runs, 3)
      runs = 0
      budget = 4
      const exit = yield* Effect.exit(Flow.run(flow))
      assert.deepStrictEqual(exit, Exit.fail(new MaxStepsExceeded({ flow: "bounded", maxSteps: 3, node: "step" })))
      assert.strictEqual(runs, 3, "the fourth step never started")
    }))

  it.effect("maxSteps counts per run, and a nested flow's steps count in the nested flow", () =>
    Effect.gen(function*() {
      const a = plain("a")
      const b = plain("b")
      const inner = Flow.make({ name: "inner", start: a, maxSteps: 2 }).pipe(Flow.next(a, b))
      const c = plain("c")
      const outer = Flow.make({ name: "outer", start: inner, maxSteps: 2 }).pipe(Flow.next(inner, c))
      assert.strictEqual(yield* Flow.run(outer), "default")
      assert.strictEqual(yield* Flow.run(outer), "default")
    }))
})

describe("invalid batch items", () => {
  const notIterable = Effect.succeed(42 as unknown as Iterable<number>)

  it.effect("a batch node whose prep yields a non-iterable dies with InvalidBatchItems naming node and flow", () =>
    Effect.gen(function*() {
      const batch = Node.batch({ name: "summarize", prep: notIterable, exec: (n: number) => Effect.succeed(n) })
      const start = plain("load")
      const flow = Flow.make({ name: "docs", start }).pipe(Flow.next(start, batch))
      const defect = defectOf(yield* Effect.exit(Flow.run(flow)))
      assert.instanceOf(defect, InvalidBatchItems)
      const e = defect as InvalidBatchItems
      assert.strictEqual(e.node, "summarize")
      assert.strictEqual(e.flow, "docs")
      assert.strictEqual(e.received, "number")
      assert.include(e.message, "\"summarize\"")
      assert.include(e.message, "\"docs\"")
      assert.include(e.message, "number")
    }))

  it.effect("run on its own, the defect names the node (no flow to name)", () =>
    Effect.gen(function*() {
      const batch = Node.batch({
        name: "lonely",
        prep: Effect.succeed(null as unknown as Iterable<number>),
        exec: (n: number) => Effect.succeed(n)
      })
      const defect = defectOf(yield* Effect.exit(Node.run(batch))) as InvalidBatchItems
      assert.instanceOf(defect, Errors.InvalidBatchItems)
      assert.strictEqual(defect.flow, undefined)
      assert.include(defect.message, "\"lonely\"")
      assert.include(defect.message, "null")
    }))

  it.effect("nested flows: the innermost flow running the node is named, not the outer one", () =>
    Effect.gen(function*() {
      const batch = Node.batch({ name: "chunks", prep: notIterable, exec: (n: number) => Effect.succeed(n) })
      const inner = Flow.make({ name: "inner", start: batch })
      const outer = Flow.make({ name: "outer", start: inner })
      const defect = defectOf(yield* Effect.exit(Flow.run(outer))) as InvalidBatchItems
      assert.strictEqual(defect.flow, "inner")
      assert.include(defect.message, "\"chunks\" in flow \"inner\"")
    }))

  it.effect("a batch flow whose prep yields a non-iterable dies the same way", () =>
    Effect.gen(function*() {
      class P extends Context.Service<P, { readonly p: number }>()("test/misuse/P") {}
      const batchFlow = Flow.batch({
        name: "per-p",
        flow: Node.make({ name: "use-p", prep: P }),
        params: P,
        prep: Effect.succeed({ p: 1 } as unknown as Iterable<{ readonly p: number }>)
      })
      const flow = Flow.make({ name: "host", start: batchFlow })
      const defect = defectOf(yield* Effect.exit(Flow.run(flow))) as InvalidBatchItems
      assert.instanceOf(defect, InvalidBatchItems)
      assert.strictEqual(defect.node, "per-p")
      assert.strictEqual(defect.flow, "host")
      assert.include(defect.message, "object")
    }))

  it.effect("a defect is not caught by a fallback or retried", () =>
    Effect.gen(function*() {
      let fallbacks = 0
      const batch = Node.batch({
        name: "guarded",
        prep: notIterable,
        exec: (n: number) => Effect.succeed(n),
        retry: { times: 3 },
        fallback: () => Effect.sync(() => fallbacks++)
      })
      const defect = defectOf(yield* Effect.exit(Flow.run(Flow.make({ name: "f", start: batch }))))
      assert.instanceOf(defect, InvalidBatchItems)
      assert.strictEqual(fallbacks, 0)
    }))
})

/** A string where the types want items: what a plain JavaScript caller (or an `as`) can do. */
const stringItems = Effect.succeed("a.txt" as unknown as ReadonlyArray<string>)

describe("7.8 a batch prep returning a string", () => {
  it.effect("7.8 a batch node dies with InvalidBatchItems naming the node and flow, running no item", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const node = Node.batch({ name: "files", prep: stringItems, exec: (f) => Effect.sync(() => seen.push(f)) })
      const exit = yield* Effect.exit(Flow.run(Flow.make({ name: "docs", start: node })))
      const defect = defectOf(exit)
      assert.instanceOf(defect, InvalidBatchItems)
      assert.include((defect as InvalidBatchItems).message, "\"files\"")
      assert.include((defect as InvalidBatchItems).message, "\"docs\"")
      assert.include((defect as InvalidBatchItems).message, "string")
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("7.8 a batch flow dies the same way", () =>
    Effect.gen(function*() {
      class File extends Context.Service<File, string>()("hardening/File") {}
      const batch = Flow.batch({ name: "each", flow: Node.make({ name: "one" }), params: File, prep: stringItems })
      const defect = defectOf(yield* Effect.exit(Node.run(batch)))
      assert.instanceOf(defect, InvalidBatchItems)
      assert.strictEqual((defect as InvalidBatchItems).node, "each")
    }))
})
