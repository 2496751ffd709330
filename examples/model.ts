/**
 * How the examples reach a language model.
 *
 * Nodes never talk to a provider directly: they call `effect/ai`'s `LanguageModel` service, so which
 * model answers is decided by the Layer the caller provides. Each example provides
 * `TestLanguageModel.layer(...)` from `effect-pocketflow/testing`, a scripted model whose replies are
 * picked from the prompt, so runs are reproducible and need no network or API key; the tests in
 * test/examples/ use the same layers, as a user's own tests would.
 *
 * A real provider is one Layer swap: `effect-pocketflow/openai` speaks the OpenAI chat completions protocol
 * (OpenAI, Ollama, vLLM, …); `npm run example -- <name> --model openai` runs an example on it. See the
 * README's "Using a real model".
 *
 * The prompts the nodes send are already written for a real model (instructions plus an output format);
 * only the scripted replies are canned.
 */
import type * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as Effect from "effect/Effect"

/**
 * Asks the model in the environment for text. The one call every example node makes, so swapping the
 * model layer swaps every example's model.
 */
export const ask = (prompt: string): Effect.Effect<string, AiError.AiError, LanguageModel.LanguageModel> =>
  Effect.map(LanguageModel.generateText({ prompt }), (response) => response.text)
