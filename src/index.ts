/**
 * effect-pocketflow: PocketFlow's nodes, flows, batches and retries as typed Effect programs.
 *
 * @since 0.1.0
 */

/**
 * Agents: a tool-calling model as one node, durable call by call, with human approval of chosen tools.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-pocketflow"
 *
 * const answer = Agent.Approval.make({ approve: true })
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as Agent from "./Agent.ts"
/**
 * Where durable runs keep their checkpoints: the service contract and the memory, file-system and SQL layers.
 *
 * @example
 * ```ts
 * import { Checkpointer } from "effect-pocketflow"
 *
 * const checkpoints = Checkpointer.layerMemory
 * ```
 * @category modules
 * @stability stable
 * @since 0.2.0
 */
export * as Checkpointer from "./Checkpointer.ts"
/**
 * Durable runs: run, resume, human input, answers, time travel and run management over a checkpointer.
 *
 * @example
 * ```ts
 * import { Durable } from "effect-pocketflow"
 *
 * const cleanup = Durable.prune({ olderThan: "30 days" })
 * ```
 * @category modules
 * @stability stable
 * @since 0.2.0
 */
export * as Durable from "./Durable.ts"
/**
 * The tagged errors of effect-pocketflow.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-pocketflow"
 *
 * const error = new Errors.RunNotFound({ id: "essay-1" })
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as Errors from "./Errors.ts"
/**
 * Flows: nodes wired by actions, batch flows, parallel blocks, events and diagrams.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Flow, Node } from "effect-pocketflow"
 *
 * const hello = Node.make({ name: "hello", exec: () => Effect.log("hello") })
 * const flow = Flow.make({ name: "hi", start: hello })
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as Flow from "./Flow.ts"
/**
 * The events of a flow run, as `Flow.events` and `Durable.events` stream them.
 *
 * @example
 * ```ts
 * import { FlowEvent } from "effect-pocketflow"
 *
 * const line = (event: FlowEvent.FlowEvent) => FlowEvent.format(event)
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as FlowEvent from "./FlowEvent.ts"
/**
 * Rate and concurrency limits on exec attempts, shared by every branch, batch item and run under one layer.
 *
 * @example
 * ```ts
 * import { Limits } from "effect-pocketflow"
 *
 * const limits = Limits.layer({ openai: { concurrency: 8, rate: { limit: 500, window: "1 minute" } } })
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as Limits from "./Limits.ts"
/**
 * Flows as MCP tools: each call of the tool is a durable run of the flow.
 *
 * @example
 * ```ts
 * import { Mcp } from "effect-pocketflow"
 *
 * const shape = Mcp.Outcome
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as Mcp from "./Mcp.ts"
/**
 * Nodes: prep, exec (with retry, timeout and fallback) and post; batch nodes; typed actions.
 *
 * @example
 * ```ts
 * import { Node } from "effect-pocketflow"
 *
 * const route = Node.make({ name: "route", post: () => Node.action("next") })
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as Node from "./Node.ts"
/**
 * Shared stores: the state a flow reads and writes, as services provided by a layer.
 *
 * @example
 * ```ts
 * import { Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store, { count: number }>()("app/Store") {}
 * ```
 * @category modules
 * @stability stable
 * @since 0.1.0
 */
export * as Shared from "./Shared.ts"
/**
 * An `effect/sql` `SqlClient` over Node's built-in `node:sqlite`: what `Checkpointer.layerSqlite` runs on, and a
 * SQLite file for anything written against `SqlClient` (e.g. effect's `Persistence.layerSql`).
 *
 * @example
 * ```ts
 * import { SqliteClient } from "effect-pocketflow"
 *
 * const sql = SqliteClient.layer({ filename: "app.db" })
 * ```
 * @category modules
 * @stability experimental
 * @since 0.4.0
 */
export * as SqliteClient from "./SqliteClient.ts"
/**
 * The errors of flows and nodes, also exported at the root (see `Errors`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MaxStepsExceeded } from "effect-pocketflow"
 *
 * const handled = Effect.fail(new MaxStepsExceeded({ flow: "agent", maxSteps: 10, node: "decide" })).pipe(
 *   Effect.catchTag("MaxStepsExceeded", (e) => Effect.succeed(e.flow))
 * )
 * ```
 * @category errors
 * @stability stable
 * @since 0.1.0
 */
export { FlowDefinitionError, InvalidBatchItems, MaxStepsExceeded, NodeTimeout } from "./Errors.ts"
