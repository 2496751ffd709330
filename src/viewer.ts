/**
 * effect-pocketflow/viewer: a local web page to watch durable runs and answer their waiting inputs. It needs
 * `@effect/platform-node` (Effect's HTTP server on Node).
 *
 * @since 0.3.0
 */

/** @since 0.3.0 */
export * as Viewer from "./viewer/Viewer.ts"
