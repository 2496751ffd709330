/**
 * Node result caching (issue 21): `cache: { key, ttl?, version? }` with a `resultSchema` keeps exec's results in
 * effect's `Persistence`; a hit skips exec and reports `FlowEvent.CacheHit`; `ttl` runs on the Clock; a new `version`
 * misses; only successes are kept; a store that fails never fails the node; results persist across processes on the
 * file system; a durable run records a hit like an exec.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Layer, Logger, Schema, Stream } from "effect"
import { KeyValueStore, Persistence } from "effect/persistence"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "../../src/index.ts"
import { killChildren, spawnTsx } from "../support/process.ts"
import { expectThrow, js } from "../support/throws.ts"

class Offline extends Data.TaggedError("Offline")<{}> {}

/** A cached node whose exec counts its runs in `runs` and answers `<question>#<run>`. */
const answering = (
  runs: { n: number },
  cache: Node.Cache<string>,
  options: { readonly name?: string; readonly question?: string } = {}
) =>
  Node.make({
    name: options.name ?? "answer",
    prep: Effect.succeed(options.question ?? "q"),
    exec: (question) => Effect.sync(() => `${question}#${++runs.n}`),
    resultSchema: Schema.String,
    cache
  })

/** Runs `node` observed: the keys of its `CacheHit`s. */
const observe = <E, R>(node: Node.Node<"default", E, R>) =>
  Effect.map(
    Stream.runCollect(Flow.events(node)),
    (events) => events.filter(FlowEvent.is("CacheHit")).map((e) => e.key)
  )

describe("cache: hit, miss, ttl, version", () => {
  it.effect("a hit skips exec and returns the stored result; another key misses", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const seen: Array<string> = []
      const make = (question: string) =>
        Node.make({
          name: "answer",
          prep: Effect.succeed(question),
          exec: (q) => Effect.sync(() => `${q}#${++runs.n}`),
          post: (_, text) => Effect.sync(() => void seen.push(text)),
          resultSchema: Schema.String,
          cache: { key: (q) => q }
        })
      yield* Node.run(make("a"))
      yield* Node.run(make("a"))
      yield* Node.run(make("b"))
      yield* Node.run(make("a"))
      assert.deepStrictEqual(seen, ["a#1", "a#1", "b#2", "a#1"])
      assert.strictEqual(runs.n, 2)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("a hit reports CacheHit { path, runs, node, key }; a miss reports none", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const node = answering(runs, { key: (q) => `key:${q}` })
      assert.deepStrictEqual(yield* observe(node), [])
      assert.deepStrictEqual(yield* observe(node), ["key:q"])
      const flow = Flow.make({ name: "f", start: node })
      const events = yield* Stream.runCollect(Flow.events(flow))
      assert.deepStrictEqual(events.filter(FlowEvent.is("CacheHit")), [
        FlowEvent.CacheHit({ path: "f/answer", runs: [], node: "answer", key: "key:q" })
      ])
      assert.strictEqual(runs.n, 1)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("ttl on the TestClock: a hit until the ttl has passed, then a miss", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const node = answering(runs, { key: (q) => q, ttl: "1 hour" })
      yield* Node.run(node)
      yield* TestClock.adjust("59 minutes")
      yield* Node.run(node)
      assert.strictEqual(runs.n, 1)
      yield* TestClock.adjust("1 minute")
      yield* Node.run(node)
      assert.strictEqual(runs.n, 2)
      // The new result is kept for a new hour.
      yield* TestClock.adjust("59 minutes")
      yield* Node.run(node)
      assert.strictEqual(runs.n, 2)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("ttl is kept by the store too: a fresh process-level cache over the same store misses after it", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const node = answering(runs, { key: (q) => q, ttl: "10 seconds" })
      const kv = yield* Layer.build(KeyValueStore.layerMemory)
      // Two Persistence services over one store: the second has nothing in memory, so it reads the store.
      const first = Layer.provide(Persistence.layerKvs, Layer.succeedContext(kv))
      const second = Layer.provide(Persistence.layerKvs, Layer.succeedContext(kv))
      yield* Effect.provide(Node.run(node), first)
      yield* Effect.provide(Node.run(node), second)
      assert.strictEqual(runs.n, 1)
      yield* TestClock.adjust("11 seconds")
      yield* Effect.provide(Node.run(node), Layer.provide(Persistence.layerKvs, Layer.succeedContext(kv)))
      assert.strictEqual(runs.n, 2)
    }))

  it.effect("a version bump misses; the old version's results stay for nodes still on it", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const v1 = answering(runs, { key: (q) => q })
      const v2 = answering(runs, { key: (q) => q, version: 2 })
      assert.deepStrictEqual(yield* observe(v1), [])
      assert.deepStrictEqual(yield* observe(v2), [])
      assert.deepStrictEqual(yield* observe(v2), ["q"])
      assert.deepStrictEqual(yield* observe(v1), ["q"])
      assert.strictEqual(runs.n, 2)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("results are kept per node name: two nodes with the same key do not share them", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const a = answering(runs, { key: () => "same" }, { name: "a" })
      const b = answering(runs, { key: () => "same" }, { name: "b" })
      for (const node of [a, b, a, b]) yield* Node.run(node)
      assert.strictEqual(runs.n, 2)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("batch items: one result per key(item); a repeated item hits, with its index in `runs`", () =>
    Effect.gen(function*() {
      const ran: Array<number> = []
      const squares = Node.batch({
        name: "squares",
        prep: Effect.succeed([2, 3, 2]),
        exec: (n) => Effect.sync(() => (ran.push(n), n * n)),
        resultSchema: Schema.Number,
        cache: { key: (n) => String(n) }
      })
      let results: ReadonlyArray<number> = []
      const flow = Flow.make({ name: "f", start: squares })
      const events = yield* Stream.runCollect(Flow.events(flow))
      const again = Node.batch({
        name: "squares",
        prep: Effect.succeed([3]),
        exec: (n) => Effect.sync(() => (ran.push(n), n * n)),
        post: (_, r) => Effect.sync(() => void (results = r)),
        resultSchema: Schema.Number,
        cache: { key: (n) => String(n) }
      })
      yield* Node.run(again)
      assert.deepStrictEqual(ran, [2, 3])
      assert.deepStrictEqual(results, [9])
      assert.deepStrictEqual(
        events.filter(FlowEvent.is("CacheHit")).map((e) => [e.path, e.runs, e.key]),
        [["f/squares", [2], "2"]]
      )
    }).pipe(Effect.provide(Persistence.layerMemory)))
})

describe("cache: what is kept", () => {
  it.effect("a failure is not kept: the next run runs exec again", () =>
    Effect.gen(function*() {
      let attempts = 0
      const node = Node.make({
        name: "flaky",
        exec: () => Effect.suspend(() => ++attempts === 1 ? Effect.fail(new Offline()) : Effect.succeed(attempts)),
        resultSchema: Schema.Number,
        cache: { key: () => "k" }
      })
      const first = yield* Effect.exit(Node.run(node))
      assert.deepStrictEqual(first, Exit.fail(new Offline()))
      yield* Node.run(node)
      yield* Node.run(node)
      assert.strictEqual(attempts, 2)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("a fallback's result is not kept; retries run inside the cache (a hit skips them)", () =>
    Effect.gen(function*() {
      let attempts = 0
      let online = false
      const values: Array<string> = []
      const node = Node.make({
        name: "lookup",
        exec: () =>
          Effect.suspend(() => {
            attempts++
            return online ? Effect.succeed("fresh") : Effect.fail(new Offline())
          }),
        retry: { times: 1 },
        fallback: () => Effect.succeed("stale"),
        post: (_, value) => Effect.sync(() => void values.push(value)),
        resultSchema: Schema.String,
        cache: { key: () => "k" }
      })
      yield* Node.run(node)
      online = true
      yield* Node.run(node)
      yield* Node.run(node)
      assert.deepStrictEqual(values, ["stale", "fresh", "fresh"])
      assert.strictEqual(attempts, 3)
    }).pipe(Effect.provide(Persistence.layerMemory)))

  it.effect("a store that fails never fails the node: it runs as if uncached, and the failure is logged", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const broken = KeyValueStore.layerStorage(() => ({
        length: 0,
        clear: () => {},
        key: () => null,
        getItem: () => {
          throw new Error("disk on fire")
        },
        setItem: () => {
          throw new Error("disk on fire")
        },
        removeItem: () => {}
      }))
      const warnings: Array<string> = []
      const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
        // The message, then the store's error.
        if (logLevel === "Warn") warnings.push(String(Array.isArray(message) ? message[0] : message))
      })
      const node = answering(runs, { key: (q) => q })
      const exits = yield* Effect.forEach([1, 2], () => Effect.exit(Node.run(node))).pipe(
        Effect.provide(Layer.provide(Persistence.layerKvs, broken)),
        Effect.provide(Logger.layer([logger]))
      )
      assert.deepStrictEqual(exits, [Exit.succeed("default"), Exit.succeed("default")])
      assert.strictEqual(runs.n, 2)
      assert.deepStrictEqual(warnings, [
        `node "answer": cache unavailable for key "q"`,
        `node "answer": cache unavailable for key "q"`
      ])
    }))

  it.effect("without a Persistence service at run time: a defect that says what to provide", () =>
    Effect.gen(function*() {
      const node = answering({ n: 0 }, { key: (q) => q })
      const exit = yield* Effect.exit(Node.run(node as Node.Node<"default">))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.include(Cause.pretty(exit.cause), `node "answer" has a cache: provide effect's Persistence service`)
      }
    }))

  it("options are checked when the node is made", () => {
    const base = { name: "n", exec: () => Effect.succeed(1), resultSchema: Schema.Number }
    expectThrow(
      () => Node.make(js({ name: "n", exec: () => Effect.succeed(1), cache: { key: String } })),
      TypeError,
      `Node "n": option "cache" needs option "resultSchema"`
    )
    expectThrow(
      () => Node.make({ ...base, cache: { key: js("k") } }),
      TypeError,
      `option "cache.key" must be a function`
    )
    expectThrow(() => Node.make({ ...base, cache: { key: String, ttl: -1 } }), RangeError, `option "cache.ttl"`)
    expectThrow(
      () => Node.make({ ...base, cache: { key: String, version: 1.5 } }),
      RangeError,
      `option "cache.version" must be a non-negative integer`
    )
    expectThrow(
      () => Node.batch(js({ name: "b", prep: Effect.succeed([]), exec: Effect.succeed, resultSchema: "x" })),
      TypeError,
      `Batch node "b": option "resultSchema" must be a Schema`
    )
  })
})

describe("cache: durable runs", () => {
  const State = Schema.Struct({ answer: Schema.String })
  class Store extends Shared.Service<Store>()("test/CacheStore", { schema: State }) {}
  const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })

  it.effect("a hit is recorded like an exec: its result reaches post and the store, and is saved with the step", () =>
    Effect.gen(function*() {
      const runs = { n: 0 }
      const answer = Node.make({
        name: "answer",
        prep: Effect.succeed("q"),
        exec: (q) => Effect.sync(() => `${q}#${++runs.n}`),
        post: (_, text) => Store.set({ answer: text }),
        resultSchema: Schema.String,
        cache: { key: (q) => q }
      })
      const review = Node.make({ name: "review", exec: () => Approval.ask("ok?") })
      const flow = Flow.make({ name: "f", start: answer }).pipe(Flow.next(answer, review))
      // An earlier run of the node, outside any durable run, filled the cache.
      yield* Effect.provide(Node.run(answer), Store.layer({ answer: "" }))
      const stores = [Store.initial({ answer: "" })]
      const events = yield* Stream.runCollect(Durable.events(flow, { id: "r", stores }))
      assert.deepStrictEqual(events.filter(FlowEvent.is("CacheHit")).map((e) => e.path), ["f/answer"])
      assert.deepStrictEqual(yield* Durable.state("r", Store), { answer: "q#1" })
      yield* Durable.answer({ id: "r", input: Approval, value: true })
      const outcome = yield* Durable.run(flow, { id: "r", stores })
      assert.strictEqual(outcome._tag, "Done")
      assert.strictEqual(runs.n, 1)
    }).pipe(Effect.provide(Persistence.layerMemory), Effect.provide(Checkpointer.layerMemory)))
})

describe("cache: across processes (file system)", () => {
  afterEach(killChildren)
  const fixture = join(import.meta.dirname, "fixtures", "cached.ts")
  const run = async (args: ReadonlyArray<string>) => {
    const child = spawnTsx(fixture, args)
    const line = await child.next()
    await child.exit
    return JSON.parse(line) as { ran: boolean; result: { text: string; pid: number }; hits: Array<string> }
  }

  it("a second process finds the first one's result in the directory; a new version misses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pocketflow-cache-"))
    try {
      const first = await run([dir, "why", "0"])
      assert.isTrue(first.ran)
      assert.deepStrictEqual(first.hits, [])
      const second = await run([dir, "why", "0"])
      assert.isFalse(second.ran)
      assert.deepStrictEqual(second.hits, ["why"])
      // The result was made by the first process.
      assert.deepStrictEqual(second.result, first.result)
      const bumped = await run([dir, "why", "1"])
      assert.isTrue(bumped.ran)
      assert.notStrictEqual(bumped.result.pid, first.result.pid)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
