/**
 * `effect-pocketflow/openai`: a `LanguageModel` layer for OpenAI and every server that speaks its chat
 * completions protocol (Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter).
 *
 * @example
 * ```ts
 * import { OpenAi } from "effect-pocketflow/openai"
 * import { Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 *
 * const Model = OpenAi.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 */

/**
 * A `LanguageModel` for the OpenAI chat completions protocol (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, …).
 *
 * @example
 * ```ts
 * import { OpenAi } from "effect-pocketflow/openai"
 *
 * const Model = OpenAi.layer({ model: "llama3.2", baseUrl: "http://localhost:11434/v1" })
 * ```
 * @category modules
 * @stability experimental
 * @since 0.1.0
 */
export * as OpenAi from "./openai/OpenAi.ts"
