/**
 * `agent-approval`: an agent whose `send_email` tool needs a human's approval, run durably across two processes.
 *
 * The agent (`Agent.make` with `approve: ["send_email"]`) looks up a contact, then wants to send an email. Before the
 * email goes out it asks for approval (`agent.approvals.send_email`, a `Durable.input` whose prompt is the call: the
 * tool's name and parameters): the run saves its checkpoint and the first process ends. The answer is written to the
 * run's inbox (`Durable.answer`), and a second process continues the run: the model is not asked again for the turns
 * it already answered, the contact is not looked up again, and the email is sent once. A rejection would go back to
 * the model as the call's result instead.
 *
 * Run it with `npm run example -- agent-approval` (in a terminal it asks you; otherwise it approves with a scripted
 * answer). Each half runs in its own process: `tsx examples/agent-approval.ts --step <directory> <run id>`.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { Agent, Checkpointer, Durable, Flow, FlowEvent, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"

const LookupContact = Tool.make("lookup_contact", {
  description: "Finds a person's email address",
  parameters: Schema.Struct({ name: Schema.String }),
  success: Schema.Struct({ name: Schema.String, email: Schema.String })
})

const SendEmail = Tool.make("send_email", {
  description: "Sends an email",
  parameters: Schema.Struct({ to: Schema.String, subject: Schema.String, body: Schema.String }),
  success: Schema.String
})

export const Tools = Toolkit.make(LookupContact, SendEmail)

/** The mail server is a file in the run's directory: a side effect outside the stores, seen by both processes. */
const outbox = (directory: string) => join(directory, "outbox.log")

/** The handlers: a contact book, and a mailer that appends to the outbox. */
export const handlers = (directory: string) =>
  Tools.toLayer({
    lookup_contact: ({ name }) => Effect.succeed({ name, email: `${name.toLowerCase()}@example.com` }),
    send_email: ({ body, subject, to }) =>
      Effect.sync(() => {
        appendFileSync(outbox(directory), `${JSON.stringify({ to, subject, body })}\n`)
        return `sent to ${to}`
      })
  })

/** The emails in the outbox. */
export const sent = (directory: string): ReadonlyArray<{ readonly to: string; readonly subject: string }> =>
  existsSync(outbox(directory))
    ? readFileSync(outbox(directory), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    : []

export class Task extends Shared.Service<Task>()("examples/agent-approval/Task", {
  schema: Schema.Struct({ request: Schema.String, reply: Schema.String })
}) {}

/** The assistant: it may send email, but only with approval. */
export const assistant = Agent.make({
  name: "assistant",
  instructions: "You are an assistant that writes and sends emails for the user. Look up addresses with the tools.",
  prompt: Effect.map(Task.get, (t) => t.request),
  toolkit: Tools,
  approve: ["send_email"],
  post: ({ text }) => Task.update((t) => ({ ...t, reply: text }))
})

export const flow = Flow.make({ name: "mail", start: assistant })

/** The scripted model: look up Ada, then email her, then report what happened to the email. */
export const model = TestLanguageModel.layer(({ text }) => {
  if (!text.includes("tool result lookup_contact")) return TestLanguageModel.toolCall("lookup_contact", { name: "Ada" })
  if (text.includes("tool result failed send_email")) return "I did not send the email: the user rejected it."
  if (!text.includes("tool result send_email")) {
    return TestLanguageModel.toolCall("send_email", {
      to: "ada@example.com",
      subject: "Thursday",
      body: "Hi Ada, are we still on for Thursday?"
    })
  }
  return "I emailed Ada (ada@example.com) to confirm Thursday."
})

export const initial = Task.initial({ request: "Ask Ada whether we are still on for Thursday.", reply: "" })

const checkpoints = (directory: string) =>
  Checkpointer.layerFileSystem({ directory }).pipe(Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)))

/**
 * One process's share of the run: continue (or start) it with the model's events, print the tool calls made here and
 * how many times this process asked the model, and stop when it is done or waits for the human.
 */
export const step = (directory: string, id: string) =>
  Effect.gen(function*() {
    const before = yield* Durable.get(id)
    yield* Console.log(
      Option.isSome(before)
        ? `[pid ${process.pid}] continuing "${id}" from checkpoint v${before.value.version}`
        : `[pid ${process.pid}] starting "${id}"`
    )
    yield* Durable.events(flow, { id, stores: [initial], model: true }).pipe(
      Stream.runForEach((event) =>
        event._tag === "ToolCalled" || event._tag === "ToolResult" || event._tag === "Suspended" ||
          event._tag === "Resumed"
          ? Console.log(`[pid ${process.pid}]   ${FlowEvent.format(event)}`)
          : Effect.void
      )
    )
    const calls = yield* TestLanguageModel.calls
    yield* Console.log(`[pid ${process.pid}] model calls here: ${calls.length}`)
  }).pipe(Effect.provide(Layer.mergeAll(checkpoints(directory), model, handlers(directory))))

/** Runs `--step` in a child process (Node with the same loader flags as this one) and waits for it. */
const child = (directory: string, id: string) =>
  Effect.callback<number>((resume) => {
    const proc = spawn(process.execPath, [...process.execArgv, import.meta.filename, "--step", directory, id], {
      stdio: ["ignore", "inherit", "inherit"]
    })
    proc.on("exit", (code) => resume(Effect.succeed(code ?? 1)))
    return Effect.sync(() => proc.kill("SIGKILL"))
  })

/** Asks in the terminal when there is one; otherwise approves. */
const humanAnswer = (prompt: unknown) =>
  process.stdin.isTTY
    ? Effect.callback<Agent.Approval>((resume) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout })
      rl.question(`\nThe agent wants to call ${JSON.stringify(prompt)}\nAllow it? [y/N] `, (line) => {
        rl.close()
        const approve = /^y/i.test(line.trim())
        resume(Effect.succeed(approve ? { approve } : { approve, reason: "not now" }))
      })
    })
    : Effect.as(Console.log("(no terminal: approving)"), { approve: true })

/** Process 1 runs until the approval, the human answers, process 2 finishes the run. */
export const main = Effect.gen(function*() {
  const directory = mkdtempSync(join(tmpdir(), "pocketflow-agent-approval-"))
  const id = "mail-1"
  yield* Effect.ensuring(
    Effect.gen(function*() {
      for (let round = 1; round <= 3; round++) {
        const code = yield* child(directory, id)
        if (code !== 0) return yield* Effect.die(new Error(`the --step process exited with ${code}`))
        const snapshot = yield* Durable.get(id)
        if (Option.isNone(snapshot) || snapshot.value.status !== "suspended") break
        const waiting = snapshot.value.waiting[0]!
        yield* Console.log(`Waiting for "${waiting.input}" (${waiting.key})`)
        const value = yield* humanAnswer(waiting.prompt)
        yield* Durable.answer({ id, input: assistant.approvals.send_email, value })
      }
      const final = yield* Durable.state(id, Task)
      yield* Console.log(`Reply: ${final.reply}`)
      yield* Console.log(`Emails sent: ${sent(directory).length}`)
    }).pipe(Effect.provide(checkpoints(directory))),
    Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  )
})

if (process.argv.includes("--step")) {
  const [directory, id] = process.argv.slice(process.argv.indexOf("--step") + 1)
  Effect.runPromise(step(directory!, id!)).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
