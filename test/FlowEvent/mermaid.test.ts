/**
 * `Flow.toMermaid`: the exact flowchart text for a loop agent, a nested flow, a batch flow and names
 * that need escaping. Issue 7, defect 9: it renders iteratively, so deep nesting does not overflow the stack.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { Flow, Node } from "../../src/index.ts"

const lines = (...ls: ReadonlyArray<string>) => ls.join("\n")

const pick = <const A extends string>(...actions: ReadonlyArray<A>) => () => Node.action(actions[0]!)

describe("Flow.toMermaid", () => {
  it("a loop agent: actions label the edges, the default edge has none", () => {
    const decide = Node.make({ name: "decide", post: pick("search", "answer") })
    const search = Node.make({ name: "search" })
    const answer = Node.make({ name: "answer", post: pick("done") })
    const agent = Flow.make({ name: "agent", start: decide }).pipe(
      Flow.on(decide, "search", search),
      Flow.on(decide, "answer", answer),
      Flow.next(search, decide)
    )
    assert.strictEqual(
      Flow.toMermaid(agent),
      lines(
        "flowchart TD",
        "  decide[\"decide\"]",
        "  search[\"search\"]",
        "  answer[\"answer\"]",
        "  decide -->|\"search\"| search",
        "  decide -->|\"answer\"| answer",
        "  search --> decide"
      )
    )
  })

  it("nested flows become subgraphs, with ids prefixed by their path", () => {
    const step = Node.make({ name: "step" })
    const check = Node.make({ name: "check", post: pick("ok", "again") })
    const inner = Flow.make({ name: "inner", start: step }).pipe(Flow.next(step, check), Flow.on(check, "again", step))
    const outerStep = Node.make({ name: "step" })
    const outer = Flow.make({ name: "outer", start: outerStep }).pipe(Flow.next(outerStep, inner))
    assert.strictEqual(
      Flow.toMermaid(outer),
      lines(
        "flowchart TD",
        "  step[\"step\"]",
        "  subgraph inner[\"inner\"]",
        "    inner_step[\"step\"]",
        "    inner_check[\"check\"]",
        "    inner_step --> inner_check",
        "    inner_check -->|\"again\"| inner_step",
        "  end",
        "  step --> inner"
      )
    )
  })

  it("batch nodes and batch flows are marked with their concurrency", () => {
    class File extends Context.Service<File, { readonly name: string }>()("test/mermaid/File") {}
    const load = Node.make({ name: "load" })
    const summarize = Node.batch({
      name: "summarize",
      prep: Effect.succeed([1]),
      exec: () => Effect.void,
      concurrency: 8
    })
    const read = Node.make({ name: "read", prep: File })
    const save = Node.make({ name: "save" })
    const perFile = Flow.batch({
      name: "per-file",
      flow: Flow.make({ name: "one file", start: read }).pipe(Flow.next(read, save)),
      params: File,
      prep: Effect.succeed([{ name: "a" }]),
      concurrency: "unbounded"
    })
    const all = Node.batch({ name: "all", prep: Effect.succeed([1]), exec: () => Effect.void })
    const docs = Flow.make({ name: "docs", start: load }).pipe(
      Flow.next(load, summarize),
      Flow.next(summarize, perFile),
      Flow.next(perFile, all)
    )
    assert.strictEqual(
      Flow.toMermaid(docs),
      lines(
        "flowchart TD",
        "  load[\"load\"]",
        "  summarize[[\"summarize (batch ×8)\"]]",
        "  subgraph per_file[\"per-file (batch flow ×unbounded)\"]",
        "    subgraph per_file_one_file[\"one file\"]",
        "      per_file_one_file_read[\"read\"]",
        "      per_file_one_file_save[\"save\"]",
        "      per_file_one_file_read --> per_file_one_file_save",
        "    end",
        "  end",
        "  all[[\"all (batch ×1)\"]]",
        "  load --> summarize",
        "  summarize --> per_file",
        "  per_file --> all"
      )
    )
  })

  it("escapes any name and keeps ids unique and off Mermaid keywords", () => {
    const quote = Node.make({ name: "say \"hi\" [now]", post: pick("a|b") })
    const end = Node.make({ name: "end" })
    const unicode = Node.make({ name: "résumé → 🚀" })
    const spaced = Node.make({ name: "a b" })
    const dashed = Node.make({ name: "a-b" })
    const html = Node.make({ name: "<b>#1</b> & (x) {y}\nline `2`" })
    const flow = Flow.make({ name: "nasty", start: quote }).pipe(
      Flow.on(quote, "a|b", end),
      Flow.next(end, unicode),
      Flow.next(unicode, spaced),
      Flow.next(spaced, dashed),
      Flow.next(dashed, html)
    )
    assert.strictEqual(
      Flow.toMermaid(flow),
      lines(
        "flowchart TD",
        "  say__hi___now_[\"say #quot;hi#quot; #91;now#93;\"]",
        "  n_end[\"end\"]",
        "  r_sum______[\"résumé → 🚀\"]",
        "  a_b[\"a b\"]",
        "  a_b_2[\"a-b\"]",
        "  _b__1__b_____x___y__line__2_[\"#lt;b#gt;#35;1#lt;/b#gt; #amp; #40;x#41; #123;y#125;<br/>line #96;2#96;\"]",
        "  say__hi___now_ -->|\"a#124;b\"| n_end",
        "  n_end --> r_sum______",
        "  r_sum______ --> a_b",
        "  a_b --> a_b_2",
        "  a_b_2 --> _b__1__b_____x___y__line__2_"
      )
    )
  })

  it("a node that is not a flow renders on its own", () => {
    const solo = Node.batch({ name: "solo", prep: Effect.succeed([1]), exec: () => Effect.void, concurrency: 3 })
    assert.strictEqual(Flow.toMermaid(solo), lines("flowchart TD", "  solo[[\"solo (batch ×3)\"]]"))
  })

  it("a flow nested twice gets distinct ids in each place", () => {
    const leaf = Node.make({ name: "leaf" })
    const shared = Flow.make({ name: "shared", start: leaf })
    const left = Flow.make({ name: "left", start: shared })
    const right = Flow.make({ name: "right", start: shared })
    const root = Flow.make({ name: "root", start: left }).pipe(Flow.next(left, right))
    assert.strictEqual(
      Flow.toMermaid(root),
      lines(
        "flowchart TD",
        "  subgraph left[\"left\"]",
        "    subgraph left_shared[\"shared\"]",
        "      left_shared_leaf[\"leaf\"]",
        "    end",
        "  end",
        "  subgraph right[\"right\"]",
        "    subgraph right_shared[\"shared\"]",
        "      right_shared_leaf[\"leaf\"]",
        "    end",
        "  end",
        "  left --> right"
      )
    )
  })
})

describe("7.9 toMermaid on deep nesting", () => {
  it("7.9 a 3,000-deep nested flow renders, one subgraph per level, innermost node inside", () => {
    let flow: Node.Any = Flow.make({ name: "f0", start: Node.make({ name: "leaf" }) })
    for (let i = 1; i < 3000; i++) flow = Flow.make({ name: `f${i}`, start: flow })
    const text = Flow.toMermaid(flow)
    const lines = text.split("\n")
    assert.strictEqual(lines.filter((l) => l.trimStart().startsWith("subgraph ")).length, 2999)
    assert.strictEqual(lines.filter((l) => l.trim() === "end").length, 2999)
    assert.include(text, "[\"leaf\"]")
  })

  it("7.9 rendering order is unchanged: nodes in wiring order, nested bodies in place, then edges", () => {
    const a = Node.make({ name: "a", post: () => Node.action("x") })
    const b = Node.make({ name: "b" })
    const inner = Flow.make({ name: "inner", start: b })
    const c = Node.make({ name: "c" })
    const flow = Flow.make({ name: "top", start: a }).pipe(Flow.on(a, "x", inner), Flow.next(inner, c))
    assert.strictEqual(
      Flow.toMermaid(flow),
      [
        "flowchart TD",
        "  a[\"a\"]",
        "  subgraph inner[\"inner\"]",
        "    inner_b[\"b\"]",
        "  end",
        "  c[\"c\"]",
        "  a -->|\"x\"| inner",
        "  inner --> c"
      ].join("\n")
    )
  })
})
