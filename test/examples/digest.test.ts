/**
 * `npm run example -- digest`: a cron schedule starts the day's run on an in-process worker; the run sleeps until the
 * reviewer's deadline (and not before), asks for approval, then mails every subscriber through a child run of its
 * own; the next morning's tick starts the next day's run. On the example's TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as digest from "../../examples/digest.ts"
import { runExample } from "../support/process.ts"

describe("examples/digest", () => {
  it.effect("approves the day's digest and mails every subscriber once, through a child run each", () =>
    Effect.gen(function*() {
      const { final, mails } = yield* Effect.provide(digest.program, digest.model)
      assert.isTrue(final.approved)
      assert.deepStrictEqual(final.pending, [])
      assert.deepStrictEqual(final.delivered, [...digest.subscribers])
      assert.strictEqual(final.summary, "Cron schedules, durable timers and child runs land in one release.")
      assert.deepStrictEqual(
        mails.map((m) => [m.to, m.day, m.sent]),
        digest.subscribers.map((to) => [to, "2026-12-07", true])
      )
    }))

  it.live(
    "npm run example -- digest: the day as it happens, on a worker in the same process",
    () =>
      Effect.gen(function*() {
        const { code, stdout } = yield* runExample(["digest"], { timeout: 90_000 })
        assert.strictEqual(code, 0, stdout)
        const id = "digest@2026-12-07T08:00:00.000Z"
        assert.include(stdout, `worker: started ${id} (cron tick)`)
        assert.include(stdout, `08:00 ${id} is sleeping until 2026-12-07T10:00:00.000Z`)
        assert.include(stdout, `09:59 ${id} is still sleeping`)
        assert.match(stdout, new RegExp(`10:00 ${id} asks the reviewer: "Cron schedules`))
        for (const to of digest.subscribers) {
          assert.strictEqual(stdout.split(`mail to ${to}: [2026-12-07]`).length, 2, `one mail to ${to}`)
        }
        assert.include(
          stdout,
          `${id} is done; its children: ${digest.subscribers.map((to) => `digest-2026-12-07/${to}`).join(", ")}`
        )
        assert.strictEqual(stdout.split("worker: started digest@").length, 3, "one run per tick")
        assert.include(stdout, "08:00 digest@2026-12-08T08:00:00.000Z is sleeping until its reviewer's deadline")
        assert.include(stdout, `Delivered to: ${digest.subscribers.join(", ")}`)
      }),
    120_000
  )
})
