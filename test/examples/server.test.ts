/**
 * `npm run example -- server`: the server hosts the approval flow with its worker; the client starts a run through
 * the API, streams its events, answers the review through the API when the run suspends, and prints the final state.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/process.ts"

describe("examples/server", () => {
  it.live(
    "starts a run through the API, streams its events, answers through the API and ends published",
    () =>
      Effect.gen(function*() {
        const { code, stdout } = yield* runExample(["server"], { timeout: 60_000 })
        assert.strictEqual(code, 0, stdout)
        assert.match(stdout, /^effect-pocketflow server: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/m)
        assert.match(stdout, /Started run release-2\.2 of flow release through POST \/runs\./)
        assert.match(stdout, /event: release: suspended, waiting for release\/review#1\/review#1/)
        assert.match(
          stdout,
          /Answered through POST \/answers: \{"id":"release-2\.2","key":"release\/review#1\/review#1","continued":true\}/
        )
        assert.match(stdout, /event: release: flow finished with "default"/)
        assert.match(stdout, /The run is done after 3 steps\. Published: true/)
        // The stream ended with the run, not before: the answer came while it was open.
        const lines = stdout.split("\n")
        const answered = lines.findIndex((l) => l.startsWith("Answered through"))
        const finished = lines.findIndex((l) => l.includes("flow finished"))
        assert.isAbove(finished, answered)
      }),
    90_000
  )
})
