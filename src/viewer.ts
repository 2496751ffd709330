/**
 * effect-pocketflow/viewer: a local web page to watch durable runs and answer their waiting inputs. It needs
 * `@effect/platform-node` (Effect's HTTP server on Node).
 *
 * @since 0.3.0
 */

/**
 * The run viewer: a local web page over a checkpointer, with live event logs, answers and forks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * const program = Viewer.serve({ port: 4777 }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category modules
 * @stability experimental
 * @since 0.3.0
 */
export * as Viewer from "./viewer/Viewer.ts"
