/**
 * An offline, deterministic language model for the examples and their tests.
 *
 * Nodes never talk to a provider directly: they call `effect/ai`'s `LanguageModel` service, so which
 * model answers is decided by the Layer the caller provides. The examples provide `scripted(rules)`,
 * which picks each reply from the prompt text with keyword rules, so runs are reproducible and need
 * no network or API key.
 *
 * A real provider is one Layer swap. With the Effect 4 line of `@effect/ai-openai` (4.0.0-beta.x at
 * the time of writing; pick the release whose `effect` peer matches the installed `effect`):
 *
 * ```ts
 * import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
 * import { Config, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 *
 * const OpenAi = OpenAiLanguageModel.layer({ model: "gpt-4o-mini" }).pipe(
 *   Layer.provide(OpenAiClient.layerConfig({ apiKey: Config.redacted("OPENAI_API_KEY") })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * // then, in an example's `layer`, use `OpenAi` where it merges `model`
 * ```
 *
 * The rules below would then be unused; the prompts the nodes send are already written for a real
 * model (instructions plus an output format), only the replies are canned.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as Prompt from "effect/ai/Prompt"

/**
 * One scripted behaviour: when the prompt matches `when` (a pattern or a predicate), answer with `reply`.
 *
 * A list of replies is played in order for the calls that match this rule (the last one repeats), which
 * is how a test makes the model fail first and succeed later. A function computes the reply from the
 * prompt, for answers that must reflect their input (a summary of the given document).
 */
export interface Rule {
  readonly when: RegExp | ((prompt: string) => boolean)
  readonly reply: string | ReadonlyArray<string> | ((prompt: string) => string)
}

/** One call to the scripted model, as the transcript records it. */
export interface Exchange {
  readonly prompt: string
  readonly reply: string
}

/** What the transcript holds: every exchange in order, and the largest number of calls in flight at once. */
export interface TranscriptState {
  readonly exchanges: ReadonlyArray<Exchange>
  readonly inFlight: number
  readonly maxInFlight: number
}

/**
 * The scripted model's record of its calls. Tests read it to check how often the model was asked (e.g.
 * a retried decode) and how many calls overlapped (a batch's concurrency limit).
 */
export class ModelTranscript extends Context.Service<ModelTranscript, { readonly ref: Ref.Ref<TranscriptState> }>()(
  "examples/ModelTranscript"
) {}

/** The transcript so far. */
export const transcript: Effect.Effect<TranscriptState, never, ModelTranscript> = Effect.flatMap(
  ModelTranscript,
  (t) => Ref.get(t.ref)
)

/** Options of the scripted model. */
export interface ScriptOptions {
  /** Simulated time per call. Under `TestClock` it costs nothing; it lets concurrent calls overlap. */
  readonly latency?: Duration.Input | undefined
}

/**
 * Flattens a prompt to plain text (system text, then each message's text parts), which is what the
 * rules match against.
 */
export const promptText = (prompt: Prompt.Prompt): string =>
  prompt.content
    .map((message) =>
      typeof message.content === "string"
        ? message.content
        : message.content.map((part) => (part.type === "text" ? part.text : "")).join("")
    )
    .join("\n")

const noRule = (prompt: string) =>
  AiError.make({
    module: "ScriptedModel",
    method: "generateText",
    reason: new AiError.UnknownError({
      description: `no scripted rule matches the prompt: ${JSON.stringify(prompt.slice(0, 120))}`
    })
  })

/**
 * A `LanguageModel` layer that answers by rules (the first rule whose `when` matches wins), together
 * with its `ModelTranscript`. Every build of the layer starts a fresh script and transcript.
 *
 * @example
 * ```ts
 * const model = scripted([{ when: /capital of France/i, reply: "Paris" }])
 * LanguageModel.generateText({ prompt: "What is the capital of France?" }).pipe(Effect.provide(model))
 * ```
 */
export const scripted = (
  rules: ReadonlyArray<Rule>,
  options: ScriptOptions = {}
): Layer.Layer<LanguageModel.LanguageModel | ModelTranscript> => {
  const latency = options.latency === undefined ? undefined : Duration.fromInputUnsafe(options.latency)
  const model = Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function*() {
      const { ref } = yield* ModelTranscript
      // How often each rule has answered, so reply lists play in order.
      const uses = yield* Ref.make(new Map<Rule, number>())
      const answer = (prompt: string): Effect.Effect<string, AiError.AiError> =>
        Effect.gen(function*() {
          const rule = rules.find((r) => (typeof r.when === "function" ? r.when(prompt) : r.when.test(prompt)))
          if (rule === undefined) return yield* Effect.fail(noRule(prompt))
          const { reply } = rule
          if (typeof reply === "string") return reply
          if (typeof reply === "function") return reply(prompt)
          const n = yield* Ref.modify(uses, (m) => {
            const used = m.get(rule) ?? 0
            return [used, new Map(m).set(rule, used + 1)] as const
          })
          return reply[Math.min(n, reply.length - 1)] ?? ""
        })
      const call = (prompt: string) =>
        Effect.gen(function*() {
          yield* Ref.update(ref, (s) => ({
            ...s,
            inFlight: s.inFlight + 1,
            maxInFlight: Math.max(s.maxInFlight, s.inFlight + 1)
          }))
          if (latency !== undefined) yield* Effect.sleep(latency)
          const reply = yield* answer(prompt)
          yield* Ref.update(ref, (s) => ({ ...s, exchanges: [...s.exchanges, { prompt, reply }] }))
          return reply
        }).pipe(Effect.ensuring(Ref.update(ref, (s) => ({ ...s, inFlight: s.inFlight - 1 }))))
      return yield* LanguageModel.make({
        generateText: (request) =>
          Effect.map(call(promptText(request.prompt)), (text) => [{ type: "text" as const, text }]),
        streamText: (request) =>
          Stream.unwrap(
            Effect.map(call(promptText(request.prompt)), (text) =>
              Stream.fromIterable([
                { type: "text-start" as const, id: "0" },
                { type: "text-delta" as const, id: "0", delta: text },
                { type: "text-end" as const, id: "0" }
              ]))
          )
      })
    })
  )
  const transcriptLayer = Layer.effect(
    ModelTranscript,
    Effect.map(Ref.make<TranscriptState>({ exchanges: [], inFlight: 0, maxInFlight: 0 }), (ref) => ({ ref }))
  )
  return Layer.provideMerge(model, transcriptLayer)
}

/**
 * Asks the model in the environment for text. The one call every example node makes, so swapping the
 * model layer swaps every example's model.
 */
export const ask = (prompt: string): Effect.Effect<string, AiError.AiError, LanguageModel.LanguageModel> =>
  Effect.map(LanguageModel.generateText({ prompt }), (response) => response.text)
