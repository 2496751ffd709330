import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { TestClock } from "effect/testing"
import * as research from "../../examples/parallel-research.ts"
import { recorded } from "../support/model.ts"

describe("examples/parallel-research", () => {
  it.effect("runs the three tools at once, survives the one that is down, and joins their findings", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(recorded(research.program))
      // web 300 ms, papers fails at 200 ms, encyclopedia 100 ms: in parallel the slowest decides
      yield* TestClock.adjust("299 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const { prompts, result: state } = yield* Fiber.join(fiber)

      assert.deepStrictEqual(research.inBranchOrder(state), [
        {
          tool: "web",
          snippets: [
            "Octopuses have about 500 million neurons, two thirds of them in their arms.",
            "Octopuses have been filmed opening jars and escaping tanks."
          ],
          note: undefined
        },
        { tool: "papers", snippets: [], note: "papers unavailable (ToolUnavailable)" },
        {
          tool: "encyclopedia",
          snippets: ["Octopus: a soft-bodied cephalopod with eight arms and a large brain."],
          note: undefined
        }
      ])
      // the branches finished fastest first
      assert.deepStrictEqual(Object.keys(state.findings), ["encyclopedia", "papers", "web"])
      assert.strictEqual(
        state.answer,
        "Octopuses are very smart: about 500 million neurons, most of them in their arms, let them open jars and " +
          "escape tanks. Sources: web, encyclopedia."
      )
      // one model call, the join's, with the findings in branch order
      assert.strictEqual(prompts.length, 1)
      assert.isBelow(prompts[0]!.indexOf("## WEB"), prompts[0]!.indexOf("## PAPERS"))
      assert.isBelow(prompts[0]!.indexOf("## PAPERS"), prompts[0]!.indexOf("## ENCYCLOPEDIA"))
    }).pipe(Effect.provide(research.layer)))

  it.effect("when no tool finds anything the flow ends without asking the model", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(
        research.ResearchTools.offline,
        TestLanguageModel.layer([]),
        research.ResearchStore.layer({ question: "What is a quasar?", findings: {}, answer: undefined })
      )
      const fiber = yield* Effect.forkChild(
        Effect.provide(Effect.all({ action: research.flow, state: research.ResearchStore.get }), layer)
      )
      yield* TestClock.adjust("1 second")
      const { action, state } = yield* Fiber.join(fiber)
      assert.strictEqual(action, "nothing")
      assert.strictEqual(state.answer, undefined)
      assert.deepStrictEqual(research.inBranchOrder(state).map((f) => f.snippets.length), [0, 0, 0])
    }))
})
