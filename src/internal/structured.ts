/**
 * `Node.structured`: a node whose exec asks the model for an object of a schema (`LanguageModel.generateObject`). A
 * reply that does not decode goes back to the model with the decode error, up to `repair` times; then the node fails
 * with `StructuredOutputFailed` and the last reply. Other model failures are retried on the model schedule (retry-after
 * on 429, back-off on 5xx), like an agent's.
 */
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Prompt from "effect/ai/Prompt"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { StructuredOutputFailed } from "../Errors.ts"
import { checkEffect, checkName, received, subject } from "./checks.ts"
import { step } from "./make.ts"
import * as ModelRetry from "./model/retry.ts"
import type { AnyNode } from "./node.ts"

/** A reply that did not decode: the model's text and the decode error. */
interface Bad {
  readonly text: string
  readonly error: string
}

const isStructuredOutputError = (
  e: unknown
): e is AiError.AiError & { readonly reason: AiError.StructuredOutputError } =>
  AiError.isAiError(e) && e.reason._tag === "StructuredOutputError"

const repairRequest = (bad: Bad) =>
  `That reply does not match the required schema: ${bad.error}\nReply again with only the corrected JSON object.`

export const make = (options: {
  readonly name: string
  readonly schema: Schema.Codec<any, any, any, any>
  readonly prompt: Effect.Effect<Prompt.RawInput, unknown, unknown>
  readonly repair?: number | undefined
  readonly post?: ((value: unknown) => Effect.Effect<string | void, unknown, unknown>) | undefined
}): AnyNode => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Node.structured needs an options object; got ${received(options)}`)
  }
  const { name, post, schema } = options
  checkName("node", name)
  if (!Schema.isSchema(schema)) {
    throw new TypeError(`${subject("node", name)}: option "schema" must be an effect/Schema; got ${received(schema)}`)
  }
  checkEffect("node", name, "prompt", options.prompt, true)
  const repair = options.repair ?? 1
  if (typeof repair !== "number" || !Number.isInteger(repair) || repair < 0) {
    throw new RangeError(
      `${subject("node", name)}: option "repair" must be a non-negative integer; got ${received(repair)}`
    )
  }
  // One ask: the decoded object, or the reply that did not decode. Other failures are retried on the model schedule.
  const once = (prompt: Prompt.Prompt) =>
    Effect.retry(
      Effect.catchIf(
        Effect.map(
          LanguageModel.generateObject({ prompt, schema: schema as Schema.Codec<unknown, Record<string, unknown>> }),
          (response) => ({ ok: true as const, value: response.value })
        ),
        isStructuredOutputError,
        (e) => Effect.succeed({ ok: false as const, bad: { text: e.reason.responseText, error: e.reason.description } })
      ),
      ModelRetry.schedule as never
    )
  const exec = (input: unknown): Effect.Effect<unknown, unknown, unknown> => {
    const attempt = (prompt: Prompt.Prompt, left: number): Effect.Effect<unknown, unknown, unknown> =>
      Effect.flatMap(once(prompt), (result) => {
        if (result.ok) return Effect.succeed(result.value)
        if (left === 0) return Effect.fail(new StructuredOutputFailed({ node: name, ...result.bad }))
        return attempt(
          Prompt.concat(prompt, [
            { role: "assistant", content: result.bad.text },
            { role: "user", content: repairRequest(result.bad) }
          ]),
          left - 1
        )
      })
    return Effect.suspend(() => attempt(Prompt.make(input as Prompt.RawInput), repair))
  }
  return step({
    name,
    prep: options.prompt,
    exec,
    ...(post === undefined ? {} : { post: (_: unknown, value: unknown) => post(value) })
  })
}
