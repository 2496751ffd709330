/**
 * Walk parity: the same fixture flows under every host — plain (`Flow.run`), observed (`Flow.events`), durable
 * (`Durable.run`, and `Durable.events` for its events) and workflow (`Durable.toWorkflow` on the memory engine) — end
 * with the same action or error, the same store state, the same step ids (read from `Durable.StepKey` in each exec,
 * where a host has them) and the same events (where a host reports them).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Option, Schema, Stream } from "effect"
import { Checkpointer, Durable, Errors, Flow, type FlowEvent, Node, Shared } from "effect-pocketflow"
import { WorkflowEngine } from "effect/workflow"
import { settle } from "../support/workflow.ts"

const State = Schema.Struct({ log: Schema.Array(Schema.String) })
class Store extends Shared.Service<Store>()("parity/Store", { schema: State }) {}
class Boom extends Schema.TaggedError<Boom>()("Boom", { at: Schema.String }) {}
const Errs = Schema.Union([Boom, Errors.MaxStepsExceeded])
const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })
class Param extends Context.Service<Param, number>()("parity/Param") {}

/** What each exec records: its step key (undefined outside durable hosts). */
type Keys = Array<string>
const note = (entry: string) => Store.update((s) => ({ log: [...s.log, entry] }))
const keyed = (keys: Keys) => Effect.map(Durable.StepKey, (key) => void (key !== undefined && keys.push(key)))

const step = (keys: Keys, name: string) => Node.make({ name, exec: () => keyed(keys), post: () => note(name) })

type Fixture = (keys: Keys) => Flow.Flow<string, Boom | Errors.MaxStepsExceeded, Store | Durable.Run>

const fixtures: Record<string, Fixture> = {
  loop: (keys) => {
    const count = Node.make({
      name: "count",
      prep: Store.get,
      exec: (s) => Effect.as(keyed(keys), s.log.length),
      post: (_, n) => Effect.andThen(note(`count ${n}`), n < 3 ? Node.action("again") : Node.action("done"))
    })
    return Flow.make({ name: "loop", start: count }).pipe(Flow.on(count, "again", count), Flow.end(count, "done"))
  },
  nested: (keys) => {
    const a = step(keys, "a")
    const i1 = step(keys, "i1")
    const i2 = step(keys, "i2")
    const inner = Flow.make({ name: "inner", start: i1 }).pipe(Flow.next(i1, i2))
    const b = step(keys, "b")
    return Flow.make({ name: "nested", start: a }).pipe(Flow.next(a, inner), Flow.next(inner, b))
  },
  batch: (keys) => {
    const items = Node.batch({
      name: "items",
      prep: Effect.succeed([1, 2, 3]),
      exec: (n) => Effect.as(keyed(keys), n * 2),
      post: (_, xs) => note(`items ${xs.join(",")}`),
      resultSchema: Schema.Number,
      concurrency: 1
    })
    return Flow.make({ name: "batch", start: items })
  },
  "batch flow": (keys) => {
    const one = Node.make({
      name: "one",
      prep: Effect.service(Param),
      exec: () => keyed(keys),
      post: (p) => note(`one ${p}`)
    })
    const each = Flow.batch({ name: "each", flow: one, params: Param, prep: Effect.succeed([1, 2]) })
    return Flow.make({ name: "batch-flow", start: each })
  },
  parallel: (keys) => {
    const left = step(keys, "left")
    const right = step(keys, "right")
    const both = Flow.parallel({
      name: "both",
      branches: [left, right],
      concurrency: 1,
      post: () => Node.action("joined")
    })
    const after = step(keys, "after")
    return Flow.make({ name: "parallel", start: both }).pipe(Flow.on(both, "joined", after))
  },
  "typed failure": (keys) => {
    const a = step(keys, "a")
    const fail = Node.make({
      name: "fail",
      exec: () => Effect.andThen(keyed(keys), Effect.fail(new Boom({ at: "fail" })))
    })
    return Flow.make({ name: "failing", start: a }).pipe(Flow.next(a, fail))
  },
  defect: (keys) => {
    const a = step(keys, "a")
    const die = Node.make({ name: "die", exec: () => Effect.andThen(keyed(keys), Effect.die(new Error("kaput"))) })
    return Flow.make({ name: "dying", start: a }).pipe(Flow.next(a, die))
  },
  defaults: (keys) => {
    // Batch items retried by the outer flow's default; a node of the nested flow by the nested flow's own.
    const items = Node.batch({
      name: "items",
      prep: Effect.succeed([1, 2]),
      exec: (n) =>
        Effect.andThen(
          keyed(keys),
          Effect.flatMap(
            Node.CurrentAttempt,
            (a) => a === 1 ? Effect.fail(new Boom({ at: "items" })) : Effect.succeed(n)
          )
        ),
      post: (_, xs) => note(`items ${xs.join(",")}`),
      resultSchema: Schema.Number,
      concurrency: 1
    })
    let tries = 0
    const flaky = Node.make({
      name: "flaky",
      exec: () =>
        Effect.andThen(
          keyed(keys),
          Effect.suspend(() => ++tries < 3 ? Effect.fail(new Boom({ at: "flaky" })) : Effect.succeed(tries))
        ),
      post: (_, n) => note(`flaky ${n}`)
    })
    const inner = Flow.make({ name: "inner", start: flaky, defaults: { retry: { times: 2 } } })
    return Flow.make({ name: "defaults", start: items, defaults: { retry: { times: 1 } } }).pipe(
      Flow.next(items, inner)
    )
  },
  "unmatched action": (keys) => {
    // Typed "left" | "right", returns "left" at run time: wired for "right" only.
    const pick = Node.make({
      name: "pick",
      prep: Store.get,
      exec: () => keyed(keys),
      post: (s) => Effect.andThen(note("pick"), s.log.length < 0 ? Node.action("right") : Node.action("left"))
    })
    const right = step(keys, "right")
    return Flow.make({ name: "unmatched", start: pick }).pipe(Flow.on(pick, "right", right))
  },
  "declared exit": (keys) => {
    const a = Node.make({
      name: "a",
      prep: Store.get,
      exec: () => keyed(keys),
      post: (s) => Effect.andThen(note("a"), s.log.length < 0 ? Node.action("go") : Node.action("stop"))
    })
    const never = step(keys, "never")
    return Flow.make({ name: "exit", start: a }).pipe(Flow.on(a, "go", never), Flow.end(a, "stop"))
  },
  maxSteps: (keys) => {
    const spin = step(keys, "spin")
    return Flow.make({ name: "spinning", start: spin, maxSteps: 4 }).pipe(Flow.next(spin, spin))
  },
  "retry and fallback": (keys) => {
    const flaky = Node.make({
      name: "flaky",
      exec: () => Effect.andThen(keyed(keys), Effect.fail(new Boom({ at: "flaky" }))),
      retry: { times: 2 },
      fallback: () => Effect.succeed("fallback"),
      post: (_, x) => note(`flaky ${x}`)
    })
    return Flow.make({ name: "retrying", start: flaky })
  },
  ask: (keys) => {
    const review = Node.make({
      name: "review",
      exec: () => Effect.andThen(keyed(keys), Approval.ask("ok?")),
      post: (_, ok) => note(`review ${ok}`)
    })
    const after = step(keys, "after")
    return Flow.make({ name: "asking", start: review }).pipe(Flow.next(review, after))
  }
}

/** How a run ended, in a form all hosts share. */
type End = { readonly action: string } | { readonly error: string } | { readonly defect: string }

const endOf = (exit: Exit.Exit<string, unknown>): End => {
  if (Exit.isSuccess(exit)) return { action: exit.value }
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) return { error: (error.value as { _tag: string })._tag }
  const pretty = Cause.pretty(exit.cause)
  // Every host names the node and the flow a defect came from.
  const where = /node "[^"]+" in flow "[^"]+"/.exec(pretty)?.[0] ?? "(no location)"
  return {
    defect: `${
      Cause.squash(exit.cause) instanceof Error ? (Cause.squash(exit.cause) as Error).message : "?"
    } at ${where}`
  }
}

/** Events without timings, causes or durable-only bookkeeping. */
const show = (e: FlowEvent.FlowEvent): string | undefined => {
  switch (e._tag) {
    case "CheckpointSaved":
    case "Suspended":
    case "Resumed":
    case "AnswerStale":
      return undefined
    case "NodeStarted":
      return `${e._tag} ${e.path} ${e.runs.join(".")}`
    case "NodeFinished":
      return `${e._tag} ${e.path} ${e.action}`
    case "NodeFailed":
    case "FlowStarted":
    case "FlowFailed":
      return `${e._tag} ${e.path}`
    case "FlowFinished":
      return `${e._tag} ${e.path} ${e.action}`
    case "Transition":
      return `${e._tag} ${e.path} ${e.from}-${e.action}->${e.to}`
    case "RetryScheduled":
      return `${e._tag} ${e.path} ${e.attempt}`
    case "FallbackUsed":
    case "UnmatchedAction":
      return `${e._tag} ${e.path}`
    case "BatchProgress":
      return `${e._tag} ${e.path} ${e.done}/${e.total}`
    default:
      return e._tag
  }
}

const initial = () => Store.initial({ log: [] })
const answers = Durable.layerAnswers(Approval, () => Effect.succeed(true))

const plain = (fixture: Fixture) =>
  Effect.gen(function*() {
    const keys: Keys = []
    const flow = fixture(keys)
    const store = yield* Store.make({ log: [] })
    const exit = yield* Effect.exit(
      Flow.run(flow).pipe(Effect.provideService(Store, store), Effect.provide(answers))
    )
    return { end: endOf(exit), log: (yield* Effect.provideService(Store.get, Store, store)).log, keys }
  })

const observed = (fixture: Fixture) =>
  Effect.gen(function*() {
    const keys: Keys = []
    const flow = fixture(keys)
    const store = yield* Store.make({ log: [] })
    const events: Array<FlowEvent.FlowEvent> = []
    const exit = yield* Effect.exit(
      Flow.events(flow).pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(e))),
        Effect.provideService(Store, store),
        Effect.provide(answers)
      )
    )
    const last = events.filter((e) => e._tag === "FlowFinished" && e.path === flow.name).pop()
    const end: End = Exit.isSuccess(exit) && last?._tag === "FlowFinished"
      ? { action: last.action }
      : endOf(exit as never)
    return {
      end,
      log: (yield* Effect.provideService(Store.get, Store, store)).log,
      keys,
      events: events.flatMap((e) => show(e) ?? [])
    }
  })

/** `Durable.run` (or `Durable.events`, which runs it too), answering every ask with `true` until the run ends. */
const durable = (fixture: Fixture, withEvents: boolean) =>
  Effect.gen(function*() {
    const keys: Keys = []
    const flow = fixture(keys)
    const events: Array<FlowEvent.FlowEvent> = []
    const once = withEvents
      ? Effect.map(
        Durable.events(flow, { id: "r", stores: [initial()] }).pipe(
          Stream.runForEach((e) => Effect.sync(() => events.push(e)))
        ),
        () => undefined
      )
      : Effect.asVoid(Durable.run(flow, { id: "r", stores: [initial()] }))
    let exit = yield* Effect.exit(once)
    for (let i = 0; i < 5; i++) {
      const snapshot = yield* Durable.get("r")
      if (Option.isNone(snapshot) || snapshot.value.status !== "suspended") break
      for (const w of snapshot.value.waiting) {
        yield* Durable.answer({ id: "r", input: Approval, key: w.key, value: true })
      }
      exit = yield* Effect.exit(once)
    }
    // After a suspension, the run's last walk (from its `Resumed`) is the one that reached the end.
    const resumed = events.map((e) => e._tag).lastIndexOf("Resumed")
    const walked = resumed === -1 ? events : events.slice(resumed + 1)
    const snapshot = Option.getOrThrow(yield* Durable.get("r"))
    const end: End = Exit.isSuccess(exit)
      ? { action: snapshot.action ?? "?" }
      : endOf(Effect.runSync(Effect.exit(Effect.failCause(exit.cause))) as never)
    return {
      end,
      log: (yield* Durable.state("r", Store)).log,
      keys: keys.map((k) => k.slice("r:".length)),
      events: walked.flatMap((e) => show(e) ?? [])
    }
  }).pipe(Effect.provide(Layer.fresh(Checkpointer.layerMemory)))

const workflow = (fixture: Fixture) =>
  Effect.gen(function*() {
    const keys: Keys = []
    const flow = fixture(keys)
    const wf = Durable.toWorkflow(flow, { name: "parity", stores: [Store], error: Errs })
    return yield* Effect.gen(function*() {
      yield* wf.start({ id: "r", stores: [initial()] })
      let result = yield* settle(wf, "r", () => true)
      for (let i = 0; i < 5 && result._tag === "Suspended"; i++) {
        yield* wf.answer({ id: "r", input: Approval, key: "asking/review#1/approval#1", value: true })
        result = yield* settle(wf, "r", (r) => r._tag === "Complete")
      }
      assert.strictEqual(result._tag, "Complete")
      const exit =
        (result as { readonly exit: Exit.Exit<{ action: string; stores: Record<string, unknown> }, unknown> })
          .exit
      const log = Exit.isSuccess(exit)
        ? (exit.value.stores["parity/Store"] as { log: Array<string> }).log
        : undefined
      return { end: endOf(Exit.map(exit, (v) => v.action)), log, keys: keys.map((k) => k.slice("r:".length)) }
    }).pipe(Effect.provide(wf.layer.pipe(Layer.provideMerge(WorkflowEngine.layerMemory))))
  })

describe("walk parity across hosts", () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    it.live(name, () =>
      Effect.gen(function*() {
        const p = yield* plain(fixture)
        const o = yield* observed(fixture)
        const d = yield* durable(fixture, false)
        const de = yield* durable(fixture, true)
        const w = yield* workflow(fixture)
        // The same end everywhere.
        assert.deepStrictEqual(o.end, p.end, "observed vs plain")
        assert.deepStrictEqual(d.end, p.end, "durable vs plain")
        assert.deepStrictEqual(de.end, p.end, "durable events vs plain")
        assert.deepStrictEqual(w.end, p.end, "workflow vs plain")
        // The same stores everywhere (a failed workflow run returns none).
        assert.deepStrictEqual(o.log, p.log, "observed vs plain")
        assert.deepStrictEqual(d.log, p.log, "durable vs plain")
        if (w.log !== undefined) assert.deepStrictEqual(w.log, p.log, "workflow vs plain")
        // The same step ids under both durable hosts; none without one.
        assert.deepStrictEqual(p.keys, [])
        assert.deepStrictEqual(o.keys, [])
        assert.isAbove(d.keys.length, 0)
        assert.deepStrictEqual(w.keys, d.keys, "workflow vs durable step ids")
        if (name === "defect") assert.deepStrictEqual(p.end, { defect: `kaput at node "die" in flow "dying"` })
        if (name === "defaults") assert.deepStrictEqual(p.log, ["items 1,2", "flaky 3"])
        // The same events from the observed and the durable host.
        assert.deepStrictEqual(de.events, o.events, "Durable.events vs Flow.events")
      }), 30_000)
  }
})
