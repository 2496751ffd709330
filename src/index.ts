/**
 * effect-pocketflow: PocketFlow's nodes, flows, batches and retries as typed Effect programs.
 *
 * @since 0.1.0
 */

/** @since 0.2.0 */
export * as Checkpointer from "./Checkpointer.ts"
/** @since 0.2.0 */
export * as Durable from "./Durable.ts"
/** @since 0.1.0 */
export * as Errors from "./Errors.ts"
/** @since 0.1.0 */
export * as Flow from "./Flow.ts"
/** @since 0.1.0 */
export * as FlowEvent from "./FlowEvent.ts"
/** @since 0.1.0 */
export * as Node from "./Node.ts"
/** @since 0.1.0 */
export * as Shared from "./Shared.ts"
/** @since 0.1.0 */
export { FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded, NodeTimeout } from "./Errors.ts"
