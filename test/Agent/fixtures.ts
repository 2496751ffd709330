/** Tools and stores for the agent tests: a weather lookup, an email sender that needs approval, a failing tool. */
import { Effect, Schema } from "effect"
import { Tool, Toolkit } from "effect/ai"
import { Shared } from "../../src/index.ts"

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
