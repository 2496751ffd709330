/**
 * effect-pocketflow/testing: what users need to test their flows offline, as the examples are tested.
 * It imports only `effect`; nothing here is reachable from the main entry.
 *
 * @since 0.1.0
 */

/**
 * A deterministic `EmbeddingModel` (hashed bags of words), for testing retrieval offline.
 *
 * @example
 * ```ts
 * import { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * const embeddings = TestEmbeddingModel.layer({ dimensions: 16 })
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as TestEmbeddingModel from "./testing/TestEmbeddingModel.ts"
/**
 * A scripted `LanguageModel` that records every call, for testing flows offline.
 *
 * @example
 * ```ts
 * import { TestLanguageModel } from "effect-pocketflow/testing"
 *
 * const model = TestLanguageModel.layer(["Paris"])
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as TestLanguageModel from "./testing/TestLanguageModel.ts"
/**
 * The conformance checks a checkpointer implementation must pass.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { CheckpointerSuite } from "effect-pocketflow/testing"
 *
 * const checks = CheckpointerSuite.checks((options) =>
 *   Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory(options))
 * )
 * ```
 * @category modules
 * @stability stable
 * @since 0.2.0
 */
export * as CheckpointerSuite from "./testing/CheckpointerSuite.ts"
