import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Context, Effect, Exit, Option, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { answersOf, failure, fields, suspended } from "../support/durable.ts"

const State = Schema.Struct({ n: Schema.Number, log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("test/answers/Store", { schema: State }) {}
const empty = () => Store.initial({ n: 0, log: [] })

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })
const Confirm = Durable.input("confirm", { answer: Schema.Boolean })
// An answer whose JSON encoding differs from its type: `count` travels as a string.
const Count = Durable.input("count", {
  answer: Schema.Struct({ count: Schema.NumberFromString }),
  prompt: Schema.String
})

const note = (entry: string) => Store.update((s) => ({ ...s, log: [...s.log, entry] }))

/** `f`: one node `review` asking `Approval("Publish?")`, its post logging the answer. */
const reviewFlow = () => {
  const review = Node.make({
    name: "review",
    exec: () => Approval.ask("Publish?"),
    post: (_, a) => note(`ok=${a.ok}`)
  })
  return Flow.make({ name: "f", start: review })
}

class Item extends Context.Service<Item, string>()("test/answers/Item") {}

/** `f`: a batch flow `many` running `ask` once per item (sequentially), so two inputs wait at once. */
const manyFlow = () => {
  const ask = Node.make({
    name: "ask",
    prep: Item,
    exec: (item) => Effect.map(Approval.ask(`item ${item}`), (a) => `${item}:${a.ok}`),
    post: (_, line) => note(line)
  })
  const many = Flow.batch({ name: "many", flow: ask, params: Item, prep: Effect.succeed(["a", "b"]) })
  return Flow.make({ name: "f", start: many })
}
const keyA = "f/many#1[0]/ask#1/approval#1"
const keyB = "f/many#1[1]/ask#1/approval#1"

describe("Durable answers", () => {
  it.effect("answer({ id, input, value }) then run continues the run", () =>
    Effect.gen(function*() {
      const flow = reviewFlow()
      const o1 = suspended(yield* Durable.run(flow, { id: "a1", stores: [empty()] }))
      assert.deepStrictEqual(o1.waiting.map((w) => w.key), ["f/review#1/approval#1"])
      assert.strictEqual(o1.steps, 0)
      yield* Durable.answer({ id: "a1", input: Approval, value: { ok: true } })
      const o2 = yield* Durable.run(flow, { id: "a1", stores: [empty()] })
      assert.deepStrictEqual(o2, { _tag: "Done", action: "default", steps: 1 })
      assert.deepStrictEqual(yield* Durable.state("a1", Store), { n: 0, log: ["ok=true"] })
      const snapshot = Option.getOrThrow(yield* Durable.get("a1"))
      assert.strictEqual(snapshot.status, "done")
      assert.deepStrictEqual(snapshot.waiting, [])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a second answer to the same key fails with AlreadyAnswered", () =>
    Effect.gen(function*() {
      yield* Durable.run(reviewFlow(), { id: "a2", stores: [empty()] })
      yield* Durable.answer({ id: "a2", input: Approval, value: { ok: true } })
      const error = yield* failure(Durable.answer({ id: "a2", input: Approval, value: { ok: false } }))
      assert.strictEqual(error._tag, "AlreadyAnswered")
      assert.deepStrictEqual(fields(error), { _tag: "AlreadyAnswered", id: "a2", key: "f/review#1/approval#1" })
      // the first answer is the one that counts
      yield* Durable.run(reviewFlow(), { id: "a2", stores: [empty()] })
      assert.deepStrictEqual(yield* Durable.state("a2", Store), { n: 0, log: ["ok=true"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a key that is not waiting fails with NotWaiting", () =>
    Effect.gen(function*() {
      yield* Durable.run(reviewFlow(), { id: "a3", stores: [empty()] })
      const error = yield* failure(
        Durable.answer({ id: "a3", input: Approval, value: { ok: true }, key: "f/review#2/approval#1" })
      )
      assert.strictEqual(error._tag, "NotWaiting")
      if (error._tag !== "NotWaiting") return
      assert.strictEqual(error.id, "a3")
      assert.strictEqual(error.key, "f/review#2/approval#1")
      assert.deepStrictEqual(error.waiting, ["f/review#1/approval#1"])
      // the wrong input at the right run is not waiting either
      const other = yield* failure(Durable.answer({ id: "a3", input: Confirm, value: true }))
      assert.strictEqual(other._tag, "NotWaiting")
      assert.deepStrictEqual(yield* answersOf("a3"), [])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("two inputs waiting and no key fails with NotWaiting listing both keys", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(manyFlow(), { id: "a4", stores: [empty()] }))
      assert.deepStrictEqual(o.waiting.map((w) => w.key), [keyA, keyB])
      const error = yield* failure(Durable.answer({ id: "a4", input: Approval, value: { ok: true } }))
      assert.strictEqual(error._tag, "NotWaiting")
      if (error._tag !== "NotWaiting") return
      assert.strictEqual(error.key, undefined)
      assert.deepStrictEqual([...error.waiting].sort(), [keyA, keyB])
      // with the key it goes through
      yield* Durable.answer({ id: "a4", input: Approval, value: { ok: true }, key: keyB })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("answer({ token, value }) takes the JSON encoding", () =>
    Effect.gen(function*() {
      const counted = Node.make({
        name: "counted",
        exec: () => Count.ask("How many?"),
        post: (_, a) => Store.update((s) => ({ ...s, n: a.count }))
      })
      const flow = Flow.make({ name: "f", start: counted })
      const o = suspended(yield* Durable.run(flow, { id: "a5", stores: [empty()] }))
      yield* Durable.answer({ token: o.waiting[0]!.token, value: { count: "42" } })
      assert.deepStrictEqual(
        (yield* answersOf("a5")).map((a) => [a.key, a.value, a.prompt]),
        [["f/counted#1/count#1", { count: "42" }, "How many?"]]
      )
      assert.deepStrictEqual(yield* Durable.run(flow, { id: "a5", stores: [empty()] }), {
        _tag: "Done",
        action: "default",
        steps: 1
      })
      assert.deepStrictEqual(yield* Durable.state("a5", Store), { n: 42, log: [] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a bad JSON value by token fails with SchemaError and writes nothing", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(reviewFlow(), { id: "a6", stores: [empty()] }))
      const token = o.waiting[0]!.token
      const error = yield* failure(Durable.answer({ token, value: { ok: "yes" } }))
      assert.strictEqual(error._tag, "SchemaError")
      const missing = yield* failure(Durable.answer({ token, value: {} }))
      assert.strictEqual(missing._tag, "SchemaError")
      assert.deepStrictEqual(yield* answersOf("a6"), [])
      // the key is still open: a good answer is accepted (no AlreadyAnswered)
      yield* Durable.answer({ token, value: { ok: false } })
      yield* Durable.run(reviewFlow(), { id: "a6", stores: [empty()] })
      assert.deepStrictEqual(yield* Durable.state("a6", Store), { n: 0, log: ["ok=false"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("answers to a done or interrupted run fail with NotWaiting", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(reviewFlow(), { id: "a7", stores: [empty()] }))
      yield* Durable.answer({ id: "a7", input: Approval, value: { ok: true } })
      yield* Durable.run(reviewFlow(), { id: "a7", stores: [empty()] })
      const done = yield* failure(Durable.answer({ token: o.waiting[0]!.token, value: { ok: false } }))
      assert.strictEqual(done._tag, "NotWaiting")
      if (done._tag === "NotWaiting") {
        assert.deepStrictEqual([done.id, done.key, done.waiting], ["a7", "f/review#1/approval#1", []])
        assert.strictEqual(done.reason, "the run is done")
      }

      suspended(yield* Durable.run(reviewFlow(), { id: "a8", stores: [empty()] }))
      yield* Durable.interrupt("a8")
      const interrupted = yield* failure(Durable.answer({ id: "a8", input: Approval, value: { ok: true } }))
      assert.strictEqual(interrupted._tag, "NotWaiting")
      if (interrupted._tag === "NotWaiting") {
        assert.deepStrictEqual([interrupted.id, interrupted.key, interrupted.waiting], ["a8", undefined, []])
        assert.strictEqual(interrupted.reason, "the run is interrupted")
      }
      assert.deepStrictEqual(yield* answersOf("a8"), [])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("the waiting list of the last suspension stays answerable", () =>
    Effect.gen(function*() {
      const flow = manyFlow()
      const o1 = suspended(yield* Durable.run(flow, { id: "a9", stores: [empty()] }))
      // a run call with nothing answered suspends again with the same inputs and tokens
      const o2 = suspended(yield* Durable.run(flow, { id: "a9", stores: [empty()] }))
      assert.deepStrictEqual(o2.waiting, o1.waiting)
      // both inputs of that suspension take answers, in any order, by token of the first suspension
      yield* Durable.answer({ token: o1.waiting[1]!.token, value: { ok: false } })
      yield* Durable.answer({ token: o1.waiting[0]!.token, value: { ok: true } })
      const o3 = yield* Durable.run(flow, { id: "a9", stores: [empty()] })
      assert.strictEqual(o3._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("a9", Store), { n: 0, log: ["a:true", "b:false"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("an answered key of a partly answered suspension stays waiting until the run moves past it", () =>
    Effect.gen(function*() {
      const flow = manyFlow()
      suspended(yield* Durable.run(flow, { id: "a10", stores: [empty()] }))
      yield* Durable.answer({ id: "a10", input: Approval, value: { ok: true }, key: keyA })
      const snapshot = Option.getOrThrow(yield* Durable.get("a10"))
      assert.deepStrictEqual(snapshot.waiting.map((w) => w.key), [keyA, keyB])
      const o = suspended(yield* Durable.run(flow, { id: "a10", stores: [empty()] }))
      assert.deepStrictEqual(o.waiting.map((w) => w.key), [keyB])
      assert.deepStrictEqual(yield* Durable.state("a10", Store), { n: 0, log: ["a:true"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("Outcome.Suspended.waiting has key, input, path, prompt, token and kind", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(reviewFlow(), { id: "a11", stores: [empty()] }))
      assert.strictEqual(o.waiting.length, 1)
      const w = o.waiting[0]!
      assert.deepStrictEqual(Object.keys(w).sort(), ["input", "key", "kind", "path", "prompt", "token"])
      assert.strictEqual(w.kind, "input")
      assert.deepStrictEqual(
        { key: w.key, input: w.input, path: w.path, prompt: w.prompt },
        { key: "f/review#1/approval#1", input: "approval", path: "f/review", prompt: "Publish?" }
      )
      assert.strictEqual(typeof w.token, "string")
      assert.isTrue(w.token.length > 0)
      const snapshot = Option.getOrThrow(yield* Durable.get("a11"))
      assert.strictEqual(snapshot.status, "suspended")
      assert.deepStrictEqual(snapshot.waiting.map((s) => [s.key, s.input, s.path, s.prompt, s.token]), [
        [w.key, w.input, w.path, w.prompt, w.token]
      ])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("tokens of different runs differ", () =>
    Effect.gen(function*() {
      const a = suspended(yield* Durable.run(reviewFlow(), { id: "t-a", stores: [empty()] }))
      const b = suspended(yield* Durable.run(reviewFlow(), { id: "t-b", stores: [empty()] }))
      assert.strictEqual(a.waiting[0]!.key, b.waiting[0]!.key)
      assert.notStrictEqual(a.waiting[0]!.token, b.waiting[0]!.token)
      // each token answers its own run only
      yield* Durable.answer({ token: b.waiting[0]!.token, value: { ok: false } })
      assert.deepStrictEqual(yield* answersOf("t-a"), [])
      assert.deepStrictEqual((yield* answersOf("t-b")).map((x) => x.value), [{ ok: false }])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable input keys", () => {
  it.effect("a review loop asks again on each visit (path#visit/name#n)", () =>
    Effect.gen(function*() {
      const draft = Node.make({ name: "draft", post: () => Store.update((s) => ({ ...s, n: s.n + 1 })) })
      const review = Node.make({
        name: "review",
        prep: Store.get,
        exec: (s) => Approval.ask(`draft ${s.n}`),
        post: (_, a) => note(`ok=${a.ok}`).pipe(Node.as(a.ok ? "default" : "revise"))
      })
      const flow = Flow.make({ name: "f", start: draft }).pipe(
        Flow.next(draft, review),
        Flow.on(review, "revise", draft)
      )
      const o1 = suspended(yield* Durable.run(flow, { id: "k1", stores: [empty()] }))
      assert.deepStrictEqual(o1.waiting.map((w) => [w.key, w.prompt]), [["f/review#1/approval#1", "draft 1"]])
      yield* Durable.answer({ id: "k1", input: Approval, value: { ok: false } })
      const o2 = suspended(yield* Durable.run(flow, { id: "k1", stores: [empty()] }))
      assert.deepStrictEqual(o2.waiting.map((w) => [w.key, w.prompt]), [["f/review#2/approval#1", "draft 2"]])
      assert.isTrue(o2.waiting[0]!.key.endsWith("#2/approval#1"))
      yield* Durable.answer({ id: "k1", input: Approval, value: { ok: true } })
      const o3 = yield* Durable.run(flow, { id: "k1", stores: [empty()] })
      assert.deepStrictEqual(o3, { _tag: "Done", action: "default", steps: 4 })
      assert.deepStrictEqual(yield* Durable.state("k1", Store), { n: 2, log: ["ok=false", "ok=true"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("two sequential asks in one exec get two keys and two answers", () =>
    Effect.gen(function*() {
      const both = Node.make({
        name: "both",
        exec: () =>
          Effect.gen(function*() {
            const first = yield* Approval.ask("first?")
            const second = yield* Approval.ask("second?")
            return `${first.ok}/${second.ok}`
          }),
        post: (_, line) => note(line)
      })
      const flow = Flow.make({ name: "f", start: both })
      const o1 = suspended(yield* Durable.run(flow, { id: "k2", stores: [empty()] }))
      assert.deepStrictEqual(o1.waiting.map((w) => [w.key, w.prompt]), [["f/both#1/approval#1", "first?"]])
      yield* Durable.answer({ id: "k2", input: Approval, value: { ok: true } })
      const o2 = suspended(yield* Durable.run(flow, { id: "k2", stores: [empty()] }))
      // the answered first key may stay listed until the step completes; the new one is the second ask
      assert.deepStrictEqual(
        o2.waiting.filter((w) => w.key !== "f/both#1/approval#1").map((w) => [w.key, w.prompt]),
        [["f/both#1/approval#2", "second?"]]
      )
      // No key needed: the first key has its answer, so the second is the only one open.
      yield* Durable.answer({ id: "k2", input: Approval, value: { ok: false } })
      assert.strictEqual((yield* Durable.run(flow, { id: "k2", stores: [empty()] }))._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("k2", Store), { n: 0, log: ["true/false"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("concurrent asks in one exec are told apart by { key }", () =>
    Effect.gen(function*() {
      const pair = Node.make({
        name: "pair",
        exec: () =>
          Effect.all([Approval.ask("left?", { key: "left" }), Approval.ask("right?", { key: "right" })], {
            concurrency: "unbounded"
          }),
        post: (_, [l, r]) => note(`${l.ok}/${r.ok}`)
      })
      const flow = Flow.make({ name: "f", start: pair })
      // Both asks wait in one suspension, each with its own key and prompt.
      const asked: Array<readonly [string, unknown]> = []
      const answered = new Set<string>()
      let outcome = yield* Durable.run(flow, { id: "k3", stores: [empty()] })
      assert.deepStrictEqual(suspended(outcome).waiting.map((w) => w.key).sort(), [
        "f/pair#1/approval#left",
        "f/pair#1/approval#right"
      ])
      for (let round = 0; round < 3 && outcome._tag === "Suspended"; round++) {
        for (const w of outcome.waiting) {
          if (answered.has(w.key)) continue
          answered.add(w.key)
          asked.push([w.key, w.prompt])
          const ok = w.key.endsWith("#left")
          yield* Durable.answer({ id: "k3", input: Approval, value: { ok }, key: w.key })
        }
        outcome = yield* Durable.run(flow, { id: "k3", stores: [empty()] })
      }
      assert.strictEqual(outcome._tag, "Done")
      assert.deepStrictEqual(asked.sort(), [
        ["f/pair#1/approval#left", "left?"],
        ["f/pair#1/approval#right", "right?"]
      ])
      assert.deepStrictEqual(yield* Durable.state("k3", Store), { n: 0, log: ["true/false"] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable prompts and suspension", () => {
  it.effect("an answer belongs to its prompt: a regenerated prompt makes it stale", () =>
    Effect.gen(function*() {
      let execs = 0
      const review = Node.make({
        name: "review",
        exec: () => {
          execs++
          // the first two execs write different drafts; from then on the draft is stable
          return Approval.ask(`draft v${Math.min(execs, 2)}`)
        },
        post: (_, a) => note(`ok=${a.ok}`)
      })
      const flow = Flow.make({ name: "f", start: review })
      const o1 = suspended(yield* Durable.run(flow, { id: "p1", stores: [empty()] }))
      assert.deepStrictEqual(o1.waiting.map((w) => w.prompt), ["draft v1"])
      yield* Durable.answer({ id: "p1", input: Approval, value: { ok: false } })

      const events = Array.from(yield* Stream.runCollect(Durable.events(flow, { id: "p1", stores: [empty()] })))
      const stale = events.filter((e) => e._tag === "AnswerStale")
      assert.deepStrictEqual(stale.map((e) => e._tag === "AnswerStale" ? [e.key, e.input] : []), [[
        "f/review#1/approval#1",
        "approval"
      ]])
      const last = events.filter((e) => e._tag === "Suspended").at(-1)
      assert.deepStrictEqual(last?._tag === "Suspended" ? last.waiting : undefined, [
        { key: "f/review#1/approval#1", input: "approval", prompt: "draft v2" }
      ])
      const snapshot = Option.getOrThrow(yield* Durable.get("p1"))
      assert.strictEqual(snapshot.status, "suspended")
      assert.deepStrictEqual(snapshot.waiting.map((w) => w.prompt), ["draft v2"])
      assert.deepStrictEqual(yield* answersOf("p1"), [])

      // the key takes an answer again, for the new prompt
      yield* Durable.answer({ id: "p1", input: Approval, value: { ok: true } })
      assert.strictEqual((yield* Durable.run(flow, { id: "p1", stores: [empty()] }))._tag, "Done")
      assert.deepStrictEqual(yield* Durable.state("p1", Store), { n: 0, log: ["ok=true"] })
      assert.strictEqual(execs, 3)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("ask cannot be swallowed by catchCause", () =>
    Effect.gen(function*() {
      const review = Node.make({
        name: "review",
        exec: () => Approval.ask("Publish?").pipe(Effect.catchCause(() => Effect.succeed({ ok: false }))),
        post: (_, a) => note(`ok=${a.ok}`)
      })
      const flow = Flow.make({ name: "f", start: review })
      const o = yield* Durable.run(flow, { id: "p2", stores: [empty()] })
      assert.strictEqual(o._tag, "Suspended")
      assert.deepStrictEqual(o._tag === "Suspended" ? o.waiting.map((w) => w.key) : [], ["f/review#1/approval#1"])
      assert.deepStrictEqual(yield* Durable.state("p2", Store), { n: 0, log: [] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("ask with { timeout }: InputTimeout after the deadline; list({ deadlineBefore }) finds the run", () =>
    Effect.gen(function*() {
      const review = Node.make({
        name: "review",
        exec: () => Approval.ask("Publish?", { timeout: "1 hour" }),
        post: (_, a) => note(`ok=${a.ok}`)
      })
      const flow = Flow.make({ name: "f", start: review })
      const start = yield* Clock.currentTimeMillis
      suspended(yield* Durable.run(flow, { id: "p3", stores: [empty()] }))
      suspended(yield* Durable.run(reviewFlow(), { id: "p3-no-deadline", stores: [empty()] }))
      const snapshot = Option.getOrThrow(yield* Durable.get("p3"))
      assert.strictEqual(snapshot.deadline, start + 3_600_000)
      assert.deepStrictEqual(snapshot.waiting.map((w) => w.deadline), [start + 3_600_000])

      const soon = yield* Durable.list({ deadlineBefore: start + 3_600_001 })
      assert.deepStrictEqual(soon.runs.map((r) => r.id), ["p3"])
      const tooEarly = yield* Durable.list({ deadlineBefore: start + 1_800_000 })
      assert.deepStrictEqual(tooEarly.runs.map((r) => r.id), [])

      // within the deadline a run call just suspends again, keeping the original deadline
      yield* TestClock.adjust("30 minutes")
      suspended(yield* Durable.run(flow, { id: "p3", stores: [empty()] }))
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("p3")).deadline, start + 3_600_000)

      yield* TestClock.adjust("2 hours")
      const error = yield* failure(Durable.run(flow, { id: "p3", stores: [empty()] }))
      assert.strictEqual(error._tag, "InputTimeout")
      if (error._tag === "InputTimeout") {
        assert.deepStrictEqual([error.id, error.key, error.input], ["p3", "f/review#1/approval#1", "approval"])
      }
      assert.deepStrictEqual(yield* Durable.state("p3", Store), { n: 0, log: [] })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("Durable.layerAnswers", () => {
  it.effect("a plain Flow.run has ask answered inline", () =>
    Effect.gen(function*() {
      const prompts: Array<string> = []
      const result = yield* Flow.run(reviewFlow()).pipe(
        Effect.andThen(Store.get),
        Effect.provide(Durable.layerAnswers(Approval, (prompt) =>
          Effect.sync(() => {
            prompts.push(prompt)
            return { ok: prompt === "Publish?" }
          }))),
        Effect.provide(Store.layer({ n: 0, log: [] }))
      )
      assert.deepStrictEqual(result, { n: 0, log: ["ok=true"] })
      assert.deepStrictEqual(prompts, ["Publish?"])
    }))

  it.effect("layers for two inputs stack when provided one over the other", () =>
    Effect.gen(function*() {
      const both = Node.make({
        name: "both",
        exec: () =>
          Effect.gen(function*() {
            const a = yield* Approval.ask("Publish?")
            const c = yield* Confirm.ask()
            return `${a.ok}/${c}`
          }),
        post: (_, line) => note(line)
      })
      const flow = Flow.make({ name: "f", start: both })
      const run = Flow.run(flow).pipe(Effect.andThen(Store.get))
      const inner = yield* run.pipe(
        Effect.provide(Durable.layerAnswers(Approval, () => Effect.succeed({ ok: true }))),
        Effect.provide(Durable.layerAnswers(Confirm, () => Effect.succeed(false))),
        Effect.provide(Store.layer({ n: 0, log: [] }))
      )
      assert.deepStrictEqual(inner.log, ["true/false"])
      const swapped = yield* run.pipe(
        Effect.provide(Durable.layerAnswers(Confirm, () => Effect.succeed(true))),
        Effect.provide(Durable.layerAnswers(Approval, () => Effect.succeed({ ok: false }))),
        Effect.provide(Store.layer({ n: 0, log: [] }))
      )
      assert.deepStrictEqual(swapped.log, ["false/true"])
    }))

  it.effect("an input nobody answers is a defect naming the input", () =>
    Effect.gen(function*() {
      const asks = Node.make({ name: "asks", exec: () => Confirm.ask() })
      const exit = yield* Effect.exit(
        Flow.run(Flow.make({ name: "f", start: asks })).pipe(
          Effect.provide(Durable.layerAnswers(Approval, () => Effect.succeed({ ok: true })))
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      assert.isTrue(Cause.hasDies(exit.cause))
      const defect = Cause.squash(exit.cause)
      assert.instanceOf(defect, Error)
      assert.include((defect as Error).message, "\"confirm\"")
    }))
})
