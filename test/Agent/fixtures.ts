/** Tools and stores for the agent tests: a weather lookup, an email sender that needs approval, a failing tool. */
import { type Duration, Effect, Layer, Schema } from "effect"
import { AiError, Tool, Toolkit } from "effect/ai"
import type { WorkflowEngine } from "effect/workflow"
import { Agent, Durable, Errors, Flow, Shared } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"
import { completed, isComplete, settle } from "../support/workflow.ts"

export const GetWeather = Tool.make("get_weather", {
  description: "Today's weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

export const SendEmail = Tool.make("send_email", {
  description: "Sends an email",
  parameters: Schema.Struct({ to: Schema.String, body: Schema.String }),
  success: Schema.String
})

export class MailboxFull extends Schema.TaggedError<MailboxFull>()("MailboxFull", { to: Schema.String }) {}

export const Bounce = Tool.make("bounce", {
  description: "Always fails",
  parameters: Schema.Struct({ to: Schema.String }),
  success: Schema.String,
  failure: MailboxFull
})

export const Tools = Toolkit.make(GetWeather, SendEmail, Bounce)

/** The handlers; `sent` records every email really sent. */
export const handlers = (sent: Array<string> = []) =>
  Tools.toLayer({
    get_weather: ({ city }) => Effect.succeed({ city, celsius: city === "Oslo" ? 4 : 21 }),
    send_email: ({ body, to }) =>
      Effect.sync(() => {
        sent.push(`${to}: ${body}`)
        return `sent to ${to}`
      }),
    bounce: ({ to }) => Effect.fail(new MailboxFull({ to }))
  })

export class Store extends Shared.Service<Store>()("agent/Store", {
  schema: Schema.Struct({ question: Schema.String, answer: Schema.String })
}) {}

/** An agent whose send_email calls need approval; its answer records each tool use as `name:isFailure`. */
export const mailer = Agent.make({
  name: "mailer",
  instructions: "You send emails.",
  prompt: Effect.map(Store.get, (s) => s.question),
  toolkit: Tools,
  approve: ["send_email"],
  post: ({ text, tools }) =>
    Store.update((s) => ({ ...s, answer: `${text} [${tools.map((t) => `${t.name}:${t.isFailure}`).join(",")}]` }))
})

/** The model's call of send_email to Ada. */
export const email = TestLanguageModel.toolCall("send_email", { to: "ada@example.com", body: "Hello" }, { id: "e1" })

/**
 * The mailer as a workflow on `engine`: started, suspended on its approval, approved, finished. Succeeds with its final
 * store, the emails really sent and the number of model calls.
 */
export const approvedWorkflow = (
  engine: Layer.Layer<WorkflowEngine.WorkflowEngine, unknown>,
  poll?: { readonly every: Duration.Input; readonly times: number }
) => {
  const sent: Array<string> = []
  const wf = Durable.toWorkflow(Flow.make({ name: "mail", start: mailer }), {
    name: "mail",
    stores: [Store],
    error: Schema.Union([Errors.AgentTurnsExceeded, AiError.AiError, MailboxFull])
  })
  return Effect.gen(function*() {
    const result = yield* Effect.gen(function*() {
      yield* wf.start({ id: "w", stores: [Store.initial({ question: "Greet Ada", answer: "" })] })
      yield* settle(wf, "w", (r) => r._tag === "Suspended", poll)
      yield* wf.answer({
        id: "w",
        input: mailer.approvals.send_email,
        key: "mail/mailer#1/approve-send_email#1.1",
        value: { approve: true }
      })
      return yield* settle(wf, "w", isComplete, poll)
    }).pipe(Effect.provide(wf.layer.pipe(Layer.provideMerge(engine))))
    return { store: completed(result).stores["agent/Store"], sent, calls: (yield* TestLanguageModel.calls).length }
  }).pipe(Effect.provide(Layer.mergeAll(
    TestLanguageModel.layer(({ number }) => number === 1 ? email : "Sent."),
    handlers(sent)
  )))
}
