/**
 * `npm run example -- approval`: the durable human-in-the-loop example across two processes, off a TTY (so it
 * answers with its scripted approval). The second process must skip the steps the first one finished.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/process.ts"

describe("examples/approval", () => {
  it.live(
    "suspends in one process, is answered, and continues in another without re-running finished steps",
    () =>
      Effect.gen(function*() {
        const { code, stdout } = yield* runExample(["approval"], { timeout: 90_000 })
        assert.strictEqual(code, 0, stdout)
        const pids = Array.from(stdout.matchAll(/^\[pid (\d+)\]/gm), (m) => m[1])
        assert.strictEqual(new Set(pids).size, 2, "two processes ran the flow")
        assert.match(stdout, /ran here: outline, draft\n/)
        assert.match(stdout, /suspended, waiting for essay\/review#1\/approval#1/)
        assert.match(stdout, /continuing "essay-42" from checkpoint v\d+: not running again outline, draft/)
        assert.match(stdout, /ran here: review, publish\n/)
        assert.match(stdout, /Published: true/)
      }),
    120_000
  )
})
