/**
 * Issue 7, defect 9: `Flow.toMermaid` renders iteratively, so deep nesting does not overflow the stack.
 */
import { assert, describe, it } from "@effect/vitest"
import { Flow, Node } from "../../src/index.ts"

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
