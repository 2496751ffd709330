/**
 * `viewer`: an approval flow you answer in the browser.
 *
 * A release-notes flow (draft → review → publish, or back to draft) runs durably on the SQLite checkpointer
 * under the run viewer (`Viewer.layer` + `Viewer.run`). The review step asks a human; the program prints the
 * viewer's URL and waits. Open it, see the run waiting at `review` with the draft as the prompt, fill the form and
 * submit: the viewer writes the answer to the run's inbox and continues the run in this program.
 *
 * Run it with `npm run example -- viewer`. In a terminal it waits for you (Ctrl-C stops it); without one it answers
 * through the viewer's HTTP API itself, as the page would, and ends.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { Viewer } from "effect-pocketflow/viewer"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ask } from "./model.ts"

/** The release's state, saved with every checkpoint. */
const Release = Schema.Struct({
  version: Schema.String,
  changes: Schema.Array(Schema.String),
  notes: Schema.String,
  feedback: Schema.String,
  published: Schema.Boolean
})
export class ReleaseStore extends Shared.Service<ReleaseStore>()("examples/viewer/Release", { schema: Release }) {}

/** What the reviewer answers. The page builds its form from this schema's JSON Schema (a checkbox, a text field). */
export const Review = Durable.input("review", {
  answer: Schema.Struct({
    approve: Schema.Boolean,
    feedback: Schema.String.check(Schema.isMaxLength(80))
  }),
  prompt: Schema.String
})

const draft = Node.make({
  name: "draft",
  prep: ReleaseStore.get,
  exec: (s) => {
    const feedback = s.feedback ? `. Feedback: ${s.feedback}` : ""
    return ask(`Write release notes for ${s.version}: ${s.changes.join("; ")}${feedback}`)
  },
  post: (_, notes) => ReleaseStore.update((s) => ({ ...s, notes }))
})

const review = Node.make({
  name: "review",
  prep: ReleaseStore.get,
  exec: (s) => Review.ask(s.notes),
  post: (_, answer) =>
    ReleaseStore.update((s) => ({ ...s, feedback: answer.feedback })).pipe(
      Effect.as(answer.approve ? "publish" as const : "revise" as const)
    )
})

const publish = Node.make({
  name: "publish",
  post: () => ReleaseStore.update((s) => ({ ...s, published: true }))
})

export const flow = Flow.make({ name: "release", start: draft, maxSteps: 20 }).pipe(
  Flow.next(draft, review),
  Flow.on(review, "publish", publish),
  Flow.on(review, "revise", draft)
)

export const model = TestLanguageModel.layer(({ text }) =>
  text.includes("Feedback")
    ? "v2.1: runs survive crashes, and a web page shows them. (Revised.)"
    : "v2.1: durable runs survive crashes; the run viewer shows and answers them."
)

export const initial = ReleaseStore.initial({
  version: "2.1.0",
  changes: ["durable runs", "run viewer"],
  notes: "",
  feedback: "",
  published: false
})

/** The checkpointer (a SQLite file in `directory`), with the viewer over it. */
export const layer = (directory: string, options?: Viewer.Options) =>
  Viewer.layer(options).pipe(
    Layer.provideMerge(Checkpointer.layerSqlite({ filename: join(directory, "runs.db") })),
    Layer.provideMerge(NodeServices.layer),
    Layer.provideMerge(model)
  )

/** Polls the run until it is no longer waiting or running. */
export const awaitEnd = (id: string) =>
  Effect.gen(function*() {
    while (true) {
      const snapshot = yield* Durable.get(id)
      if (Option.isSome(snapshot) && snapshot.value.status !== "suspended" && snapshot.value.status !== "running") {
        return snapshot.value
      }
      yield* Effect.sleep("100 millis")
    }
  })

/** Without a terminal: answer as the page does (the token goes in a header instead of the cookie). */
const answerOverHttp = (viewer: Viewer.Viewer["Service"], token: string) =>
  Effect.promise(() =>
    fetch(`http://127.0.0.1:${viewer.port}/answers`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
      body: JSON.stringify({ token, value: { approve: true, feedback: "Ship it." } })
    }).then((response) => response.json())
  )

export const main = Effect.gen(function*() {
  const directory = mkdtempSync(join(tmpdir(), "pocketflow-viewer-"))
  yield* Effect.ensuring(
    Effect.gen(function*() {
      const viewer = yield* Viewer.Viewer
      const outcome = yield* Viewer.run(flow, { id: "release-2.1", stores: [initial] })
      if (outcome._tag !== "Suspended") return yield* Console.log(`The run ended at once: ${outcome._tag}`)
      yield* Console.log(`The run waits for "${outcome.waiting[0]!.input}" at ${outcome.waiting[0]!.path}.`)
      if (process.stdin.isTTY) {
        yield* Console.log(`Open ${viewer.url} to answer it (Ctrl-C stops).`)
      } else {
        const reply = yield* answerOverHttp(viewer, outcome.waiting[0]!.token)
        yield* Console.log(`(no terminal: answered through the viewer's API: ${JSON.stringify(reply)})`)
      }
      const end = yield* awaitEnd("release-2.1")
      const state = yield* Durable.state("release-2.1", ReleaseStore)
      yield* Console.log(`The run is ${end.status} after ${end.steps} steps. Published: ${state.published}`)
      yield* Console.log(`  ${state.notes}`)
    }).pipe(Effect.provide(layer(directory))),
    Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  )
})
