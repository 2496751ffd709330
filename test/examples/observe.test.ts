/**
 * The demo's displays (examples/observe.ts): the progress line on a terminal and on plain output, and
 * the trace tree, on the TestClock so rates and durations are exact.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as observe from "../../examples/observe.ts"
import { Flow, Node } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"

/** Four items of one second each, two at a time. */
const makeBatch = () => {
  const work = Node.batch({
    name: "work",
    prep: Effect.succeed([1, 2, 3, 4]),
    exec: () => Effect.sleep("1 second"),
    concurrency: 2
  })
  return Flow.make({ name: "jobs", start: work })
}

describe("examples/observe", () => {
  it.effect("plain output: one line per update, no carriage returns or ANSI codes", () =>
    Effect.gen(function*() {
      const output = observe.memory(false)
      yield* advancing(observe.withProgress(makeBatch(), output), "2 seconds")
      assert.strictEqual(
        output.text(),
        [
          "jobs/work [░░░░░░░░░░░░░░░░░░░░░░░░] 0/4  0.0/s",
          "jobs/work [██████░░░░░░░░░░░░░░░░░░] 1/4  1.0/s",
          "jobs/work [████████████░░░░░░░░░░░░] 2/4  2.0/s",
          "jobs/work [██████████████████░░░░░░] 3/4  1.5/s",
          "jobs/work [████████████████████████] 4/4  2.0/s",
          ""
        ].join("\n")
      )
      assert.notMatch(output.text(), /\r|\x1b/)
    }))

  it.effect("terminal output: redraws one line in place and ends it when the batch completes", () =>
    Effect.gen(function*() {
      const output = observe.memory(true)
      yield* advancing(observe.withProgress(makeBatch(), output), "2 seconds")
      const text = output.text()
      assert.strictEqual(text.split("\r\x1b[2K").length - 1, 5)
      assert.isTrue(text.endsWith("4/4  2.0/s\n"))
      assert.strictEqual(text.split("\n").length - 1, 1)
    }))

  it.effect("traceTree: nested nodes with actions, durations and retries", () =>
    Effect.gen(function*() {
      const think = Node.make({
        name: "think",
        exec: () =>
          Effect.flatMap(Node.CurrentAttempt, (n) => n === 1 ? Effect.fail("hmm") : Effect.sleep("2 seconds")),
        retry: Schedule.spaced("1 second"),
        post: () => Node.action("done")
      })
      const inner = Flow.make({ name: "inner", start: think })
      const start = Node.make({ name: "start" })
      const outer = Flow.make({ name: "outer", start }).pipe(Flow.next(start, inner))
      const events = yield* advancing(observe.collect(outer), "3 seconds")
      assert.deepStrictEqual(observe.traceTree(events), [
        "outer → done (3000ms)",
        "  start → default (0ms)",
        "  inner → done (3000ms)",
        "    think → done (3000ms)",
        "      ↻ attempt 1 failed, retry in 1000ms"
      ])
    }))
})
