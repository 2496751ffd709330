/**
 * `npm run example -- viewer` off a terminal: the approval flow suspends under the viewer, the example answers through
 * the viewer's HTTP API as the page would, and the viewer continues the run to the end.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/process.ts"

describe("examples/viewer", () => {
  it.live(
    "prints the viewer's URL, answers through its API, and ends with the release published",
    () =>
      Effect.gen(function*() {
        const { code, stdout } = yield* runExample(["viewer"], { timeout: 60_000 })
        assert.strictEqual(code, 0, stdout)
        assert.match(stdout, /^Run viewer: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/m)
        assert.match(stdout, /The run waits for "review" at release\/review\./)
        assert.match(
          stdout,
          /answered through the viewer's API: \{"id":"release-2\.1","key":"release\/review#1\/review#1","continued":true\}/
        )
        assert.match(stdout, /The run is done after 3 steps\. Published: true/)
      }),
    90_000
  )
})
