/**
 * `structured-output`: turn a free-text resume into a typed record. The model is asked for JSON; its
 * reply is decoded with `effect/Schema`, and a reply that does not decode is a typed `InvalidOutput`
 * failure, so the node's retry policy asks again. After the last failed attempt the fallback records
 * the problem instead of failing the flow.
 *
 * Run it with `npm run example -- structured-output`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { ask } from "./model.ts"

/** The record the model must produce. */
export const Candidate = Schema.Struct({
  name: Schema.NonEmptyString,
  email: Schema.String.check(Schema.isPattern(/^[^@\s]+@[^@\s]+$/)),
  experience: Schema.Array(Schema.Struct({ role: Schema.String, company: Schema.String, years: Schema.Number })),
  skills: Schema.Array(Schema.String)
})

/** A decoded candidate. */
export type Candidate = typeof Candidate.Type

/** The model's reply was not the JSON the schema describes. */
export class InvalidOutput extends Data.TaggedError("InvalidOutput")<{
  readonly attempt: number
  readonly reason: string
}> {
  override get message(): string {
    return `attempt ${this.attempt}: ${this.reason}`
  }
}

/** What the extraction produced: the candidate, or why there is none, and how many attempts it took. */
export interface Extraction {
  readonly candidate: Candidate | undefined
  readonly attempts: number
  readonly problem: string | undefined
}

/** The shared state: the resume text in, the extraction out. */
export interface ResumeState {
  readonly resume: string
  readonly extraction: Extraction | undefined
}

/** The shared store of the structured-output example. */
export class ResumeStore extends Shared.Service<ResumeStore, ResumeState>()("examples/structured-output/Store") {}

/** The example's input. */
export const resume = `Ada Lovelace — ada@analytical.engine
Analyst at Babbage & Co. for five years, then three years as lead programmer at the Analytical Engine Society.
Skills: mathematics, algorithm design, technical writing.`

/** At most this many model calls per extraction. */
export const maxAttempts = 3

// Models often wrap JSON in a Markdown fence even when told not to; strip it rather than retry for it.
const unfence = (text: string) => text.trim().replace(/^```(?:json)?\s*/, "").replace(/\s*```$/, "")

const decodeCandidate = Schema.decodeUnknownEffect(Schema.fromJsonString(Candidate))

/**
 * Asks for JSON and decodes it. `exec` is what gets retried, so the attempt number comes from
 * `Node.CurrentAttempt` and travels in the result rather than being written to the store.
 */
export const extract = Node.make({
  name: "extract",
  prep: ResumeStore.get.pipe(Effect.map((s) => s.resume)),
  exec: (text) =>
    Effect.gen(function*() {
      const attempt = yield* Node.CurrentAttempt
      const reply = yield* ask(
        "Extract the candidate from the resume as JSON with the fields " +
          "name, email, experience (a list of {role, company, years: number}) and skills (a list of strings). " +
          `Reply with JSON only.\n\n${text}`
      )
      const candidate = yield* decodeCandidate(unfence(reply)).pipe(
        Effect.mapError((error) => new InvalidOutput({ attempt, reason: error.message })),
        Effect.tapError((error) => Effect.logWarning(`extract: rejected model output (${error.message})`))
      )
      const extraction: Extraction = { candidate, attempts: attempt, problem: undefined }
      return extraction
    }),
  retry: { times: maxAttempts - 1, schedule: Schedule.spaced("500 millis") },
  fallback: (_text, error) =>
    Effect.succeed<Extraction>({ candidate: undefined, attempts: maxAttempts, problem: error.message }),
  post: (_text, extraction) =>
    Effect.gen(function*() {
      yield* ResumeStore.update((s) => ({ ...s, extraction }))
      return extraction.candidate === undefined ? "failed" : "parsed"
    })
})

/** A flow of one node, ending with `"parsed"` or `"failed"`. */
export const flow = Flow.make({ name: "structured-output", start: extract })

const goodReply = "```json\n" + JSON.stringify(
  {
    name: "Ada Lovelace",
    email: "ada@analytical.engine",
    experience: [
      { role: "Analyst", company: "Babbage & Co.", years: 5 },
      { role: "Lead programmer", company: "Analytical Engine Society", years: 3 }
    ],
    skills: ["mathematics", "algorithm design", "technical writing"]
  },
  null,
  2
) + "\n```"

/** A first reply that a real model might give: plausible JSON, but `years` spelled out as words. */
export const badReply = JSON.stringify({
  name: "Ada Lovelace",
  email: "ada@analytical.engine",
  experience: [{ role: "Analyst", company: "Babbage & Co.", years: "five" }],
  skills: ["mathematics"]
})

/** The offline model answers badly once, then correctly, so the run shows one retry. */
export const model = TestLanguageModel.layer([badReply, goodReply])

/** The offline model and a fresh store holding the resume. */
export const layer = Layer.mergeAll(model, ResumeStore.layer({ resume, extraction: undefined }))

/** Runs the flow and returns the final store; the caller provides `layer` or its own. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* ResumeStore.get
})

/** Runs the example offline and prints the attempts and the decoded candidate. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  const extraction = state.extraction
  yield* Console.log(`Attempts: ${extraction?.attempts ?? 0}`)
  if (extraction?.candidate === undefined) {
    yield* Console.log(`No candidate: ${extraction?.problem ?? "not run"}`)
    return
  }
  const c = extraction.candidate
  yield* Console.log(`Candidate: ${c.name} <${c.email}>`)
  for (const job of c.experience) yield* Console.log(`  ${job.role} at ${job.company}, ${job.years} years`)
  yield* Console.log(`Skills: ${c.skills.join(", ")}`)
})
