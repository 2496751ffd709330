/**
 * effect-pocketflow/testing: what users need to test their flows offline, as the examples are tested.
 * It imports only `effect`; nothing here is reachable from the main entry.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as TestEmbeddingModel from "./testing/TestEmbeddingModel.ts"
/** @since 0.1.0 */
export * as TestLanguageModel from "./testing/TestLanguageModel.ts"
/** @since 0.2.0 */
export * as CheckpointerSuite from "./testing/CheckpointerSuite.ts"
