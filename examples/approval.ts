/**
 * `approval`: a durable run that stops to ask a human, and continues in another process.
 *
 * An essay flow (outline → draft → review → publish) runs with `Durable.run` on the SQLite checkpointer (one file
 * that both processes open). The review step asks for approval with `Approval.ask(draft)`: the run saves its
 * checkpoint and the process ends. The answer is written to the run's inbox (`Durable.answer`), and a new process
 * continues the run from its checkpoint: the outline and the draft are not written again.
 *
 * Run it with `npm run example -- approval` (in a terminal it asks you; otherwise it approves with a scripted answer).
 * Each half runs in its own process: `tsx examples/approval.ts --step <directory> <run id>`.
 */
import { Checkpointer, Durable, Flow, FlowEvent, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { ask } from "./model.ts"

/** The essay's state, saved with every checkpoint: a Schema makes the store durable. */
const Essay = Schema.Struct({
  topic: Schema.String,
  outline: Schema.String,
  draft: Schema.String,
  note: Schema.String,
  published: Schema.Boolean
})
export class EssayStore extends Shared.Service<EssayStore>()("examples/approval/Essay", { schema: Essay }) {}

/** What the reviewer answers: approve or not, and a note. The prompt is the draft. */
export const Approval = Durable.input("approval", {
  answer: Schema.Struct({ ok: Schema.Boolean, note: Schema.String }),
  prompt: Schema.String
})

const outline = Node.make({
  name: "outline",
  prep: EssayStore.get,
  exec: (s) => ask(`Outline a three-point essay about ${s.topic}.`),
  post: (_, text) => EssayStore.update((s) => ({ ...s, outline: text }))
})

const draft = Node.make({
  name: "draft",
  prep: EssayStore.get,
  exec: (s) =>
    ask(`Write a short essay from this outline:\n${s.outline}${s.note ? `\nReviewer's note: ${s.note}` : ""}`),
  post: (_, text) => EssayStore.update((s) => ({ ...s, draft: text }))
})

/** Asks the human. Until the inbox has an answer for this draft, the run suspends here. */
const review = Node.make({
  name: "review",
  prep: EssayStore.get,
  exec: (s) => Approval.ask(s.draft),
  post: (_, answer) =>
    EssayStore.update((s) => ({ ...s, note: answer.note })).pipe(
      Effect.as(answer.ok ? "publish" as const : "rewrite" as const)
    )
})

const publish = Node.make({
  name: "publish",
  post: () => EssayStore.update((s) => ({ ...s, published: true }))
})

export const flow = Flow.make({ name: "essay", start: outline, maxSteps: 20 }).pipe(
  Flow.next(outline, draft),
  Flow.next(draft, review),
  Flow.on(review, "publish", publish),
  Flow.on(review, "rewrite", draft)
)

export const model = TestLanguageModel.layer(({ text }) => {
  if (text.startsWith("Outline")) return "1. Typed errors. 2. Retries as schedules. 3. Runs that survive a crash."
  if (text.startsWith("Write")) {
    return text.includes("note")
      ? "Effect makes failures visible in types, retries declarative, and — now — runs that survive a crash."
      : "Effect makes failures visible in types and retries declarative; durable runs survive a crash."
  }
  return undefined
})

export const initial = EssayStore.initial({ topic: "Effect", outline: "", draft: "", note: "", published: false })

/** The checkpoints: one SQLite file in `directory`, which every process of the example opens. */
const checkpoints = (directory: string) => Checkpointer.layerSqlite({ filename: join(directory, "runs.db") })

/**
 * One process's share of the run: continue (or start) it, print the nodes this process ran and what it skipped,
 * and stop when it is done or waits for the human.
 */
export const step = (directory: string, id: string) =>
  Effect.gen(function*() {
    const before = yield* Durable.get(id)
    if (Option.isSome(before)) {
      const visits = (before.value.position as { visits?: Record<string, number> } | null)?.visits ?? {}
      const done = Object.keys(visits)
      yield* Console.log(
        `[pid ${process.pid}] continuing "${id}" from checkpoint v${before.value.version}: ` +
          `not running again ${done.length === 0 ? "nothing" : done.join(", ")}`
      )
    } else {
      yield* Console.log(`[pid ${process.pid}] starting "${id}"`)
    }
    const ran: Array<string> = []
    yield* Durable.events(flow, { id, stores: [initial] }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event._tag === "NodeFinished") ran.push(event.node)
        }).pipe(
          Effect.andThen(
            event._tag === "Suspended" || event._tag === "Resumed" || event._tag === "NodeFinished"
              ? Console.log(`[pid ${process.pid}]   ${FlowEvent.format(event)}`)
              : Effect.void
          )
        )
      )
    )
    yield* Console.log(`[pid ${process.pid}] ran here: ${ran.join(", ") || "nothing"}`)
  }).pipe(Effect.provide(Layer.mergeAll(checkpoints(directory), model)))

/** Runs `--step` in a child process (Node with the same loader flags as this one) and waits for it. */
const child = (directory: string, id: string) =>
  Effect.callback<number>((resume) => {
    const proc = spawn(process.execPath, [...process.execArgv, import.meta.filename, "--step", directory, id], {
      stdio: ["ignore", "inherit", "inherit"]
    })
    proc.on("exit", (code) => resume(Effect.succeed(code ?? 1)))
    return Effect.sync(() => proc.kill("SIGKILL"))
  })

/** Asks in the terminal when there is one; otherwise answers with `scripted`. */
const humanAnswer = (prompt: unknown, scripted: { readonly ok: boolean; readonly note: string }) =>
  process.stdin.isTTY
    ? Effect.callback<{ readonly ok: boolean; readonly note: string }>((resume) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout })
      rl.question(`\nDraft:\n  ${String(prompt)}\nPublish it? [y/N] `, (line) => {
        rl.close()
        resume(Effect.succeed({ ok: /^y/i.test(line.trim()), note: /^y/i.test(line.trim()) ? "" : "make it punchier" }))
      })
    })
    : Effect.as(Console.log(`(no terminal: answering ${JSON.stringify(scripted)})`), scripted)

/**
 * The whole story: process 1 runs until the review, the human answers, process 2 continues; if the answer was "no",
 * the draft is rewritten and the run asks again, up to three rounds.
 */
export const main = Effect.gen(function*() {
  const directory = mkdtempSync(join(tmpdir(), "pocketflow-approval-"))
  const id = "essay-42"
  yield* Effect.ensuring(
    Effect.gen(function*() {
      for (let round = 1; round <= 3; round++) {
        const code = yield* child(directory, id)
        if (code !== 0) return yield* Effect.die(new Error(`the --step process exited with ${code}`))
        const snapshot = yield* Durable.get(id)
        if (Option.isNone(snapshot) || snapshot.value.status !== "suspended") break
        const waiting = snapshot.value.waiting[0]!
        yield* Console.log(`Waiting for "${waiting.input}" (${waiting.key})`)
        const value = yield* humanAnswer(waiting.prompt, { ok: true, note: "" })
        yield* Durable.answer({ id, input: Approval, value })
      }
      const final = yield* Durable.state(id, EssayStore)
      yield* Console.log(`Published: ${final.published}\n  ${final.draft}`)
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
