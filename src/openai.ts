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

/** @since 0.1.0 */
export * as OpenAi from "./openai/OpenAi.ts"
