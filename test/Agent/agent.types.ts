/**
 * Type-level guarantees of `Agent.make`, checked by `tsc`: the errors of handlers and of the toolkit stay typed, an
 * agent that asks for approvals requires `Durable.Run` (and one that does not, does not), `approve` names only tools of
 * the toolkit, and each approval input's prompt is typed by the tool's parameters.
 */
import { Effect } from "effect"
import type { AiError, LanguageModel } from "effect/ai"
import { Agent, type Durable, type Errors, Node } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"
import { type MailboxFull, Tools } from "./fixtures.ts"

const plain = Agent.make({
  name: "plain",
  instructions: "",
  prompt: Effect.succeed("hi"),
  toolkit: Tools,
  post: ({ text }) => text.length > 0 ? Node.action("answered") : Node.action("silent")
})
check<Equals<Node.Action<typeof plain>, "answered" | "silent">>()
check<Equals<Node.Error<typeof plain>, AiError.AiError | Errors.AgentTurnsExceeded | MailboxFull>>()
check<Equals<Extract<Node.Services<typeof plain>, Durable.Run>, never>>()
check<Equals<Extract<Node.Services<typeof plain>, LanguageModel.LanguageModel>, LanguageModel.LanguageModel>>()

const asking = Agent.make({
  name: "asking",
  instructions: "",
  prompt: Effect.succeed("hi"),
  toolkit: Tools,
  approve: ["send_email"]
})
check<Equals<Extract<Node.Services<typeof asking>, Durable.Run>, Durable.Run>>()
check<Equals<Node.Action<typeof asking>, "default">>()
asking.approvals.send_email.ask({ name: "send_email", params: { to: "a", body: "b" } })
// @ts-expect-error the prompt is typed by the tool's parameters
asking.approvals.send_email.ask({ name: "send_email", params: { to: 1 } })
// @ts-expect-error only tools named in `approve` have an approval input
asking.approvals.get_weather

Agent.make({
  name: "wrong",
  instructions: "",
  prompt: Effect.succeed("hi"),
  toolkit: Tools,
  // @ts-expect-error `approve` names tools of the toolkit
  approve: ["delete_everything"]
})

class PromptFailed extends Error {
  readonly _tag = "PromptFailed"
}
const failing = Agent.make({ name: "f", instructions: "", prompt: Effect.fail(new PromptFailed()), toolkit: Tools })
check<Equals<Extract<Node.Error<typeof failing>, PromptFailed>, PromptFailed>>()
