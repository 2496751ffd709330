/**
 * Child runs (`Durable.child`): a parent waits ("waiting", a `kind: "child"` record) for a child run a worker runs,
 * continues with its outcome, fails with `ChildFailed` when it fails, interrupts it when interrupted itself, and joins
 * the child it started when it runs its step again after a crash. On the TestClock and the memory checkpointer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect, Layer, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Checkpointer, Durable, Errors, Flow, Node, Shared } from "../../src/index.ts"
import { assertCheckpointError, failure } from "../support/durable.ts"
import { eventually, statusOf, until } from "../support/worker.ts"

const MailState = Schema.Struct({ to: Schema.String, sent: Schema.Boolean })
class Mail extends Shared.Service<Mail>()("test/children/Mail", { schema: MailState }) {}

const ParentState = Schema.Struct({ child: Schema.String, to: Schema.String, log: Schema.Array(Schema.String) })
class Parent extends Shared.Service<Parent>()("test/children/Parent", { schema: ParentState }) {}
const note = (entry: string) => Parent.update((s) => ({ ...s, log: [...s.log, entry] }))
/** A parent's stores: the child it starts (`child`, a mail to `to`). */
const parentOf = (child: string, to: string) => Parent.initial({ child, to, log: [] })

class Bounced extends Data.TaggedError("Bounced")<{ readonly to: string }> {}

/**
 * The child: sends one mail (counted in `sent` once sent); "bad" bounces, "slow" takes an hour, "sleepy" sleeps an
 * hour (durably) first.
 */
const makeSend = (sent: Map<string, number>) => {
  const send = Node.make({
    name: "send",
    prep: Mail.get,
    exec: (m) =>
      Effect.gen(function*() {
        if (m.to === "bad") return yield* new Bounced({ to: m.to })
        if (m.to === "slow") yield* Effect.sleep("1 hour")
        if (m.to === "sleepy") yield* Durable.sleep("1 hour")
        sent.set(m.to, (sent.get(m.to) ?? 0) + 1)
      }),
    post: () => Mail.update((m) => ({ ...m, sent: true }))
  })
  return Flow.make({ name: "send", start: send })
}

/** The parent: starts the child its store names, notes how it ended. */
const makeParent = (send: ReturnType<typeof makeSend>) => {
  const spawn = Node.make({
    name: "spawn",
    prep: Parent.get,
    exec: ({ child, to }) => Durable.child(send, { id: child, stores: [Mail.initial({ to, sent: false })] }),
    post: (_, outcome) => note(outcome._tag === "Done" ? `child done: ${outcome.action}` : `child ${outcome._tag}`)
  })
  return Flow.make({ name: "parent", start: spawn })
}

const hosting = (send: ReturnType<typeof makeSend>, parent: ReturnType<typeof makeParent>, name?: string) =>
  Durable.worker({
    flows: [Durable.register(send, { stores: [Mail] }), Durable.register(parent, { stores: [Parent] })],
    name,
    poll: "1 minute"
  })

describe("Durable.child", () => {
  it.effect("the parent waits for its child and continues with its outcome; get and list show parent and children", () =>
    Effect.gen(function*() {
      const sent = new Map<string, number>()
      const send = makeSend(sent)
      const parent = makeParent(send)
      yield* Effect.forkChild(hosting(send, parent))
      yield* Durable.start(parent, { id: "p1", stores: [parentOf("p1/mail", "sleepy")] })
      yield* TestClock.adjust("1 second")
      yield* until("p1", "waiting")
      const waiting = Option.getOrThrow(yield* Durable.get("p1"))
      assert.deepStrictEqual(waiting.waiting.map((w) => [w.kind, w.child]), [["child", "p1/mail"]])
      assert.deepStrictEqual(waiting.children, ["p1/mail"])
      yield* until("p1/mail", "sleeping")
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("p1/mail")).parent, "p1")
      assert.deepStrictEqual((yield* Durable.list({ parent: "p1" })).runs.map((r) => r.id), ["p1/mail"])
      yield* TestClock.adjust("1 hour")
      yield* until("p1", "done")
      assert.deepStrictEqual((yield* Durable.state("p1", Parent)).log, ["child done: default"])
      assert.deepStrictEqual(yield* Durable.state("p1/mail", Mail), { to: "sleepy", sent: true })
      assert.strictEqual(sent.get("sleepy"), 1)
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a failed child is the parent's typed ChildFailed: caught, or failing the parent", () =>
    Effect.gen(function*() {
      const send = makeSend(new Map())
      const catching = Node.make({
        name: "spawn",
        prep: Parent.get,
        exec: ({ child, to }) =>
          Durable.child(send, { id: child, stores: [Mail.initial({ to, sent: false })] }).pipe(
            Effect.map((o) => o._tag),
            Effect.catchTag("ChildFailed", (e) => Effect.succeed(`caught ${e.id}: ${e.failure.includes("Bounced")}`))
          ),
        post: (_, text) => note(text)
      })
      const caught = Flow.make({ name: "catching", start: catching })
      const failing = makeParent(send)
      yield* Effect.forkChild(
        Durable.worker({
          flows: [
            Durable.register(send, { stores: [Mail] }),
            Durable.register(caught, { stores: [Parent] }),
            Durable.register(failing, { stores: [Parent] })
          ]
        })
      )
      yield* Durable.start(caught, { id: "p2", stores: [parentOf("p2/mail", "bad")] })
      yield* Durable.start(failing, { id: "p3", stores: [parentOf("p3/mail", "bad")] })
      yield* TestClock.adjust("1 second")
      yield* until("p2", "done")
      assert.deepStrictEqual((yield* Durable.state("p2", Parent)).log, ["caught p2/mail: true"])
      yield* until("p3", "failed")
      const failed = Option.getOrThrow(yield* Durable.get("p3"))
      assert.include(failed.failure, "ChildFailed")
      assert.include(failed.failure, "p3/mail")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("interrupting a parent interrupts its children: a child between steps at once, a running one by its owner", () =>
    Effect.gen(function*() {
      const send = makeSend(new Map())
      const idle = makeParent(send)
      yield* Effect.forkChild(hosting(send, idle))
      yield* Durable.start(idle, { id: "p4", stores: [parentOf("p4/mail", "sleepy")] })
      yield* TestClock.adjust("1 second")
      yield* until("p4/mail", "sleeping")
      yield* until("p4", "waiting")
      yield* Durable.interrupt("p4")
      assert.strictEqual(yield* statusOf("p4"), "interrupted")
      assert.strictEqual(yield* statusOf("p4/mail"), "interrupted")
      // A child its worker is running (an hour-long exec): stopped at its owner's next heartbeat.
      yield* Durable.start(idle, { id: "p5", stores: [parentOf("p5/mail", "slow")] })
      yield* TestClock.adjust("1 second")
      yield* until("p5", "waiting")
      yield* eventually(
        "p5/mail is held",
        Effect.map(Durable.get("p5/mail"), (s) => Option.isSome(s) && s.value.lease !== undefined)
      )
      yield* Durable.interrupt("p5")
      assert.strictEqual(yield* statusOf("p5"), "interrupted")
      yield* TestClock.adjust("10 seconds")
      yield* until("p5/mail", "interrupted")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("a parent resumed after a crash joins the child it started instead of starting a second one", () =>
    Effect.gen(function*() {
      const sent = new Map<string, number>()
      const send = makeSend(sent)
      const parent = makeParent(send)
      const memory = yield* Checkpointer.makeMemory()
      // The parent's process dies after the child was started and before the parent saved its wait: the first save
      // of "waiting" fails, so the run stays "running" where it was.
      let crashed = false
      const crashing = Layer.succeed(Checkpointer.Checkpointer, {
        ...memory,
        save: (s) =>
          s.id === "p6" && s.status === "waiting" && !crashed
            ? Effect.suspend(() => {
              crashed = true
              return Effect.fail(new Errors.CheckpointError({ reason: "storage failed", detail: "the process died" }))
            })
            : memory.save(s)
      })
      yield* Effect.gen(function*() {
        yield* Effect.forkChild(hosting(send, parent))
        yield* Durable.start(parent, { id: "p6", stores: [parentOf("p6/mail", "sleepy")] })
        yield* TestClock.adjust("1 second")
        yield* eventually("the crash", Effect.sync(() => crashed))
        yield* until("p6/mail", "sleeping")
        assert.strictEqual(yield* statusOf("p6"), "running")
        yield* TestClock.adjust("1 hour")
        yield* until("p6", "done")
        assert.deepStrictEqual((yield* Durable.state("p6", Parent)).log, ["child done: default"])
        assert.deepStrictEqual(Option.getOrThrow(yield* Durable.get("p6")).children, ["p6/mail"])
        assert.strictEqual(sent.get("sleepy"), 1, "the child ran once")
      }).pipe(Effect.provide(crashing))
    }))

  it.effect("an id of another flow's run is a flow mismatch; a running run that is not its child is ChildFailed", () =>
    Effect.gen(function*() {
      const send = makeSend(new Map())
      const parent = makeParent(send)
      const other = Flow.make({ name: "other", start: Node.make({ name: "n" }) })
      yield* Durable.start(other, { id: "taken", stores: [] })
      const error = yield* failure(Durable.run(parent, { id: "p7", stores: [parentOf("taken", "x")] }))
      assertCheckpointError(error, "flow mismatch")
      yield* Durable.start(send, { id: "stranger", stores: [Mail.initial({ to: "x", sent: false })] })
      const notMine = yield* failure(Durable.run(parent, { id: "p8", stores: [parentOf("stranger", "x")] }))
      assert.strictEqual(notMine._tag, "ChildFailed")
      assert.include((notMine as { readonly failure: string }).failure, "not a child of")
    }).pipe(Effect.provide(Checkpointer.layerMemory)))

  it.effect("outside a durable run, Durable.child is a defect naming it", () =>
    Effect.gen(function*() {
      const send = makeSend(new Map())
      const exit = yield* Effect.exit(
        Flow.run(makeParent(send)).pipe(
          Effect.provide(Parent.layer({ child: "c", to: "x", log: [] })),
          Effect.provide(Durable.layerTimers)
        )
      )
      assert.isTrue(exit._tag === "Failure" && String(exit.cause).includes("Durable.child \"c\""))
    }))
})
