/**
 * `npm run example -- agent-approval`: an agent whose send_email tool needs approval, durable across two processes
 * (off a TTY it approves with its scripted answer). The second process must not ask the model again for the turns the
 * first one finished, nor look the contact up again; the email is sent once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/process.ts"

describe("examples/agent-approval", () => {
  it.live(
    "suspends for approval in one process, is answered, and finishes in another without repeating finished calls",
    () =>
      Effect.gen(function*() {
        const { code, stdout } = yield* runExample(["agent-approval"], { timeout: 90_000 })
        assert.strictEqual(code, 0, stdout)
        const pids = Array.from(new Set(Array.from(stdout.matchAll(/^\[pid (\d+)\]/gm), (m) => m[1]!)))
        assert.strictEqual(pids.length, 2, "two processes ran the flow")
        const [first, second] = pids.map((pid) =>
          stdout.split("\n").filter((l) => l.startsWith(`[pid ${pid}]`)).map((l) => l.replace(/^\[pid \d+\] +/, ""))
        )
        assert.deepStrictEqual(first, [
          "starting \"mail-1\"",
          "mail/assistant: tool call lookup_contact({\"name\":\"Ada\"})",
          "mail/assistant: tool result lookup_contact: {\"name\":\"Ada\",\"email\":\"ada@example.com\"}",
          "mail/assistant: tool call send_email({\"to\":\"ada@example.com\",\"subject\":\"Thursday\",\"body\":\"Hi Ada, are we still on for Thursday?\"})",
          "mail: suspended, waiting for mail/assistant#1/approve-send_email#2.1",
          "model calls here: 2"
        ])
        assert.match(second![0]!, /^continuing "mail-1" from checkpoint v\d+$/)
        assert.deepStrictEqual(second!.slice(2), [
          "mail/assistant: tool result send_email: \"sent to ada@example.com\"",
          "model calls here: 1"
        ])
        assert.match(stdout, /Reply: I emailed Ada \(ada@example.com\) to confirm Thursday\./)
        assert.match(stdout, /Emails sent: 1\n/)
      }),
    120_000
  )
})
