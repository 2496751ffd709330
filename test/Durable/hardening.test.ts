/**
 * Hardening v3 (issue 17), the durable engine: each `describe` is one defect or operator item of the issue, by its
 * number. Checkpointer-specific cases are in test/Checkpointer/hardening.test.ts, the cross-process delete in
 * test/Durable/deleted.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, Deferred, Effect, Fiber, Layer, Logger, Option, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Flow, Node, Shared } from "../../src/index.ts"
import { answersOf, assertCheckpointError, crashWhen, failure, fields, suspended } from "../support/durable.ts"

const State = Schema.Struct({ n: Schema.Number, log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("test/hardening/Store", { schema: State }) {}
const empty = () => Store.initial({ n: 0, log: [] })
const note = (entry: string) => Store.update((s) => ({ ...s, log: [...s.log, entry] }))

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })

// A filter the answer's JSON Schema cannot carry: only the input's own schema refuses "nope".
const startsWithOk = Schema.makeFilter((s: string) => s.startsWith("ok") ? undefined : "a note must start with ok")
const Note = Durable.input("note", {
  answer: Schema.Struct({ text: Schema.String.check(startsWithOk) }),
  prompt: Schema.String
})

class Boom extends Data.TaggedError("Boom")<{}> {}

/** `f`: `review` asks `Note("Say ok")`, its post logs the text. */
const noteFlow = () => {
  const review = Node.make({ name: "review", exec: () => Note.ask("Say ok"), post: (_, a) => note(a.text) })
  return Flow.make({ name: "f", start: review })
}

describe("2. one bad answer by token no longer bricks the run", () => {
  it.effect("a token answer is decoded with the input's own schema (its filter) before anything is written", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(noteFlow(), { id: "t1", stores: [empty()] }))
      const token = o.waiting[0]!.token
      const error = yield* failure(Durable.answer({ token, value: { text: "nope" } }))
      assert.strictEqual(error._tag, "SchemaError")
      assert.include(String((error as Error).message), "a note must start with ok")
      assert.deepStrictEqual(yield* answersOf("t1"), [])
      yield* Durable.answer({ token, value: { text: "ok then" } })
      assert.strictEqual((yield* Durable.run(noteFlow(), { id: "t1", stores: [empty()] }))._tag, "Done")
      assert.deepStrictEqual((yield* Durable.state("t1", Store)).log, ["ok then"])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a bad answer found in the inbox leaves it (AnswerRejected) and the run keeps waiting, never failing", () =>
    Effect.gen(function*() {
      const o = suspended(yield* Durable.run(noteFlow(), { id: "t2", stores: [empty()] }))
      const waiting = o.waiting[0]!
      // Written by a program without the app's schemas (a standalone viewer checks the JSON Schema only).
      const cp = yield* Checkpointer.Checkpointer
      yield* cp.putAnswer("t2", { key: waiting.key, value: { text: "nope" }, prompt: "Say ok", answeredAt: 0 })
      const events = Array.from(yield* Stream.runCollect(Durable.events(noteFlow(), { id: "t2", stores: [empty()] })))
      const rejected = events.flatMap((e) => e._tag === "AnswerRejected" ? [e] : [])
      assert.deepStrictEqual(rejected.map((e) => [e.path, e.key, e.input]), [["f/review", waiting.key, "note"]])
      assert.include(rejected[0]!.error, "a note must start with ok")
      assert.strictEqual(events[events.length - 1]!._tag, "Suspended")
      const s = Option.getOrThrow(yield* Durable.get("t2"))
      assert.strictEqual(s.status, "suspended")
      assert.deepStrictEqual(s.waiting.map((w) => w.key), [waiting.key])
      assert.deepStrictEqual(s.answered, [])
      assert.deepStrictEqual(yield* answersOf("t2"), [])
      // The key takes an answer again, and the run goes on.
      yield* Durable.answer({ id: "t2", input: Note, value: { text: "ok now" } })
      assert.strictEqual((yield* Durable.run(noteFlow(), { id: "t2", stores: [empty()] }))._tag, "Done")
      assert.deepStrictEqual((yield* Durable.state("t2", Store)).log, ["ok now"])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("3. run ids are checked wherever one enters", () => {
  const flow = noteFlow()
  const calls = (id: string): ReadonlyArray<readonly [string, () => unknown]> => [
    ["Durable.run", () => Durable.run(flow, { id, stores: [empty()] })],
    ["Durable.resume", () => Durable.resume(flow, { id, stores: [Store] })],
    ["Durable.events", () => Durable.events(flow, { id, stores: [empty()] })],
    ["Durable.answer", () => Durable.answer({ id, input: Note, value: { text: "ok" } })],
    ["Durable.get", () => Durable.get(id)],
    ["Durable.state", () => Durable.state(id, Store)],
    ["Durable.history", () => Durable.history(id)],
    ["Durable.fork (from)", () => Durable.fork({ from: id, version: 1, to: "fine" })],
    ["Durable.fork (to)", () => Durable.fork({ from: "fine", version: 1, to: id })],
    ["Durable.interrupt", () => Durable.interrupt(id)],
    ["Durable.delete", () => Durable.delete(id)]
  ]

  it("a lone surrogate (an id cut mid-emoji), an empty id or one over 512 characters: a TypeError at the call", () => {
    for (const [id, shown] of [["report-\uD83D", "\"report-\\ud83d\""], ["\uDF89-report", "\"\\udf89-report\""]]) {
      for (const [name, call] of calls(id!)) {
        assert.throws(call, TypeError, `${name}: invalid run id ${shown}: it has a lone surrogate`)
      }
    }
    for (const [name, call] of calls("")) assert.throws(call, TypeError, `${name}: invalid run id "": it is empty`)
    for (const [name, call] of calls("x".repeat(513))) {
      assert.throws(call, TypeError, `${name}: invalid run id`)
      assert.throws(call, /513 characters long, more than 512/)
    }
  })

  it.effect("well-formed ids up to 512 characters run, emoji included", () =>
    Effect.gen(function*() {
      for (const id of ["report-\uD83C\uDF89", "x".repeat(512)]) {
        assert.strictEqual((yield* Durable.run(noteFlow(), { id, stores: [empty()] }))._tag, "Suspended")
        assert.strictEqual(Option.getOrThrow(yield* Durable.get(id)).id, id)
      }
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("an answer token naming an invalid id is a typed NotWaiting (tokens come from outside)", () =>
    Effect.gen(function*() {
      const token = Buffer.from(JSON.stringify(["report-\uD83D", "f/review#1/note#1"])).toString("base64url")
      const error = yield* failure(Durable.answer({ token, value: { text: "ok" } }))
      assert.strictEqual(error._tag, "NotWaiting")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("4. Durable.interrupt is never lost", () => {
  /** `work` (waits at `gate`, after signalling `inWork`) then `review`, which asks for approval. */
  const towardsAsk = (inWork: Deferred.Deferred<void>, gate: Deferred.Deferred<void>, asked: { n: number }) => {
    const work = Node.make({
      name: "work",
      exec: () => Effect.andThen(Deferred.succeed(inWork, undefined), Deferred.await(gate)),
      post: () => note("work")
    })
    const review = Node.make({
      name: "review",
      exec: () =>
        Effect.andThen(
          Effect.sync(() => {
            asked.n++
          }),
          Approval.ask("Publish?")
        )
    })
    return Flow.make({ name: "towards", start: work }).pipe(Flow.next(work, review))
  }

  it.effect("an interrupt that arrives while the owner walks towards an ask stops it at its next save", () =>
    Effect.gen(function*() {
      const inWork = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const asked = { n: 0 }
      const flow = towardsAsk(inWork, gate, asked)
      const owner = yield* Effect.forkChild(Durable.run(flow, { id: "i4", stores: [empty()] }))
      yield* Deferred.await(inWork)
      // The owner holds the lease: the interrupt can only mark the run.
      yield* Durable.interrupt("i4")
      yield* Deferred.succeed(gate, undefined)
      // No clock moves, so no heartbeat: the save after `work` sees the mark.
      assert.deepStrictEqual(yield* Fiber.join(owner), { _tag: "Interrupted", steps: 1 })
      assert.strictEqual(asked.n, 0)
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("i4")).status, "interrupted")
      assert.deepStrictEqual((yield* Durable.state("i4", Store)).log, ["work"])
      const late = yield* failure(Durable.answer({ id: "i4", input: Approval, value: { ok: true } }))
      assert.strictEqual(late._tag, "NotWaiting")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("an interrupt that lands after the owner's suspension save and before its release still stops the run", () =>
    Effect.gen(function*() {
      const base = yield* Checkpointer.makeMemory()
      const layer = Layer.succeed(Checkpointer.Checkpointer, {
        ...base,
        // Another process interrupts right after the suspension is saved, while the owner still holds the lease.
        save: (snapshot) =>
          Effect.tap(
            base.save(snapshot),
            snapshot.status === "suspended"
              ? Effect.orDie(Effect.provideService(Durable.interrupt(snapshot.id), Checkpointer.Checkpointer, base))
              : Effect.void
          )
      })
      const inWork = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      yield* Deferred.succeed(gate, undefined)
      const asked = { n: 0 }
      const outcome = yield* Durable.run(towardsAsk(inWork, gate, asked), { id: "i5", stores: [empty()] }).pipe(
        Effect.provide(layer)
      )
      assert.deepStrictEqual(outcome, { _tag: "Interrupted", steps: 1 })
      const s = yield* Durable.get("i5").pipe(Effect.provide(layer))
      assert.strictEqual(Option.getOrThrow(s).status, "interrupted")
    }))

  it.effect("an interrupt marked while nobody held a running run (a crashed owner) stops the next call before any step", () =>
    Effect.gen(function*() {
      const inWork = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const asked = { n: 0 }
      const flow = towardsAsk(inWork, gate, asked)
      const owner = yield* Effect.forkChild(Durable.run(flow, { id: "i6", stores: [empty()] }))
      yield* Deferred.await(inWork)
      yield* Durable.interrupt("i6")
      // The owner "crashes" before its next save: the mark waits in the checkpointer.
      yield* Fiber.interrupt(owner)
      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual(yield* Durable.run(flow, { id: "i6", stores: [empty()] }), {
        _tag: "Interrupted",
        steps: 0
      })
      assert.deepStrictEqual((yield* Durable.state("i6", Store)).log, [])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("5. a run belongs to its flow", () => {
  it.effect("continuing a run under a flow of another name fails with CheckpointError \"flow mismatch\"", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const welcome = Node.make({
        name: "welcome",
        exec: () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
      })
      const onboarding = Flow.make({ name: "onboarding", start: welcome })
      // Its first step crashed: saved "running" at version 1.
      yield* crashWhen(Durable.run(onboarding, { id: "acct-1", stores: [empty()] }), started)
      let charged = 0
      const charge = Node.make({
        name: "charge",
        exec: () =>
          Effect.sync(() => {
            charged++
          })
      })
      const billing = Flow.make({ name: "billing", start: charge })
      const before = Option.getOrThrow(yield* Durable.get("acct-1"))
      const calls: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }, Checkpointer.Checkpointer>> = [
        Durable.run(billing, { id: "acct-1", stores: [empty()] }),
        Durable.resume(billing, { id: "acct-1", stores: [Store] }),
        Stream.runDrain(Durable.events(billing, { id: "acct-1", stores: [empty()] }))
      ]
      for (const call of calls) {
        const error = yield* failure(call)
        assertCheckpointError(error, "flow mismatch", "\"onboarding\"")
        assert.include((error as unknown as { detail: string }).detail, "\"billing\"")
      }
      assert.strictEqual(charged, 0)
      const after = Option.getOrThrow(yield* Durable.get("acct-1"))
      assert.deepStrictEqual([after.flow, after.version], [before.flow, before.version])
      // A finished run too: another flow never gets its outcome.
      yield* Durable.run(billing, { id: "acct-2", stores: [empty()] })
      assertCheckpointError(
        yield* failure(Durable.run(onboarding, { id: "acct-2", stores: [empty()] })),
        "flow mismatch"
      )
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("8. prune deletes only what it listed", () => {
  it.effect("a failed run resumed while a slow prune runs is kept; one left alone is removed", () =>
    Effect.gen(function*() {
      let broken = true
      const flaky = Node.make({
        name: "flaky",
        exec: () => Effect.suspend(() => broken ? Effect.fail(new Boom()) : Effect.void),
        post: () => note("fixed")
      })
      const flow = Flow.make({ name: "flaky", start: flaky })
      const base = yield* Checkpointer.makeMemory()
      const memory = Layer.succeed(Checkpointer.Checkpointer, base)
      yield* Effect.exit(Durable.run(flow, { id: "resumed", stores: [empty()] }).pipe(Effect.provide(memory)))
      yield* Effect.exit(Durable.run(flow, { id: "left", stores: [empty()] }).pipe(Effect.provide(memory)))
      yield* TestClock.adjust("2 days")
      // The prune lists both as failed; then, before it deletes, someone fixes and resumes one of them.
      let resumed = false
      const slow = Layer.succeed(Checkpointer.Checkpointer, {
        ...base,
        list: (query) =>
          Effect.tap(base.list(query), () => {
            if (resumed) return Effect.void
            resumed = true
            broken = false
            return Effect.orDie(Effect.asVoid(Durable.resume(flow, { id: "resumed", stores: [Store] }))).pipe(
              Effect.provide(memory)
            )
          })
      })
      const removed = yield* Durable.prune({ olderThan: "1 day", status: "failed" }).pipe(Effect.provide(slow))
      assert.strictEqual(removed, 1)
      const kept = Option.getOrThrow(yield* Durable.get("resumed").pipe(Effect.provide(memory)))
      assert.strictEqual(kept.status, "done")
      assert.isTrue(Option.isNone(yield* Durable.get("left").pipe(Effect.provide(memory))))
    }))

  it.effect("a run whose lease someone holds is not pruned", () =>
    Effect.gen(function*() {
      const flow = Flow.make({ name: "one", start: Node.make({ name: "one" }) })
      yield* Durable.run(flow, { id: "held", stores: [empty()] })
      yield* TestClock.adjust("2 days")
      const cp = yield* Checkpointer.Checkpointer
      const now = yield* Clock.currentTimeMillis
      assert.isUndefined(yield* cp.claim("held", { owner: "someone", now, expiresAt: now + 60_000, force: false }))
      assert.strictEqual(yield* Durable.prune({ olderThan: "1 day" }), 0)
      assert.isTrue(Option.isSome(yield* Durable.get("held")))
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("10. a malformed Durable.list cursor", () => {
  it.effect("is CheckpointError \"invalid cursor\", not a defect", () =>
    Effect.gen(function*() {
      for (const cursor of ["garbage", "%E0%A4%A", encodeURIComponent("{\"at\":1}")]) {
        assertCheckpointError(yield* failure(Durable.list({ cursor })), "invalid cursor")
      }
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("15. every call checks the saved position against the flow", () => {
  it.effect("a poll of a suspended run whose waiting node is gone fails with \"wiring mismatch\"", () =>
    Effect.gen(function*() {
      const write = Node.make({ name: "write", post: () => note("write") })
      const review = Node.make({ name: "review", exec: () => Approval.ask("Publish?") })
      const before = Flow.make({ name: "essay", start: write }).pipe(Flow.next(write, review))
      suspended(yield* Durable.run(before, { id: "deploy", stores: [empty()] }))
      // The next deploy dropped "review".
      const after = Flow.make({ name: "essay", start: write })
      for (let poll = 0; poll < 2; poll++) {
        assertCheckpointError(
          yield* failure(Durable.run(after, { id: "deploy", stores: [empty()] })),
          "wiring mismatch",
          "essay/review"
        )
      }
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("(a) Durable.get shows answered keys, the lease and batch progress", () => {
  it.effect("answered keys: answered for the prompt now waiting, waiting for a program to continue the run", () =>
    Effect.gen(function*() {
      const both = Node.make({
        name: "both",
        exec: () =>
          Effect.all([Approval.ask("left?", { key: "left" }), Approval.ask("right?", { key: "right" })], {
            concurrency: 2
          })
      })
      const flow = Flow.make({ name: "two", start: both })
      const o = suspended(yield* Durable.run(flow, { id: "ans", stores: [empty()] }))
      assert.deepStrictEqual(Option.getOrThrow(yield* Durable.get("ans")).answered, [])
      yield* Durable.answer({ id: "ans", input: Approval, key: o.waiting[1]!.key, value: { ok: true } })
      const s = Option.getOrThrow(yield* Durable.get("ans"))
      assert.deepStrictEqual(s.answered, [o.waiting[1]!.key])
      assert.deepStrictEqual(s.waiting.length, 2)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("the lease: owner, expiry and last heartbeat while held; none once released", () =>
    Effect.gen(function*() {
      const inWork = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const work = Node.make({
        name: "work",
        exec: () => Effect.andThen(Deferred.succeed(inWork, undefined), Deferred.await(gate))
      })
      const flow = Flow.make({ name: "leased", start: work })
      const t0 = yield* Clock.currentTimeMillis
      const owner = yield* Effect.forkChild(Durable.run(flow, { id: "lease", stores: [empty()], lease: "30 seconds" }))
      yield* Deferred.await(inWork)
      const held = Option.getOrThrow(yield* Durable.get("lease")).lease!
      assert.match(held.owner, /^owner-/)
      assert.deepStrictEqual([held.expiresAt, held.heartbeatAt], [t0 + 30_000, t0])
      yield* TestClock.adjust("10 seconds")
      const renewed = Option.getOrThrow(yield* Durable.get("lease")).lease!
      assert.deepStrictEqual([renewed.owner, renewed.expiresAt, renewed.heartbeatAt], [
        held.owner,
        t0 + 40_000,
        t0 + 10_000
      ])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(owner)
      assert.isUndefined(Option.getOrThrow(yield* Durable.get("lease")).lease)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("item counts per durable batch in progress ({ done, total } by scope)", () =>
    Effect.gen(function*() {
      const third = yield* Deferred.make<void>()
      const batch = Node.batch({
        name: "batch",
        prep: Effect.succeed([1, 2, 3, 4]),
        exec: (n: number) =>
          n === 3 ? Effect.andThen(Deferred.succeed(third, undefined), Effect.never) : Effect.succeed(n),
        resultSchema: Schema.Number
      })
      const inner = Flow.make({ name: "inner", start: batch })
      const first = Node.make({ name: "first" })
      const flow = Flow.make({ name: "outer", start: first }).pipe(Flow.next(first, inner))
      yield* crashWhen(Durable.run(flow, { id: "items", stores: [empty()] }), third)
      const s = Option.getOrThrow(yield* Durable.get("items"))
      assert.deepStrictEqual(s.items, { "outer/inner#1/batch#1": { done: 2, total: 4 } })
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("(b) a durable batch without resultSchema says what it costs", () => {
  it.effect("a warning once per node, naming the node and the flow and what resultSchema buys", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
      })
      const batch = Node.batch({
        name: "summaries",
        prep: Effect.succeed([1, 2]),
        exec: (n: number) => Effect.succeed(n)
      })
      const saved = Node.batch({
        name: "saved",
        prep: Effect.succeed([1, 2]),
        exec: (n: number) => Effect.succeed(n),
        resultSchema: Schema.Number
      })
      const flow = Flow.make({ name: "docs", start: batch }).pipe(Flow.next(batch, saved))
      for (const id of ["w1", "w2"]) {
        yield* Durable.run(flow, { id, stores: [empty()] }).pipe(Effect.provide(Logger.layer([logger])))
      }
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0]!, "\"summaries\"")
      assert.include(warnings[0]!, "\"docs\"")
      assert.include(warnings[0]!, "resultSchema")
      assert.include(warnings[0]!, "every item runs again")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})

describe("(c) RunLocked says what to do", () => {
  it.effect("how long the lease has left, and takeover: \"force\" or a shorter lease", () =>
    Effect.gen(function*() {
      const inWork = yield* Deferred.make<void>()
      const work = Node.make({
        name: "work",
        exec: () => Effect.andThen(Deferred.succeed(inWork, undefined), Effect.never)
      })
      const flow = Flow.make({ name: "locked", start: work })
      yield* Effect.forkChild(Durable.run(flow, { id: "locked", stores: [empty()], lease: "30 seconds" }))
      yield* Deferred.await(inWork)
      yield* TestClock.adjust("12 seconds")
      const error = yield* failure(Durable.run(flow, { id: "locked", stores: [empty()] }))
      assert.strictEqual(error._tag, "RunLocked")
      const message = (error as Error).message
      // Renewed at 10 s for 30 s: 28 s left at 12 s; last heartbeat 2 s ago.
      assert.include(message, "28 seconds left")
      assert.include(message, "last heartbeat 2 seconds ago")
      assert.include(message, "takeover: \"force\"")
      assert.include(message, "shorter lease")
      const { expiresAt, heartbeatAt, owner, seenAt } = fields(error) as {
        owner: string
        expiresAt: number
        heartbeatAt: number
        seenAt: number
      }
      assert.match(owner, /^owner-/)
      assert.deepStrictEqual([expiresAt - seenAt, seenAt - heartbeatAt], [28_000, 2_000])
    }).pipe(Effect.provide(Checkpointer.layerMemory)))
})
