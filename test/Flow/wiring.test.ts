/**
 * Issue 7, defect 4 (wiring is O(1) amortised while flows stay immutable values) and `Flow.end`
 * (a declared exit ends the flow without a warning).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Stream } from "effect"
import { Flow, FlowDefinitionError, FlowEvent, Node } from "../../src/index.ts"

const chain = (n: number) => Array.from({ length: n }, (_, i) => Node.make({ name: `n${i}` }))

describe("7.4 wiring", () => {
  it.effect("7.4 a 10,000-node chain wires in well under the old 51 s, and runs to its end", () =>
    Effect.gen(function*() {
      const nodes = chain(10_000)
      const started = performance.now()
      let flow = Flow.make({ name: "chain", start: nodes[0] })
      for (let i = 1; i < nodes.length; i++) flow = flow.pipe(Flow.next(nodes[i - 1], nodes[i]))
      const elapsed = performance.now() - started
      // Generous: the quadratic version took 51 s here; linear wiring takes milliseconds.
      assert.isBelow(elapsed, 5000)
      assert.strictEqual(flow.edges.size, 9_999)
      let steps = 0
      const counted = Flow.make({ name: "outer", start: flow })
      assert.strictEqual(yield* Flow.run(counted), "default")
      for (const successors of flow.edges.values()) steps += successors.size
      assert.strictEqual(steps, 9_999)
    }))

  it("7.4 flows stay immutable values: older values keep their edges, branches do not see each other", () => {
    const [a, b, c, d] = chain(4)
    const base = Flow.make({ name: "f", start: a }).pipe(Flow.next(a, b))
    const left = base.pipe(Flow.next(b, c))
    const right = base.pipe(Flow.next(b, d))
    const further = left.pipe(Flow.next(c, d))
    assert.strictEqual(base.edges.size, 1)
    assert.strictEqual(left.edges.get(b)?.get("default"), c)
    assert.strictEqual(right.edges.get(b)?.get("default"), d)
    assert.isFalse(right.edges.has(c))
    assert.strictEqual(further.edges.size, 3)
    assert.strictEqual(left.edges.size, 2)
    // A branch from an older value may reuse a (node, action) its sibling wired, and may not see its names.
    const other = Node.make({ name: "n2" })
    assert.strictEqual(right.pipe(Flow.next(d, other)).edges.get(d)?.get("default"), other)
    assert.throws(() => left.pipe(Flow.next(c, other)), FlowDefinitionError)
  })
})

describe("7.end Flow.end declares an exit", () => {
  const revise = Node.make({ name: "revise" })

  const warnings = (self: Effect.Effect<unknown, unknown>) =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
        if (logLevel === "Warn") logged.push(String(message))
      })
      yield* self.pipe(Effect.provide(Logger.layer([logger])))
      return logged
    })

  it.effect("7.end taking a declared exit ends the run with its action and no warning or UnmatchedAction", () =>
    Effect.gen(function*() {
      const pick = Node.make({ name: "pick", post: () => Node.action(Math.random() > 2 ? "revise" : "done") })
      const quiet = Flow.make({ name: "quiet", start: pick }).pipe(
        Flow.on(pick, "revise", revise),
        Flow.end(pick, "done")
      )
      const noisy = Flow.make({ name: "noisy", start: pick }).pipe(Flow.on(pick, "revise", revise))
      assert.deepStrictEqual(yield* warnings(Flow.run(quiet)), [])
      assert.strictEqual(yield* Flow.run(quiet), "done")
      assert.strictEqual((yield* warnings(Flow.run(noisy))).length, 1)
      const events = Array.from(yield* Stream.runCollect(Flow.events(quiet)))
      assert.isFalse(events.some(FlowEvent.is("UnmatchedAction")))
      assert.strictEqual(events[events.length - 1]?._tag, "FlowFinished")
    }))

  it("7.end an exit for a wired (node, action), or an edge on a declared exit, throws FlowDefinitionError", () => {
    const pick = Node.make({ name: "pick", post: () => Node.action(Math.random() > 2 ? "revise" : "done") })
    const flow = Flow.make({ name: "f", start: pick })
    assert.throws(() => flow.pipe(Flow.on(pick, "done", revise), Flow.end(pick, "done")), FlowDefinitionError)
    assert.throws(() => flow.pipe(Flow.end(pick, "done"), Flow.on(pick, "done", revise)), FlowDefinitionError)
    assert.throws(() => flow.pipe(Flow.end(pick, "done"), Flow.end(pick, "done")), FlowDefinitionError)
  })

  it("7.end from becomes part of the flow: its name is checked and it is drawn", () => {
    const start = Node.make({ name: "start" })
    const last = Node.make({ name: "last", post: () => Node.action("stop") })
    const flow = Flow.make({ name: "f", start }).pipe(Flow.next(start, last), Flow.end(last, "stop"))
    assert.include(Flow.toMermaid(flow), "last[\"last\"]")
    const impostor = Node.make({ name: "last", post: () => Node.action("stop") })
    assert.throws(() => flow.pipe(Flow.end(impostor, "stop")), FlowDefinitionError)
  })
})
