/**
 * Spans: every flow, node, batch item and batch-flow run runs in a span, checked with an in-memory
 * tracer that records the span tree.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Option, References, Schedule, Stream, Tracer } from "effect"
import { Flow, Node } from "../../src/index.ts"
import { recording } from "../support/tracing.ts"

/** The span tree as indented lines (children in start order), with each span's action if any. */
const tree = (spans: ReadonlyArray<Tracer.NativeSpan>): Array<string> => {
  const lines: Array<string> = []
  const children = (parent: Tracer.AnySpan | undefined) =>
    spans.filter((s) => Option.getOrUndefined(s.parent) === parent)
  const walk = (parent: Tracer.AnySpan | undefined, depth: number) => {
    for (const span of children(parent)) {
      const action = span.attributes.get("pocketflow.action")
      lines.push(`${"  ".repeat(depth)}${span.name}${action === undefined ? "" : ` -> ${String(action)}`}`)
      walk(span, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines
}

class Page extends Context.Service<Page, { readonly url: string }>()("test/tracing/Page") {}

const makeFlows = () => {
  const fetch = Node.batch({
    name: "fetch",
    prep: Effect.succeed(["a", "b"]),
    exec: (url: string) => Effect.succeed(url.length).pipe(Effect.withSpan("http.get")),
    concurrency: 2
  })
  const merge = Node.make({ name: "merge", post: () => Node.action("merged") })
  const work = Flow.make({ name: "work", start: fetch }).pipe(Flow.next(fetch, merge))
  const plan = Node.make({ name: "plan" })
  const visit = Node.make({ name: "visit", prep: Page, exec: () => Effect.void })
  const pages = Flow.batch({ name: "pages", flow: visit, params: Page, prep: Effect.succeed([{ url: "x" }]) })
  const outer = Flow.make({ name: "outer", start: plan }).pipe(Flow.next(plan, work), Flow.on(work, "merged", pages))
  return outer
}

const expected = [
  "outer -> default",
  "  plan -> default",
  "  work -> merged",
  "    fetch -> default",
  "      fetch[0]",
  "        http.get",
  "      fetch[1]",
  "        http.get",
  "    merge -> merged",
  "  pages -> default",
  "    pages[0]",
  "      visit -> default"
]

describe("tracing", () => {
  it.effect("Flow.run with a tracer installed: a span tree of flows, nodes, batch items and runs", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      yield* Flow.run(makeFlows()).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(tree(spans), expected)
      assert.isTrue(spans.every((s) => s.status._tag === "Ended"))
    }))

  it.effect("Flow.events opens the same spans", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      yield* Stream.runDrain(Flow.events(makeFlows())).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(tree(spans), expected)
    }))

  it.effect("spans carry the flow, node, kind, path, action and attempt", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      yield* Flow.run(makeFlows()).pipe(Effect.withTracer(tracer))
      const attributes = (name: string) => Object.fromEntries(spans.find((s) => s.name === name)?.attributes ?? [])
      assert.deepStrictEqual(attributes("merge"), {
        "pocketflow.node": "merge",
        "pocketflow.kind": "node",
        "pocketflow.path": "outer/work/merge",
        "pocketflow.flow": "work",
        "pocketflow.attempt": 1,
        "pocketflow.action": "merged"
      })
      assert.deepStrictEqual(attributes("fetch[1]"), {
        "pocketflow.node": "fetch",
        "pocketflow.kind": "batch-item",
        "pocketflow.path": "outer/work/fetch",
        "pocketflow.index": 1,
        "pocketflow.attempt": 1
      })
      assert.strictEqual(attributes("visit")["pocketflow.runs"], "0")
      assert.strictEqual(attributes("pages[0]")["pocketflow.kind"], "batch-run")
    }))

  it.effect("the attempt attribute counts retries", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const flaky = Node.make({
        name: "flaky",
        exec: () => Effect.flatMap(Node.CurrentAttempt, (n) => n < 3 ? Effect.fail("no") : Effect.void),
        retry: Schedule.recurs(5)
      })
      yield* Flow.run(Flow.make({ name: "f", start: flaky })).pipe(Effect.withTracer(tracer))
      assert.strictEqual(spans.find((s) => s.name === "flaky")?.attributes.get("pocketflow.attempt"), 3)
    }))

  it.effect("a failing node ends its span with the failure", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const broken = Node.make({ name: "broken", exec: () => Effect.fail("nope") })
      yield* Flow.run(Flow.make({ name: "f", start: broken })).pipe(Effect.withTracer(tracer), Effect.flip)
      const status = spans.find((s) => s.name === "broken")?.status
      assert.isTrue(status?._tag === "Ended" && status.exit._tag === "Failure")
    }))

  it.effect("no spans when tracing is disabled", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      yield* Flow.run(makeFlows()).pipe(
        Effect.withTracer(tracer),
        Effect.provideService(References.TracerEnabled, false)
      )
      assert.deepStrictEqual(spans.map((s) => s.name), [])
    }))
})
