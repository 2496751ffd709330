/**
 * An agent under `Durable.toWorkflow` on `ClusterWorkflowEngine` (SingleRunner over Postgres): its model calls and
 * tool calls are activities inside the step's activity; a run suspended on an approval is answered and finishes without
 * asking the model again for the turn it had, and the approved email is sent once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { single } from "../Durable/toWorkflow/fixtures/cluster.ts"
import * as pg from "../support/pg.ts"
import { approvedWorkflow } from "./fixtures.ts"

describe.skipIf(pg.missing())("an agent on the cluster workflow engine", () => {
  it.live("suspends on the approval, is answered, finishes; each call ran once", () =>
    Effect.gen(function*() {
      const url = yield* pg.database("agent_cluster")
      const { calls, sent, store } = yield* approvedWorkflow(single(url), { every: "50 millis", times: 600 })
      assert.deepStrictEqual(store, { question: "Greet Ada", answer: "Sent. [send_email:false]" })
      assert.deepStrictEqual(sent, ["ada@example.com: Hello"])
      assert.strictEqual(calls, 2)
    }), 60_000)
})
