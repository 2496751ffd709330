/**
 * Observing `Flow.parallel`: events name each branch by path, spans nest per branch, Mermaid draws the branches side
 * by side with their join.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node } from "../../src/index.ts"
import { recording } from "../support/tracing.ts"

const tree = (spans: ReadonlyArray<Tracer.NativeSpan>): Array<string> => {
  const lines: Array<string> = []
  const walk = (parent: Tracer.AnySpan | undefined, depth: number) => {
    for (const span of spans.filter((s) => Option.getOrUndefined(s.parent) === parent)) {
      lines.push(`${"  ".repeat(depth)}${span.name}`)
      walk(span, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines
}

const makeFlow = () => {
  const web = Node.make({
    name: "web",
    exec: () => Effect.sleep(30).pipe(Effect.andThen(Effect.succeed(1)), Effect.withSpan("http.get"))
  })
  const one = Node.make({ name: "one", exec: () => Effect.sleep(10), post: () => Node.action("next") })
  const two = Node.make({ name: "two" })
  const papers = Flow.make({ name: "papers", start: one }).pipe(Flow.on(one, "next", two))
  const research = Flow.parallel({ name: "research", branches: [web, papers], post: () => Node.action("write") })
  const write = Node.make({ name: "write" })
  return Flow.make({ name: "app", start: research }).pipe(Flow.on(research, "write", write))
}

describe("observing Flow.parallel", () => {
  it.effect("events name each branch by its path below the block", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Stream.runCollect(Flow.events(makeFlow())))
      yield* TestClock.adjust("1 second")
      const events = Array.from(yield* Fiber.join(fiber))
      const lines = events
        .filter((e) => e._tag !== "Transition")
        .map((e) => `${e._tag} ${e.path}`)
      assert.deepStrictEqual(lines, [
        "FlowStarted app",
        "NodeStarted app/research",
        "NodeStarted app/research/web",
        "NodeStarted app/research/papers",
        "FlowStarted app/research/papers",
        "NodeStarted app/research/papers/one",
        "NodeFinished app/research/papers/one",
        "NodeStarted app/research/papers/two",
        "NodeFinished app/research/papers/two",
        "FlowFinished app/research/papers",
        "NodeFinished app/research/papers",
        "NodeFinished app/research/web",
        "NodeFinished app/research",
        "NodeStarted app/write",
        "NodeFinished app/write",
        "FlowFinished app"
      ])
      const started = events.find((e) => e._tag === "NodeStarted" && e.path === "app/research")
      assert.strictEqual(started?._tag === "NodeStarted" ? started.kind : undefined, "parallel")
    }))

  it.effect("spans nest per branch under the block's span", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const fiber = yield* Effect.forkChild(Flow.run(makeFlow()).pipe(Effect.withTracer(tracer)))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(tree(spans), [
        "app",
        "  research",
        "    web",
        "      http.get",
        "    papers",
        "      one",
        "      two",
        "  write"
      ])
      const research = spans.find((s) => s.name === "research")
      assert.strictEqual(research?.attributes.get("pocketflow.kind"), "parallel")
      assert.strictEqual(research?.attributes.get("pocketflow.action"), "write")
    }))

  it("Flow.toMermaid draws the branches side by side in a subgraph, joined", () => {
    assert.strictEqual(
      Flow.toMermaid(makeFlow()),
      [
        "flowchart TD",
        "  subgraph research[\"research (parallel ×unbounded)\"]",
        "    research_web[\"web\"]",
        "    subgraph research_papers[\"papers\"]",
        "      research_papers_one[\"one\"]",
        "      research_papers_two[\"two\"]",
        "      research_papers_one -->|\"next\"| research_papers_two",
        "    end",
        "    research_join((\"join\"))",
        "    research_web --> research_join",
        "    research_papers --> research_join",
        "  end",
        "  write[\"write\"]",
        "  research -->|\"write\"| write"
      ].join("\n")
    )
  })
})
