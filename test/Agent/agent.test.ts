/**
 * `Agent.make` on the scripted model: the tool loop, `maxTurns`, typed handler errors, approvals accepted and rejected
 * (inline and under `Durable.run`, where a resumed agent neither asks the model again for a finished turn nor runs a
 * finished tool call again), and the default retry of model calls.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { WorkflowEngine } from "effect/workflow"
import { Agent, Checkpointer, Durable, Flow, type Node } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"
import { approvedWorkflow, email, handlers, mailer, Store, Tools } from "./fixtures.ts"

const question = (q: string) => Store.initial({ question: q, answer: "" })

const assistant = (options: { readonly maxTurns?: number } = {}) =>
  Agent.make({
    name: "assistant",
    instructions: "You answer questions. Use the tools.",
    prompt: Effect.map(Store.get, (s) => s.question),
    toolkit: Tools,
    ...options,
    post: ({ text }) => Store.update((s) => ({ ...s, answer: text }))
  })

/** Runs `node` as a one-node flow on the store and returns the final state. */
const runPlain = <A extends string, E, R>(node: Node.Node<A, E, R>, q: string) =>
  Effect.andThen(Flow.run(Flow.make({ name: "f", start: node })), Store.get).pipe(
    Effect.provide(Store.layer({ question: q, answer: "" }))
  )

describe("Agent.make", () => {
  it.effect("runs the tool loop: the model calls a tool, gets its result, then answers", () =>
    Effect.gen(function*() {
      const state = yield* runPlain(assistant(), "Is it cold in Oslo?")
      assert.strictEqual(state.answer, "Yes, 4 °C.")
      const calls = yield* TestLanguageModel.calls
      assert.strictEqual(calls.length, 2)
      assert.deepStrictEqual(calls[0]!.tools, ["get_weather", "send_email", "bounce"])
      assert.strictEqual(
        calls[1]!.text,
        "You answer questions. Use the tools.\nIs it cold in Oslo?\n" +
          "tool call get_weather {\"city\":\"Oslo\"}\ntool result get_weather {\"city\":\"Oslo\",\"celsius\":4}"
      )
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer([TestLanguageModel.toolCall("get_weather", { city: "Oslo" }), "Yes, 4 °C."]),
      handlers()
    ))))

  it.effect("gives post the answer, the turns and every tool use", () =>
    Effect.gen(function*() {
      let seen: Agent.Result | undefined
      const agent = Agent.make({
        name: "a",
        instructions: "Be brief.",
        prompt: Effect.succeed("Weather in Oslo and Lisbon?"),
        toolkit: Tools,
        post: (result) =>
          Effect.sync(() => {
            seen = result
          })
      })
      yield* Flow.run(Flow.make({ name: "f", start: agent }))
      assert.strictEqual(seen?.text, "Cold and warm.")
      assert.strictEqual(seen?.turns, 3)
      assert.deepStrictEqual(seen?.tools.map((t) => [t.name, t.params, t.result, t.isFailure]), [
        ["get_weather", { city: "Oslo" }, { city: "Oslo", celsius: 4 }, false],
        ["get_weather", { city: "Lisbon" }, { city: "Lisbon", celsius: 21 }, false]
      ])
      assert.deepStrictEqual(seen?.prompt.content.map((m) => m.role), [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant"
      ])
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer([
        TestLanguageModel.toolCall("get_weather", { city: "Oslo" }),
        TestLanguageModel.toolCall("get_weather", { city: "Lisbon" }),
        "Cold and warm."
      ]),
      handlers()
    ))))

  it.effect("with Flow.events(…, { model: true }) it reports its text, tool calls, tool results and usage, in order", () =>
    Effect.gen(function*() {
      const flow = Flow.make({ name: "f", start: assistant() })
      const events = yield* Stream.runCollect(Flow.events(flow, { model: true })).pipe(
        Effect.provide(Store.layer({ question: "Is it cold in Oslo?", answer: "" }))
      )
      const lines = events.flatMap((e) =>
        e._tag === "ModelDelta"
          ? [`delta ${e.path} ${e.text}`]
          : e._tag === "ToolCalled"
          ? [`call ${e.path} ${e.name} ${JSON.stringify(e.params)}`]
          : e._tag === "ToolResult"
          ? [`result ${e.path} ${e.name} ${JSON.stringify(e.result)}`]
          : e._tag === "ModelFinished"
          ? [`finished ${e.path}`]
          : []
      )
      assert.deepStrictEqual(lines, [
        "delta f/assistant Checkin",
        "delta f/assistant g",
        "call f/assistant get_weather {\"city\":\"Oslo\"}",
        "finished f/assistant",
        "result f/assistant get_weather {\"city\":\"Oslo\",\"celsius\":4}",
        "delta f/assistant Yes, 4 ",
        "delta f/assistant °C.",
        "finished f/assistant"
      ])
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer(
        [TestLanguageModel.toolCall("get_weather", { city: "Oslo" }, { text: "Checking" }), "Yes, 4 °C."],
        { chunkSize: 7 }
      ),
      handlers()
    ))))

  it.effect("fails with AgentTurnsExceeded after maxTurns model calls", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runPlain(assistant({ maxTurns: 3 }), "?"))
      assert.strictEqual(error._tag, "AgentTurnsExceeded")
      if (error._tag === "AgentTurnsExceeded") assert.deepStrictEqual([error.agent, error.maxTurns], ["assistant", 3])
      assert.strictEqual((yield* TestLanguageModel.calls).length, 3)
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer(() => TestLanguageModel.toolCall("get_weather", { city: "Oslo" })),
      handlers()
    ))))

  it.effect("a handler's typed error fails the node with that error, typed", () =>
    Effect.gen(function*() {
      // catchTag compiles only because MailboxFull is in the node's error type.
      const handled = yield* runPlain(assistant(), "Mail Bob").pipe(
        Effect.as("sent"),
        Effect.catchTag("MailboxFull", (e) => Effect.succeed(`full: ${e.to}`))
      )
      assert.strictEqual(handled, "full: bob@example.com")
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer([TestLanguageModel.toolCall("bounce", { to: "bob@example.com" })]),
      handlers()
    ))))

  it.effect("an approved call runs; the human saw the tool's name and parameters", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const asked: Array<unknown> = []
      const state = yield* runPlain(mailer, "Greet Ada").pipe(
        Effect.provide(Layer.mergeAll(
          TestLanguageModel.layer([email, "Done."]),
          handlers(sent),
          Durable.layerAnswers(mailer.approvals.send_email, (prompt) =>
            Effect.sync(() => {
              asked.push(prompt)
              return { approve: true }
            }))
        ))
      )
      assert.deepStrictEqual(asked, [{ name: "send_email", params: { to: "ada@example.com", body: "Hello" } }])
      assert.deepStrictEqual(sent, ["ada@example.com: Hello"])
      assert.strictEqual(state.answer, "Done. [send_email:false]")
    }))

  it.effect("a rejected call does not run: the rejection goes back to the model as the call's result", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const { calls, state } = yield* Effect.all({
        state: runPlain(mailer, "Greet Ada"),
        calls: TestLanguageModel.calls
      }).pipe(
        Effect.provide(Layer.mergeAll(
          TestLanguageModel.layer([email, "I did not send it."]),
          handlers(sent),
          Durable.layerAnswers(
            mailer.approvals.send_email,
            () => Effect.succeed({ approve: false, reason: "not today" })
          )
        ))
      )
      assert.deepStrictEqual(sent, [])
      assert.strictEqual(state.answer, "I did not send it. [send_email:true]")
      assert.include(calls[1]!.text, "tool result failed send_email \"The user rejected this call: not today\"")
    }))

  it.effect("under Durable.run an approval suspends the run; after the answer the finished turn is not asked again", () => {
    const sent: Array<string> = []
    return Effect.gen(function*() {
      const flow = Flow.make({ name: "mail", start: mailer })
      const stores = [question("Greet Ada")]
      const run = Durable.run(flow, { id: "m", stores })
      const first = yield* run
      assert.strictEqual(first._tag, "Suspended")
      const waiting = first._tag === "Suspended" ? first.waiting : []
      assert.deepStrictEqual(waiting.map((w) => [w.key, w.input, w.prompt]), [
        ["mail/mailer#1/approve-send_email#1.1", "approve-send_email", {
          name: "send_email",
          params: { to: "ada@example.com", body: "Hello" }
        }]
      ])
      assert.deepStrictEqual(sent, [])
      yield* Durable.answer({ id: "m", input: mailer.approvals.send_email, value: { approve: true } })
      const done = yield* run
      assert.strictEqual(done._tag, "Done")
      assert.deepStrictEqual(sent, ["ada@example.com: Hello"])
      assert.strictEqual((yield* Durable.state("m", Store)).answer, "Sent. [send_email:false]")
      // One call for the first turn (kept across the suspension), one for the second.
      assert.strictEqual((yield* TestLanguageModel.calls).length, 2)
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer(({ number }) => number === 1 ? email : "Sent."),
      handlers(sent),
      Checkpointer.layerMemory
    )))
  })

  it.live("under Durable.toWorkflow each model call and tool call is an activity: replays neither", () =>
    Effect.gen(function*() {
      const { calls, sent, store } = yield* approvedWorkflow(WorkflowEngine.layerMemory)
      assert.deepStrictEqual(store, { question: "Greet Ada", answer: "Sent. [send_email:false]" })
      assert.deepStrictEqual(sent, ["ada@example.com: Hello"])
      assert.strictEqual(calls, 2)
    }))

  it.effect("retries a rate-limited model call after retry-after; a 4xx fails the node at once", () =>
    Effect.gen(function*() {
      const limited = yield* runPlain(assistant(), "Hi").pipe(
        Effect.provide(TestLanguageModel.layer([TestLanguageModel.rateLimited("30 seconds"), "Hello!"])),
        Effect.provide(handlers()),
        Effect.forkChild
      )
      yield* TestClock.adjust("29 seconds")
      assert.isUndefined(limited.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(limited)).answer, "Hello!")

      const bad = yield* runPlain(assistant(), "Hi").pipe(
        Effect.provide(TestLanguageModel.layer([TestLanguageModel.httpError(400), "never"])),
        Effect.provide(handlers()),
        Effect.flip
      )
      assert.strictEqual(bad._tag, "AiError")
    }))
})
