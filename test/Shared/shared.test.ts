/**
 * The shared store: a fresh store per run from its layer, and its get / set / update / modify accessors.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Flow, Node, Shared } from "../../src/index.ts"

interface State {
  readonly question: string
  readonly answer: string | undefined
  readonly visits: number
}
class Store extends Shared.Service<Store, State>()("test/shared/Store") {}

const answer = Node.make({
  name: "answer",
  prep: Store.get.pipe(Effect.map((s) => s.question)),
  exec: (question) => Effect.succeed(`You asked: ${question}`),
  post: (_q, text) => Store.update((s) => ({ ...s, answer: text, visits: s.visits + 1 })).pipe(Node.as("done"))
})
const flow = Flow.make({ name: "qa", start: answer })

describe("Shared.Service", () => {
  it.effect("get, set, update and modify", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Store.get, { question: "q", answer: undefined, visits: 0 })
      yield* Store.set({ question: "q2", answer: "a2", visits: 5 })
      assert.deepStrictEqual(yield* Store.get, { question: "q2", answer: "a2", visits: 5 })
      yield* Store.update((s) => ({ ...s, visits: s.visits + 1 }))
      assert.strictEqual((yield* Store.get).visits, 6)
      const previous = yield* Store.modify((s) => [s.answer, { ...s, answer: "a3" }] as const)
      assert.strictEqual(previous, "a2")
      assert.strictEqual((yield* Store.get).answer, "a3")
    }).pipe(Effect.provide(Store.layer({ question: "q", answer: undefined, visits: 0 }))))

  it.effect("a test provides a prepared state and reads the final one back", () =>
    Effect.gen(function*() {
      const action = yield* Flow.run(flow)
      assert.strictEqual(action, "done")
      assert.deepStrictEqual(yield* Store.get, { question: "why?", answer: "You asked: why?", visits: 1 })
    }).pipe(Effect.provide(Store.layer({ question: "why?", answer: undefined, visits: 0 }))))

  it.effect("each layer gives a fresh store: two runs of one flow do not share state", () =>
    Effect.gen(function*() {
      const runOnce = (question: string) =>
        Effect.gen(function*() {
          yield* Flow.run(flow)
          return yield* Store.get
        }).pipe(Effect.provide(Store.layer({ question, answer: undefined, visits: 0 })))
      const first = yield* runOnce("one")
      const second = yield* runOnce("two")
      assert.deepStrictEqual(first, { question: "one", answer: "You asked: one", visits: 1 })
      assert.deepStrictEqual(second, { question: "two", answer: "You asked: two", visits: 1 })
    }))

  it.effect("concurrent runs of one flow with their own stores stay separate", () =>
    Effect.gen(function*() {
      const slow = Node.make({
        name: "slow",
        prep: Store.get.pipe(Effect.map((s) => s.question)),
        exec: (q) => Effect.as(Effect.sleep(q.length * 10), q.toUpperCase()),
        post: (_q, upper) => Store.update((s) => ({ ...s, answer: upper }))
      })
      const slowFlow = Flow.make({ name: "slow-qa", start: slow })
      const questions = ["a", "bbb", "cc"]
      const fiber = yield* Effect.forkChild(Effect.forEach(
        questions,
        (question) =>
          Effect.gen(function*() {
            yield* Flow.run(slowFlow)
            return (yield* Store.get).answer
          }).pipe(Effect.provide(Store.layer({ question, answer: undefined, visits: 0 }))),
        { concurrency: "unbounded" }
      ))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["A", "BBB", "CC"])
    }))

  it.effect("Store.make builds a store value to provide directly; its ref is the state", () =>
    Effect.gen(function*() {
      const store = yield* Store.make({ question: "direct", answer: undefined, visits: 0 })
      yield* Flow.run(flow).pipe(Effect.provideService(Store, store))
      assert.strictEqual((yield* Ref.get(store.ref)).answer, "You asked: direct")
    }))

  it.effect("a store class is a Context key: yield* Store gives the store service", () =>
    Effect.gen(function*() {
      const store = yield* Store
      yield* Ref.update(store.ref, (s) => ({ ...s, visits: 42 }))
      assert.strictEqual((yield* Store.get).visits, 42)
    }).pipe(Effect.provide(Store.layer({ question: "", answer: undefined, visits: 0 }))))
})

describe("store writes as a post's last step", () => {
  it.effect("a post ending in set, update or modify still yields the default action", () =>
    Effect.gen(function*() {
      class Cell extends Shared.Service<Cell, { n: number }>()("test/shared/Cell") {}
      const viaSet = Node.make({ name: "set", post: () => Cell.set({ n: 1 }) })
      const viaUpdate = Node.make({ name: "update", post: () => Cell.update((s) => ({ n: s.n + 1 })) })
      const last = Node.make({ name: "last", post: () => Node.action("done") })
      const flow = Flow.make({ name: "writes", start: viaSet }).pipe(
        Flow.next(viaSet, viaUpdate),
        Flow.next(viaUpdate, last)
      )
      const action = yield* Flow.run(flow).pipe(Effect.provide(Cell.layer({ n: 0 })))
      assert.strictEqual(action, "done")
      const ticket = yield* Cell.modify((s) => [s.n, { n: s.n * 10 }] as const).pipe(
        Effect.andThen((t) => Effect.map(Cell.get, (s) => [t, s.n])),
        Effect.provide(Cell.layer({ n: 3 }))
      )
      assert.deepStrictEqual(ticket, [3, 30])
    }))
})
