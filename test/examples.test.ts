/**
 * Runs every example's `program` with its layers (offline model, fresh store, fakes) and checks what the
 * flow really did: the final store, the calls the model received, and for the timed examples the virtual time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as agent from "../examples/agent.ts"
import * as batchFlow from "../examples/batch-flow.ts"
import * as hello from "../examples/hello.ts"
import * as mapReduce from "../examples/map-reduce.ts"
import * as streaming from "../examples/streaming.ts"
import * as structuredOutput from "../examples/structured-output.ts"

describe("hello", () => {
  it.effect("stores the model's answer to the question", () =>
    Effect.gen(function*() {
      const state = yield* Effect.provide(hello.program, hello.layer)
      assert.strictEqual(state.question, hello.question)
      assert.strictEqual(
        state.answer,
        "PocketFlow is a 100-line LLM framework that models a workflow as a graph of nodes joined by actions."
      )
    }))

  it.effect("answers whatever question the provided store holds", () =>
    Effect.gen(function*() {
      const layer = Layer.mergeAll(hello.model, hello.HelloStore.layer({ question: "Why?", answer: undefined }))
      const state = yield* Effect.provide(hello.program, layer)
      assert.strictEqual(state.answer, "I don't know.")
    }))
})

describe("agent", () => {
  it.effect("searches twice, then answers from what it found", () =>
    Effect.gen(function*() {
      const { calls, state } = yield* Effect.provide(
        Effect.all({ state: agent.program, calls: TestLanguageModel.calls }),
        agent.layer
      )
      assert.deepStrictEqual(
        state.trail.map((line) => line.split(" ")[0]),
        ["decide", "search", "decide", "search", "decide", "answer"]
      )
      assert.deepStrictEqual(state.research.map((r) => r.query), [
        "2024 Nobel Prize Physics winners",
        "Hopfield network Boltzmann machine neural network"
      ])
      assert.deepStrictEqual(state.research[0]?.results.map((r) => r.title), [
        "The Nobel Prize in Physics 2024",
        "The Nobel Prize in Chemistry 2024"
      ])
      assert.include(state.answer, "John J. Hopfield and Geoffrey E. Hinton won the 2024 Nobel Prize in Physics")
      assert.strictEqual(state.query, undefined)
      // three decisions and one answer
      assert.strictEqual(calls.length, 4)
    }))

  it.effect("a malformed decision is decoded as a typed failure and retried", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer([
        "I think we should look things up!",
        "action: answer\nreason: ok",
        "The research does not say."
      ])
      const layer = Layer.mergeAll(model, agent.WebSearch.offline, agent.AgentStore.layer(agent.initial("Why?")))
      const { prompts, state } = yield* Effect.provide(
        Effect.all({ state: agent.program, prompts: TestLanguageModel.prompts }),
        layer
      )
      assert.deepStrictEqual(state.trail, ["decide → answer (ok)", "answer → done"])
      assert.strictEqual(state.answer, "The research does not say.")
      // the undecodable decision was asked again with the same prompt
      assert.strictEqual(prompts.length, 3)
      assert.strictEqual(prompts[1], prompts[0])
      assert.match(prompts[0] ?? "", /^You are a research agent/)
      assert.match(prompts[2] ?? "", /^Answer the question/)
    }))

  it.effect("a model that never stops searching is stopped by maxSteps", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) =>
        text.startsWith("You are a research agent") ? "action: search\nreason: more\nquery: Nobel Prize" : undefined
      )
      const layer = Layer.mergeAll(model, agent.WebSearch.offline, agent.AgentStore.layer(agent.initial("?")))
      const { error, state } = yield* Effect.provide(
        Effect.all({ error: Effect.flip(agent.program), state: agent.AgentStore.get }),
        layer
      )
      assert.strictEqual(error._tag, "MaxStepsExceeded")
      if (error._tag === "MaxStepsExceeded") {
        assert.strictEqual(error.flow, "agent")
        assert.strictEqual(error.maxSteps, 10)
        assert.strictEqual(error.node, "decide")
      }
      // 10 steps = five decide/search rounds; the answer is never reached
      assert.strictEqual(state.research.length, 5)
      assert.strictEqual(state.answer, undefined)
    }))
})

describe("map-reduce", () => {
  it.effect("summarizes in waves of at most 3 model calls, then reduces", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(mapReduce.program)
      // Each call takes 200 ms: 6 documents at 3 at a time are two waves, then one reduce call. A call is
      // recorded when it starts.
      yield* TestClock.adjust("0 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 3)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 6)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* TestLanguageModel.calls).length, 7)
      assert.match((yield* TestLanguageModel.prompts)[6] ?? "", /^Combine these summaries/)
      yield* TestClock.adjust("200 millis")
      const state = yield* Fiber.join(fiber)
      const calls = yield* TestLanguageModel.calls

      assert.strictEqual(yield* TestLanguageModel.maxInFlight, mapReduce.concurrency)
      assert.strictEqual(calls.length, 7)
      assert.deepStrictEqual(state.summaries, [
        { title: "Nodes", summary: "A node runs prep, exec and post in that order." },
        { title: "Actions", summary: "The value post returns is an action that picks the next node." },
        { title: "Flows", summary: "A flow starts at one node and follows actions from node to node." },
        { title: "Batches", summary: "A batch node maps exec over many items, sequentially or in parallel." },
        { title: "Retries", summary: "Exec is retried on failure according to the node's policy." },
        { title: "Shared store", summary: "Nodes communicate through a shared store that the caller provides." }
      ])
      assert.strictEqual(
        state.report,
        "PocketFlow in 6 ideas (nodes, actions, flows, batches, retries, shared store): " +
          state.summaries.map((s) => s.summary).join(" ")
      )
    }).pipe(Effect.provide(mapReduce.layer)))
})

describe("batch-flow", () => {
  it.effect("runs measure → summarize once per file and indexes the results", () =>
    Effect.gen(function*() {
      const { calls, state } = yield* Effect.provide(
        Effect.all({ state: batchFlow.program, calls: TestLanguageModel.calls }),
        batchFlow.layer
      )
      assert.deepStrictEqual(state.reports, {
        "intro.md": { lines: 2, words: 12, summary: "effect-pocketflow rebuilds PocketFlow on Effect." },
        "install.md": { lines: 3, words: 16, summary: "Install effect and effect-pocketflow with npm." },
        "retries.md": { lines: 2, words: 15, summary: "Retries are schedules from effect." }
      })
      assert.strictEqual(
        state.index,
        [
          "intro.md (2 lines, 12 words): effect-pocketflow rebuilds PocketFlow on Effect.",
          "install.md (3 lines, 16 words): Install effect and effect-pocketflow with npm.",
          "retries.md (2 lines, 15 words): Retries are schedules from effect."
        ].join("\n")
      )
      assert.strictEqual(calls.length, 3)
    }))

  it.effect("with no files, the batch runs nothing and the index is empty", () =>
    Effect.gen(function*() {
      const empty = batchFlow.BatchStore.layer({ files: {}, reports: {}, index: undefined })
      const state = yield* Effect.provide(batchFlow.program, Layer.mergeAll(batchFlow.model, empty))
      assert.deepStrictEqual(state.reports, {})
      assert.strictEqual(state.index, "")
    }))
})

describe("structured-output", () => {
  it.effect("a reply that does not decode is retried; the second attempt is stored", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(
        Effect.all({ state: structuredOutput.program, prompts: TestLanguageModel.prompts })
      )
      // The retry waits 500 ms before asking again.
      yield* TestClock.adjust("500 millis")
      const { prompts, state } = yield* Fiber.join(fiber)
      assert.strictEqual(state.extraction?.attempts, 2)
      assert.strictEqual(state.extraction?.problem, undefined)
      assert.deepStrictEqual(state.extraction?.candidate, {
        name: "Ada Lovelace",
        email: "ada@analytical.engine",
        experience: [
          { role: "Analyst", company: "Babbage & Co.", years: 5 },
          { role: "Lead programmer", company: "Analytical Engine Society", years: 3 }
        ],
        skills: ["mathematics", "algorithm design", "technical writing"]
      })
      // the retry asked the same question again
      assert.strictEqual(prompts.length, 2)
      assert.strictEqual(prompts[1], prompts[0])
      assert.include(prompts[0], structuredOutput.resume)
    }).pipe(Effect.provide(structuredOutput.layer)))

  it.effect("after the last failed attempt the fallback records the problem", () =>
    Effect.gen(function*() {
      const model = TestLanguageModel.layer(({ text }) =>
        text.startsWith("Extract the candidate") ? structuredOutput.badReply : undefined
      )
      const layer = Layer.mergeAll(
        model,
        structuredOutput.ResumeStore.layer({ resume: structuredOutput.resume, extraction: undefined })
      )
      const run = Effect.all({
        action: structuredOutput.flow,
        state: structuredOutput.ResumeStore.get,
        calls: TestLanguageModel.calls
      })
      const fiber = yield* Effect.forkChild(Effect.provide(run, layer))
      // two retries, 500 ms apart
      yield* TestClock.adjust("1 second")
      const { action, calls, state } = yield* Fiber.join(fiber)
      assert.strictEqual(action, "failed")
      assert.strictEqual(state.extraction?.candidate, undefined)
      assert.strictEqual(state.extraction?.attempts, structuredOutput.maxAttempts)
      assert.include(state.extraction?.problem, "Expected number")
      assert.strictEqual(calls.length, structuredOutput.maxAttempts)
    }))
})

describe("streaming", () => {
  it.effect("tokens reach the subscriber one chunk at a time, as the model streams them", () =>
    Effect.gen(function*() {
      const fiber = yield* streaming.tokens(streaming.flow).pipe(
        Stream.mapEffect((token) => Effect.map(Clock.currentTimeMillis, (at) => ({ token, at }))),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* TestClock.adjust("1 minute")
      const tokens = Array.from(yield* Fiber.join(fiber))
      assert.strictEqual(tokens.map((t) => t.token).join(""), streaming.reply)
      assert.strictEqual(tokens.length, Math.ceil(streaming.reply.length / 6))
      assert.isTrue(tokens.every((t) => t.token.length <= 6))
      // Each token arrived when its chunk did, 30 ms after the previous one: live, not all at the end.
      const gaps = tokens.slice(1).map((t, i) => t.at - tokens[i]!.at)
      assert.isTrue(gaps.every((gap) => gap === 30), `gaps: ${gaps.join(",")}`)
      assert.strictEqual((yield* streaming.ChatStore.get).answer, streaming.reply)
      const calls = yield* TestLanguageModel.calls
      assert.deepStrictEqual(calls.map((c) => c.method), ["streamText"])
      assert.include(calls[0]?.text, streaming.question)
    }).pipe(Effect.provide(streaming.layer)))

  it.effect("without a subscriber the flow just stores the streamed answer", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Effect.provide(streaming.program, streaming.layer))
      yield* TestClock.adjust("1 minute")
      const state = yield* Fiber.join(fiber)
      assert.strictEqual(state.answer, streaming.reply)
    }))
})
