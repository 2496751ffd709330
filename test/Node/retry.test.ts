/**
 * Retry, timeout and defect guarantees PocketFlow does not test: backoff schedules wait exactly their
 * delays, `timeout` bounds each attempt (NodeTimeout is retried, then the fallback runs), and defects are
 * never retried nor handed to the fallback.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Data, type Duration, Effect, Exit, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { Node, NodeTimeout } from "../../src/index.ts"
import { advancing } from "../support/clock.ts"

class Flaky extends Data.TaggedError("Flaky")<{ readonly attempt: number }> {}
class Fatal extends Data.TaggedError("Fatal")<{}> {}

/** The exit of `self`, run while the TestClock moves on by `by`. */
const runAdvancing = <A, E>(self: Effect.Effect<A, E>, by: Duration.Input = "1 hour") =>
  advancing(Effect.exit(self), by)

/** An exec that records the virtual time of each attempt and always fails. */
const recordingFailure = (times: Array<number>) => () =>
  Effect.gen(function*() {
    times.push(yield* Clock.currentTimeMillis)
    const attempt = yield* Node.CurrentAttempt
    return yield* new Flaky({ attempt })
  })

/** Always fails, retried on an exponential backoff from 100 ms, four attempts in all. */
const backoff = (times: Array<number>) =>
  Node.make({
    name: "backoff",
    exec: recordingFailure(times),
    retry: Schedule.exponential("100 millis").pipe(Schedule.upTo({ times: 3 }))
  })

describe("retry schedules", () => {
  it.effect("exponential backoff waits 100, 200, 400 ms between the four attempts", () =>
    Effect.gen(function*() {
      const times: Array<number> = []
      const node = backoff(times)
      const exit = yield* runAdvancing(Node.run(node))
      assert.deepStrictEqual(times, [0, 100, 300, 700])
      assert.deepStrictEqual(exit, Exit.fail(new Flaky({ attempt: 4 })))
    }))

  it.effect("nothing runs before the scheduled time: the third attempt starts exactly at 300ms", () =>
    Effect.gen(function*() {
      const times: Array<number> = []
      const node = backoff(times)
      const fiber = yield* Effect.forkChild(Node.run(node))
      yield* TestClock.adjust("299 millis")
      assert.deepStrictEqual(times, [0, 100])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(times, [0, 100, 300])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("{ times, schedule }: times caps the retries of an exponential schedule", () =>
    Effect.gen(function*() {
      const times: Array<number> = []
      const node = Node.make({
        name: "capped",
        exec: recordingFailure(times),
        retry: { times: 3, schedule: Schedule.exponential("10 millis", 3) }
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.deepStrictEqual(times, [0, 10, 40, 130])
      assert.deepStrictEqual(exit, Exit.fail(new Flaky({ attempt: 4 })))
    }))

  it.effect("{ while }: an error the predicate rejects is not retried", () =>
    Effect.gen(function*() {
      let attempts = 0
      const node = Node.make({
        name: "selective",
        exec: () =>
          Effect.suspend((): Effect.Effect<never, Flaky | Fatal> => {
            attempts++
            return attempts < 3 ? Effect.fail(new Flaky({ attempt: attempts })) : Effect.fail(new Fatal())
          }),
        retry: { times: 10, while: (e) => e._tag === "Flaky" }
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.strictEqual(attempts, 3)
      assert.deepStrictEqual(exit, Exit.fail(new Fatal()))
    }))

  it.effect("a success after retries resets nothing: the attempt number reaches exec", () =>
    Effect.gen(function*() {
      const node = Node.make({
        name: "eventually",
        exec: () =>
          Effect.flatMap(
            Node.CurrentAttempt,
            (n) => n < 3 ? Effect.fail(new Flaky({ attempt: n })) : Effect.succeed(n)
          ),
        retry: { times: 5, schedule: Schedule.spaced("1 second") },
        post: (_p, n) => Node.action(n === 3 ? "third" : "other")
      })
      const exit = yield* runAdvancing(Node.run(node), "2 seconds")
      assert.deepStrictEqual(exit, Exit.succeed("third"))
    }))
})

describe("timeout per attempt", () => {
  it.effect("a slow exec fails with NodeTimeout naming the node and the timeout", () =>
    Effect.gen(function*() {
      const node = Node.make({ name: "slow", exec: () => Effect.sleep("10 seconds"), timeout: "1 second" })
      const fiber = yield* Effect.forkChild(Effect.exit(Node.run(node)))
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail(new NodeTimeout({ node: "slow", timeout: "1 second" })))
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        assert.instanceOf(error, NodeTimeout)
        assert.include((error as NodeTimeout).message, "\"slow\"")
        assert.include((error as NodeTimeout).message, "1 second")
      }
    }))

  it.effect("each attempt gets the full timeout; timeouts are retried; then the fallback runs", () =>
    Effect.gen(function*() {
      const starts: Array<number> = []
      let fallbackError: unknown
      const node = Node.make({
        name: "hangs",
        exec: () =>
          Effect.gen(function*() {
            starts.push(yield* Clock.currentTimeMillis)
            yield* Effect.sleep("1 hour")
            return "never"
          }),
        timeout: "1 second",
        retry: { times: 2, schedule: Schedule.spaced("500 millis") },
        fallback: (_p, error) => Effect.sync(() => (fallbackError = error, "fallback")),
        post: (_p, x) => Node.action(x === "fallback" ? "fell-back" : "answered")
      })
      const fiber = yield* Effect.forkChild(Effect.gen(function*() {
        const action = yield* Node.run(node)
        return { action, at: yield* Clock.currentTimeMillis }
      }))
      yield* TestClock.adjust("10 seconds")
      const { action, at } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(starts, [0, 1500, 3000])
      assert.strictEqual(at, 4000)
      assert.strictEqual(action, "fell-back")
      assert.deepStrictEqual(fallbackError, new NodeTimeout({ node: "hangs", timeout: "1 second" }))
    }))

  it.effect("an attempt that finishes within the timeout wins after earlier timeouts", () =>
    Effect.gen(function*() {
      const node = Node.make({
        name: "speeds-up",
        exec: () =>
          Effect.flatMap(Node.CurrentAttempt, (n) => Effect.as(Effect.sleep(n === 1 ? "5 seconds" : "10 millis"), n)),
        timeout: "1 second",
        retry: { times: 1 },
        post: (_p, n) => Node.action(n === 2 ? "second" : "other")
      })
      const exit = yield* runAdvancing(Node.run(node), "2 seconds")
      assert.deepStrictEqual(exit, Exit.succeed("second"))
    }))

  it.effect("a timeout in a batch applies per item", () =>
    Effect.gen(function*() {
      let seen: ReadonlyArray<string> = []
      const node = Node.batch({
        name: "per-item",
        prep: Effect.succeed([100, 2000, 300]),
        exec: (ms: number) => Effect.as(Effect.sleep(ms), "ok"),
        timeout: "1 second",
        fallback: () => Effect.succeed("timed out"),
        post: (_items, results) => Effect.sync(() => void (seen = results))
      })
      const exit = yield* runAdvancing(Node.run(node), "10 seconds")
      assert.deepStrictEqual(exit, Exit.succeed("default"))
      assert.deepStrictEqual(seen, ["ok", "timed out", "ok"])
    }))
})

describe("defects are not retried", () => {
  it.effect("Effect.die inside exec runs once, skips the fallback and fails the node with the defect", () =>
    Effect.gen(function*() {
      let runs = 0
      let fallbacks = 0
      const boom = new Error("boom")
      const node = Node.make({
        name: "dies",
        exec: () => Effect.suspend(() => (runs++, Effect.die(boom))),
        retry: { times: 5 },
        fallback: () => Effect.sync(() => void fallbacks++)
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.strictEqual(runs, 1)
      assert.strictEqual(fallbacks, 0)
      assert.deepStrictEqual(exit, Exit.die(boom))
    }))

  it.effect("a throw inside exec's Effect is a defect: run once, not retried", () =>
    Effect.gen(function*() {
      let runs = 0
      const node = Node.make({
        name: "throws",
        exec: () =>
          Effect.sync(() => {
            runs++
            throw new Error("thrown")
          }),
        retry: { times: 5, schedule: Schedule.spaced("1 second") }
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.strictEqual(runs, 1)
      assert.isTrue(Exit.hasDies(exit))
      if (Exit.isFailure(exit)) assert.strictEqual((Cause.squash(exit.cause) as Error).message, "thrown")
    }))

  it.effect("an exec function that throws before returning an Effect is a defect too, not retried", () =>
    Effect.gen(function*() {
      let runs = 0
      const node = Node.make({
        name: "throws-early",
        exec: (): Effect.Effect<void, Flaky> => {
          runs++
          throw new Error("early")
        },
        retry: { times: 5 }
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.strictEqual(runs, 1)
      assert.isTrue(Exit.hasDies(exit))
    }))

  it.effect("Effect.try turns a throw into a typed failure, which is retried", () =>
    Effect.gen(function*() {
      let runs = 0
      const node = Node.make({
        name: "wrapped",
        exec: () =>
          Effect.try({
            try: () => {
              runs++
              throw new Error("thrown")
            },
            catch: () => new Flaky({ attempt: runs })
          }),
        retry: { times: 2 }
      })
      const exit = yield* runAdvancing(Node.run(node))
      assert.strictEqual(runs, 3)
      assert.deepStrictEqual(exit, Exit.fail(new Flaky({ attempt: 3 })))
    }))
})
