import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Ref, Schema, Stream } from "effect"
import { Flow, Node } from "effect-pocketflow"
import { OpenAi } from "effect-pocketflow/openai"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { AiError, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { TestClock } from "effect/testing"

const ask = (prompt: string) => Effect.map(LanguageModel.generateText({ prompt }), (r) => r.text)

const deltas = (prompt: string) =>
  LanguageModel.streamText({ prompt }).pipe(
    Stream.filter((part) => part.type === "text-delta"),
    Stream.map((part) => part.delta),
    Stream.runCollect
  )

/** The defect of a run that died, or a failed assertion. */
const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  assert.isTrue(Exit.isFailure(exit), "expected the run to fail")
  if (!Exit.isFailure(exit)) return undefined
  assert.isFalse(Cause.hasFails(exit.cause), "expected no typed failure")
  const die = exit.cause.reasons.find(Cause.isDieReason)
  assert.isDefined(die, "expected a defect")
  return die?.defect
}

describe("TestLanguageModel", () => {
  it.effect("a list of replies is played in order, one per call, and every call is recorded", () =>
    Effect.gen(function*() {
      const answers = yield* Effect.all([ask("first?"), ask("second?")])
      assert.deepStrictEqual(answers, ["one", "two"])
      const calls = yield* TestLanguageModel.calls
      assert.deepStrictEqual(
        calls.map((c) => [c.number, c.method, c.text]),
        [[1, "generateText", "first?"], [2, "generateText", "second?"]]
      )
      assert.deepStrictEqual(yield* TestLanguageModel.prompts, ["first?", "second?"])
      assert.strictEqual(calls[0]?.prompt.content[0]?.role, "user")
    }).pipe(Effect.provide(TestLanguageModel.layer(["one", "two"]))))

  it.effect("a function picks each reply from the call", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ number, text }) =>
        /capital of France/i.test(text) ? "Paris" : `call ${number}: ${text.length} characters`
      )
      const answers = yield* Effect.all([ask("What is the capital of France?"), ask("abc")]).pipe(
        Effect.provide(model)
      )
      assert.deepStrictEqual(answers, ["Paris", "call 2: 3 characters"])
    }))

  it.effect("system and user messages are flattened into the text the script sees", () =>
    Effect.gen(function*() {
      yield* LanguageModel.generateText({
        prompt: [
          { role: "system", content: "Be brief." },
          { role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }
        ]
      })
      assert.deepStrictEqual(yield* TestLanguageModel.prompts, ["Be brief.\nHi there"])
    }).pipe(Effect.provide(TestLanguageModel.layer(["ok"]))))

  it.effect("a list that runs out is a defect naming the call and the prompt, not a typed AiError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.all([ask("a"), ask("b"), ask("Where is the third reply?")]))
      const defect = defectOf(exit)
      assert.instanceOf(defect, TestLanguageModel.ScriptExhausted)
      if (defect instanceof TestLanguageModel.ScriptExhausted) {
        assert.strictEqual(defect.call, 3)
        assert.strictEqual(defect.replies, 2)
        assert.strictEqual(defect.prompt, "Where is the third reply?")
        assert.strictEqual(
          defect.message,
          "TestLanguageModel: no reply for call 3 (the script has 2 replies); prompt: \"Where is the third reply?\""
        )
      }
      // the call without a reply is still recorded
      assert.deepStrictEqual(yield* TestLanguageModel.prompts, ["a", "b", "Where is the third reply?"])
    }).pipe(Effect.provide(TestLanguageModel.layer(["1", "2"]))))

  it.effect("a function returning undefined is a defect, and a retry does not absorb it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(ask("unknown question").pipe(Effect.retry({ times: 3 })))
      const defect = defectOf(exit)
      assert.instanceOf(defect, TestLanguageModel.ScriptExhausted)
      assert.include(String((defect as Error).message), "call 1 (the script function returned no reply)")
      // a defect is not retried: one call only
      assert.strictEqual((yield* TestLanguageModel.calls).length, 1)
    }).pipe(Effect.provide(TestLanguageModel.layer(() => undefined))))

  it.effect("a node's retry and fallback do not hide a script that is too short", () =>
    Effect.gen(function*() {
      const node = Node.make({
        name: "ask",
        exec: () => ask("one question too many"),
        retry: { times: 2 },
        fallback: () => Effect.succeed("fallback answer")
      })
      const exit = yield* Effect.exit(Flow.run(Flow.make({ name: "short-script", start: node })))
      assert.instanceOf(defectOf(exit), TestLanguageModel.ScriptExhausted)
      assert.strictEqual((yield* TestLanguageModel.calls).length, 1)
    }).pipe(Effect.provide(TestLanguageModel.layer([]))))

  it.effect("a long prompt is cut in the defect's message but kept whole in its field", () =>
    Effect.gen(function*() {
      const prompt = "x".repeat(1000)
      const defect = defectOf(yield* Effect.exit(ask(prompt)))
      assert.instanceOf(defect, TestLanguageModel.ScriptExhausted)
      if (defect instanceof TestLanguageModel.ScriptExhausted) {
        assert.strictEqual(defect.prompt, prompt)
        assert.include(defect.message, `"${"x".repeat(300)}…"`)
        assert.isBelow(defect.message.length, 400)
      }
    }).pipe(Effect.provide(TestLanguageModel.layer([]))))

  it.effect("fail(error) is a scripted typed failure; a retry then gets the next reply", () =>
    Effect.gen(function*() {
      const overloaded = AiError.make({
        module: "Test",
        method: "generateText",
        reason: new AiError.UnknownError({ description: "overloaded" })
      })
      const model = TestLanguageModel.layer([
        TestLanguageModel.fail(overloaded),
        TestLanguageModel.fail("rate limited"),
        "third time lucky"
      ])
      const { first, second, third } = yield* Effect.all({
        first: Effect.flip(ask("q")),
        second: Effect.flip(ask("q")),
        third: ask("q")
      }).pipe(Effect.provide(model))
      assert.strictEqual(first, overloaded)
      assert.strictEqual(second._tag, "AiError")
      assert.strictEqual(second.reason._tag, "UnknownError")
      assert.include(second.message, "rate limited")
      assert.strictEqual(third, "third time lucky")

      const { answer, calls } = yield* Effect.all({
        answer: ask("q").pipe(Effect.retry({ times: 1 })),
        calls: TestLanguageModel.calls
      }).pipe(Effect.provide(TestLanguageModel.layer([TestLanguageModel.fail("flaky"), "ok"])))
      assert.strictEqual(answer, "ok")
      assert.strictEqual(calls.length, 2)
    }))

  it.effect("each build of the layer starts the script and the record afresh", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(["first", "second"])
      const run = Effect.all({ answer: ask("q"), prompts: TestLanguageModel.prompts }).pipe(Effect.provide(model))
      const a = yield* run
      const b = yield* run
      assert.deepStrictEqual(a, { answer: "first", prompts: ["q"] })
      assert.deepStrictEqual(b, { answer: "first", prompts: ["q"] })
    }))

  it.effect("streamText streams the reply in chunks of the chosen size", () =>
    Effect.gen(function*() {
      const chunks = yield* deltas("stream it").pipe(
        Effect.provide(TestLanguageModel.layer(["Hello world"], { chunkSize: 3 }))
      )
      assert.deepStrictEqual(chunks, ["Hel", "lo ", "wor", "ld"])
      const byDefault = yield* deltas("stream it").pipe(
        Effect.provide(TestLanguageModel.layer(["The default chunk is eight characters"]))
      )
      assert.deepStrictEqual(byDefault, ["The defa", "ult chun", "k is eig", "ht chara", "cters"])
    }))

  it.effect("a streamed reply is a full response: start, deltas, end, finish; the call is recorded", () =>
    Effect.gen(function*() {
      const parts = yield* Stream.runCollect(LanguageModel.streamText({ prompt: "hi" }))
      assert.deepStrictEqual(parts.map((p) => p.type), ["text-start", "text-delta", "text-end", "finish"])
      const calls = yield* TestLanguageModel.calls
      assert.deepStrictEqual(calls.map((c) => [c.method, c.text]), [["streamText", "hi"]])
    }).pipe(Effect.provide(TestLanguageModel.layer(["hey"]))))

  it.effect("a scripted failure fails the stream with the AiError; a script that runs out kills it", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer([TestLanguageModel.fail("stream broke")])
      const error = yield* Effect.flip(deltas("q")).pipe(Effect.provide(model))
      assert.strictEqual(error._tag, "AiError")
      assert.include(error.message, "stream broke")
      const exit = yield* Effect.exit(deltas("q")).pipe(Effect.provide(TestLanguageModel.layer([])))
      assert.instanceOf(defectOf(exit), TestLanguageModel.ScriptExhausted)
    }))

  it.effect("chunkDelay spaces the chunks in (virtual) time", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const fiber = yield* LanguageModel.streamText({ prompt: "q" }).pipe(
        Stream.filter((part) => part.type === "text-delta"),
        Stream.runForEach((part) => Ref.update(seen, (s) => [...s, part.delta])),
        Effect.forkChild
      )
      yield* TestClock.adjust("100 millis")
      // each part waits 100 ms after it is emitted; the text-start part came first
      assert.deepStrictEqual(yield* Ref.get(seen), [])
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(yield* Ref.get(seen), ["ab"])
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(yield* Ref.get(seen), ["ab", "cd"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* Ref.get(seen), ["ab", "cd", "ef"])
    }).pipe(Effect.provide(TestLanguageModel.layer(["abcdef"], { chunkSize: 2, chunkDelay: "100 millis" }))))

  it.effect("latency delays each reply; maxInFlight counts the calls that overlapped", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forEach(["a", "b", "c", "d", "e"], ask, { concurrency: 2 }).pipe(Effect.forkChild)
      // calls are recorded when they start: two at once, the next two when the first two have answered
      yield* TestClock.adjust("0 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 2)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 4)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 5)
      assert.strictEqual(fiber.pollUnsafe(), undefined)
      yield* TestClock.adjust("1 second")
      const answers = yield* Fiber.join(fiber)
      assert.deepStrictEqual(answers, ["A", "B", "C", "D", "E"])
      assert.strictEqual(yield* TestLanguageModel.maxInFlight, 2)
    }).pipe(
      Effect.provide(TestLanguageModel.layer(({ text }) => text.toUpperCase(), { latency: "1 second" }))
    ))

  it.effect("a streamed call stays in flight until its stream ends", () =>
    Effect.gen(function*() {
      const fiber = yield* deltas("stream").pipe(Effect.forkChild)
      yield* TestClock.adjust("150 millis")
      // the stream is half way through its chunks: a call made now overlaps it
      assert.strictEqual(yield* ask("meanwhile"), "second")
      assert.strictEqual(yield* TestLanguageModel.maxInFlight, 2)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["ab", "cd", "ef"])
      // after it ended, a call does not overlap anything
      assert.strictEqual(yield* ask("after"), "third")
      assert.strictEqual(yield* TestLanguageModel.maxInFlight, 2)
      assert.strictEqual((yield* TestLanguageModel.calls).length, 3)
    }).pipe(
      Effect.provide(TestLanguageModel.layer(["abcdef", "second", "third"], { chunkSize: 2, chunkDelay: "100 millis" }))
    ))

  it.effect("in-flight calls are counted down when they fail, die or are interrupted", () =>
    Effect.gen(function*() {
      // runs an effect to its end while virtual time passes the model's latency
      const settle = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.exit(effect).pipe(
          Effect.forkChild,
          Effect.tap(() => TestClock.adjust("1 second")),
          Effect.flatMap(Fiber.join)
        )
      assert.isTrue(Exit.isFailure(yield* settle(ask("fails"))))
      assert.isTrue(Exit.isFailure(yield* settle(ask("dies"))))
      const slow = yield* ask("slow").pipe(Effect.forkChild)
      yield* TestClock.adjust("0 millis")
      yield* Fiber.interrupt(slow)
      assert.isTrue(Exit.isSuccess(yield* settle(Effect.forEach(["a", "b"], ask, { concurrency: "unbounded" }))))
      // each earlier call ended before the next began; only the last two overlapped
      assert.strictEqual((yield* TestLanguageModel.calls).length, 5)
      assert.strictEqual(yield* TestLanguageModel.maxInFlight, 2)
    }).pipe(
      Effect.provide(TestLanguageModel.layer(({ text }) => {
        if (text === "fails") return TestLanguageModel.fail("no")
        if (text === "dies") return undefined
        return text
      }, { latency: "1 second" }))
    ))

  it.effect("generateObject decodes a JSON reply", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateObject({
        prompt: "Extract the city",
        schema: Schema.Struct({ city: Schema.String })
      })
      assert.deepStrictEqual(response.value, { city: "Paris" })
    }).pipe(Effect.provide(TestLanguageModel.layer([JSON.stringify({ city: "Paris" })]))))

  it("rejects a bad chunkSize or script when the layer is made", () => {
    assert.throws(() => TestLanguageModel.layer([], { chunkSize: 0 }), RangeError, /chunkSize/)
    assert.throws(() => TestLanguageModel.layer([], { chunkSize: 1.5 }), RangeError, /chunkSize/)
    assert.throws(() => TestLanguageModel.layer("hello" as never), TypeError, /received string/)
  })
})

describe("TestLanguageModel tool calls", () => {
  const Search = Tool.make("search", {
    parameters: Schema.Struct({ query: Schema.String }),
    success: Schema.Array(Schema.String)
  })
  const Tools = Toolkit.make(Search)
  const handlers = Tools.toLayer({
    search: ({ query }) => Effect.succeed([`result for ${query}`])
  })

  it.effect("a scripted tool call runs the toolkit's handler, as with a real provider", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "Find the winners", toolkit: Tools })
      assert.deepStrictEqual(response.toolCalls.map((c) => [c.name, c.params]), [["search", { query: "Nobel" }]])
      assert.deepStrictEqual(response.toolResults.map((r) => r.result), [["result for Nobel"]])
      assert.strictEqual(response.text, "Let me look.")
      assert.strictEqual(response.finishReason, "tool-calls")
      const calls = yield* TestLanguageModel.calls
      assert.deepStrictEqual(calls[0]?.tools, ["search"])
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          TestLanguageModel.layer([TestLanguageModel.toolCall("search", { query: "Nobel" }, { text: "Let me look." })]),
          handlers
        )
      )
    ))

  it.effect("a node that gives the model a toolkit routes on the tool call", () =>
    Effect.gen(function*() {
      // The node asks with the toolkit; a tool call means "searched", plain text means "answered".
      const step = Node.make({
        name: "step",
        exec: () => LanguageModel.generateText({ prompt: "Who won?", toolkit: Tools }),
        post: (_p, response) => (response.toolResults.length > 0 ? Node.action("searched") : Node.action("answered"))
      })
      const flow = Flow.make({ name: "tools", start: step })
      const run = (script: TestLanguageModel.Script) =>
        Flow.run(flow).pipe(Effect.provide(Layer.mergeAll(TestLanguageModel.layer(script), handlers)))
      assert.strictEqual(yield* run([TestLanguageModel.toolCall("search", { query: "Nobel" })]), "searched")
      assert.strictEqual(yield* run(["Hopfield and Hinton"]), "answered")
    }))

  it.effect("a streamed tool call is resolved too", () =>
    Effect.gen(function*() {
      const parts = yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Find", toolkit: Tools }))
      const result = parts.find((p) => p.type === "tool-result")
      assert.isDefined(result)
      if (result?.type === "tool-result") {
        assert.strictEqual(result.name, "search")
        assert.strictEqual(result.id, "call-1")
        assert.deepStrictEqual(result.result, ["result for streams"])
      }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(TestLanguageModel.layer([TestLanguageModel.toolCall("search", { query: "streams" })]), handlers)
      )
    ))

  it.effect("params that do not match the tool's schema fail as a typed AiError, like a bad provider reply", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "Find", toolkit: Tools }))
      assert.strictEqual(error._tag, "AiError")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(TestLanguageModel.layer([TestLanguageModel.toolCall("search", { q: 1 })]), handlers)
      )
    ))
})

describe("TestLanguageModel provider failures", () => {
  const failureOf = (reply: TestLanguageModel.Reply) =>
    Effect.flip(ask("q")).pipe(Effect.provide(TestLanguageModel.layer([reply])))

  it.effect("rateLimited(retryAfter) and serverError() are retryable AiErrors; OpenAi.retry waits retry-after", () =>
    Effect.gen(function*() {
      const limited = yield* failureOf(TestLanguageModel.rateLimited("20 seconds"))
      assert.strictEqual(limited.reason._tag, "RateLimitError")
      assert.isTrue(limited.isRetryable)
      assert.strictEqual(Duration.toMillis(limited.retryAfter!), 20_000)
      const server = yield* failureOf(TestLanguageModel.serverError())
      assert.strictEqual(server.reason._tag, "InternalProviderError")
      assert.isTrue(server.isRetryable)

      const fiber = yield* Effect.all({
        answer: ask("q").pipe(Effect.retry(OpenAi.retry)),
        calls: TestLanguageModel.calls
      }).pipe(
        Effect.provide(TestLanguageModel.layer([TestLanguageModel.rateLimited("20 seconds"), "Paris"])),
        Effect.forkChild
      )
      yield* TestClock.adjust("19 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const { answer, calls } = yield* Fiber.join(fiber)
      assert.strictEqual(answer, "Paris")
      assert.strictEqual(calls.length, 2)
    }))

  it.effect("a scripted 4xx is not retryable: OpenAi.retry stops at once", () =>
    Effect.gen(function*() {
      for (const [status, tag] of [[400, "InvalidRequestError"], [401, "AuthenticationError"]] as const) {
        const error = yield* failureOf(TestLanguageModel.httpError(status))
        assert.strictEqual(error.reason._tag, tag)
        assert.isFalse(error.isRetryable)
      }
      const { calls, error } = yield* Effect.all({
        error: Effect.flip(ask("q").pipe(Effect.retry(OpenAi.retry))),
        calls: TestLanguageModel.calls
      }).pipe(Effect.provide(TestLanguageModel.layer([TestLanguageModel.httpError(400), "never"])))
      assert.strictEqual(error.reason._tag, "InvalidRequestError")
      assert.strictEqual(calls.length, 1)
    }))

  it.effect("a string failure is an UnknownError (not retryable), or with { retryable: true } a retryable one", () =>
    Effect.gen(function*() {
      const plain = yield* failureOf(TestLanguageModel.fail("overloaded"))
      assert.strictEqual(plain.reason._tag, "UnknownError")
      assert.isFalse(plain.isRetryable)
      const retryable = yield* failureOf(TestLanguageModel.fail("overloaded", { retryable: true }))
      assert.strictEqual(retryable.reason._tag, "InternalProviderError")
      assert.isTrue(retryable.isRetryable)
      assert.include(retryable.message, "overloaded")
    }))
})

describe("TestLanguageModel recorded text", () => {
  const Search = Tool.make("search", { parameters: Schema.Struct({ query: Schema.String }), success: Schema.String })
  const Tools = Toolkit.make(Search)

  it.effect("includes the tool calls the model made and the tools' results", () =>
    Effect.gen(function*() {
      const first = yield* LanguageModel.generateText({ prompt: "Who won?", toolkit: Tools })
      yield* LanguageModel.generateText({
        prompt: Prompt.concat(Prompt.make("Who won?"), Prompt.fromResponseParts(first.content)),
        toolkit: Tools
      })
      const prompts = yield* TestLanguageModel.prompts
      assert.strictEqual(
        prompts[1],
        "Who won?\nLet me look.\ntool call search {\"query\":\"Nobel\"}\ntool result search \"Hinton\""
      )
    }).pipe(
      Effect.provide(Layer.mergeAll(
        TestLanguageModel.layer([
          TestLanguageModel.toolCall("search", { query: "Nobel" }, { text: "Let me look." }),
          "Hinton"
        ]),
        Tools.toLayer({ search: () => Effect.succeed("Hinton") })
      ))
    ))
})
