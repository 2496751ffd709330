/**
 * An agent under `Durable.toWorkflow` on `ClusterWorkflowEngine` (SingleRunner over Postgres): its model calls and
 * tool calls are activities inside the step's activity; a run suspended on an approval is answered and finishes without
 * asking the model again for the turn it had, and the approved email is sent once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { AiError } from "effect/ai"
import { Agent, Durable, Errors, Flow } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"
import { single } from "../Durable/toWorkflow/fixtures/cluster.ts"
import * as pg from "../support/pg.ts"
import { completed, isComplete, settle } from "../support/workflow.ts"
import { handlers, MailboxFull, Store, Tools } from "./fixtures.ts"

const slowly = { every: "50 millis", times: 600 } as const

const mailer = Agent.make({
  name: "mailer",
  instructions: "You send emails.",
  prompt: Effect.map(Store.get, (s) => s.question),
  toolkit: Tools,
  approve: ["send_email"],
  post: ({ text }) => Store.update((s) => ({ ...s, answer: text }))
})

describe.skipIf(pg.missing())("an agent on the cluster workflow engine", () => {
  it.live("suspends on the approval, is answered, finishes; each call ran once", () => {
    const sent: Array<string> = []
    return Effect.gen(function*() {
      const url = yield* pg.database("agent_cluster")
      const wf = Durable.toWorkflow(Flow.make({ name: "mail", start: mailer }), {
        name: "mail",
        stores: [Store],
        error: Schema.Union([Errors.AgentTurnsExceeded, AiError.AiError, MailboxFull])
      })
      const result = yield* Effect.gen(function*() {
        yield* wf.start({ id: "c", stores: [Store.initial({ question: "Greet Ada", answer: "" })] })
        yield* settle(wf, "c", (r) => r._tag === "Suspended", slowly)
        yield* wf.answer({
          id: "c",
          input: mailer.approvals.send_email,
          key: "mail/mailer#1/approve-send_email#1.1",
          value: { approve: true }
        })
        return yield* settle(wf, "c", isComplete, slowly)
      }).pipe(Effect.provide(wf.layer.pipe(Layer.provideMerge(single(url)))))
      assert.deepStrictEqual(completed(result).stores["agent/Store"], { question: "Greet Ada", answer: "Sent." })
      assert.deepStrictEqual(sent, ["ada@example.com: Hello"])
      assert.strictEqual((yield* TestLanguageModel.calls).length, 2)
    }).pipe(Effect.provide(Layer.mergeAll(
      TestLanguageModel.layer(({ number }) =>
        number === 1
          ? TestLanguageModel.toolCall("send_email", { to: "ada@example.com", body: "Hello" }, { id: "e1" })
          : "Sent."
      ),
      handlers(sent)
    )))
  }, 60_000)
})
