/**
 * Flows as MCP tools: `Mcp.tools([{ flow, stores }])` registers one tool per flow with an `effect/ai` `McpServer`
 * (stdio or HTTP), so any MCP client — an IDE, a desktop assistant, another agent through `McpClient` — can run it.
 * Each call is a durable run (`Durable.run` on the `Checkpointer` you provide): its parameters are the stores' initial
 * states and, optionally, the run id; its result is the outcome with the stores' final states, or the inputs a
 * suspended run waits for.
 *
 * The other direction — an agent using an MCP server's tools — needs nothing from this module: give `Agent.make` the
 * toolkit of an `McpClient` (`toolkit: Effect.flatMap(McpClient.McpClient, McpClient.toolkit)`).
 *
 * @since 0.4.0
 */
import * as McpServer from "effect/ai/McpServer"
import * as Tool from "effect/ai/Tool"
import * as Toolkit from "effect/ai/Toolkit"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import type { Checkpointer } from "./Checkpointer.ts"
import * as Durable from "./Durable.ts"
import { received } from "./internal/checks.ts"
import * as Node from "./Node.ts"
import type * as Shared from "./Shared.ts"

/**
 * A flow offered as a tool: the flow, the stores a run of it owns (store classes with a schema, as in
 * `Durable.resume`), and what the tool does, for the model (default: the flow's name). A registered flow
 * (`Durable.register(flow, { stores })`) has this shape.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Flow, type Mcp, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const offered: Mcp.Offered = { flow: Flow.make({ name: "count", start: inc }), stores: [Store] }
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export interface Offered {
  readonly flow: Node.Node<string, any, any>
  readonly stores: ReadonlyArray<Shared.AnySchemaService>
  readonly description?: string | undefined
}

/**
 * What a flow tool returns: the run's id and status; when done, its last action; the stores' states (their JSON
 * encodings, by store key); when suspended, the inputs it waits for, each with the token `Durable.answer` takes.
 *
 * @example
 * ```ts
 * import { Mcp } from "effect-pocketflow"
 *
 * const done = Mcp.Outcome.make({ id: "count-1", status: "done", action: "default", stores: { "app/Store": { n: 1 } }, waiting: [] })
 * ```
 * @category models
 * @stability experimental
 * @since 0.4.0
 */
export const Outcome = Schema.Struct({
  id: Schema.String,
  status: Schema.Literals(["done", "suspended", "interrupted"]),
  action: Schema.optional(Schema.String),
  stores: Schema.Record(Schema.String, Schema.Json),
  waiting: Schema.Array(Schema.Struct({
    key: Schema.String,
    input: Schema.String,
    prompt: Schema.Json,
    token: Schema.String
  }))
})

/** The services a run of an offered flow needs besides its own stores and `Durable.Run`. */
type ServicesOf<O> = O extends { readonly flow: Node.Node<string, any, infer R>; readonly stores: infer S }
  ? Exclude<R, Durable.Run | StoreOf<S>>
  : never
type StoreOf<S> = S extends ReadonlyArray<infer C> ?
  C extends Shared.SchemaServiceClass<infer Self, any, any> ? Self : never
  : never

const toolName = /^[a-zA-Z0-9_-]{1,64}$/

/** The tool for one offered flow, and its handler. */
const toolFor = ({ description, flow, stores }: Offered) => {
  if (!Node.isNode(flow)) throw new TypeError(`Mcp.tools: "flow" must be a flow or node; got ${received(flow)}`)
  if (!toolName.test(flow.name)) {
    throw new TypeError(
      `Mcp.tools: the flow ${JSON.stringify(flow.name)} cannot be an MCP tool name (letters, digits, "_" and "-", ` +
        `at most 64): rename the flow`
    )
  }
  const fields: Record<string, Schema.Codec<any, any, never, never>> = {}
  for (const store of stores) fields[store.key] = store.schema
  const tool = Tool.make(flow.name, {
    description: description ?? `Runs the flow ${JSON.stringify(flow.name)}`,
    parameters: Schema.Struct({
      /** The run's id: the same id continues (or returns) that run. Default: a new run. */
      id: Schema.optional(Schema.String),
      stores: Schema.Struct(fields)
    }),
    success: Outcome,
    failure: Schema.String,
    failureMode: "return"
  })
  const handler = (params: { readonly id?: string | undefined; readonly stores: Record<string, unknown> }) =>
    Effect.gen(function*() {
      const id = params.id ??
        `${flow.name}-${(yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)}${
          (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
        }`
      const outcome = yield* Durable.run(flow, {
        id,
        stores: stores.map((store) => store.initial(params.stores[store.key]))
      } as never) as Effect.Effect<Durable.Outcome<string>, unknown, unknown>
      const states: Record<string, Schema.Json> = {}
      for (const store of stores) {
        states[store.key] = Schema.encodeSync(store.schema)(yield* Durable.state(id, store)) as Schema.Json
      }
      return {
        id,
        status: outcome._tag === "Done" ? "done" as const : outcome._tag === "Suspended" ?
          "suspended" as const
          : "interrupted" as const,
        ...(outcome._tag === "Done" ? { action: outcome.action } : {}),
        stores: states,
        waiting: outcome._tag === "Suspended"
          ? outcome.waiting.map((w) => ({
            key: w.key,
            input: w.input,
            prompt: w.prompt as Schema.Json,
            token: w.token
          }))
          : []
      }
    }).pipe(Effect.mapError((error) => error instanceof Error ? error.message : String(error)))
  return { tool, handler }
}

/**
 * A layer that registers each offered flow as a tool of the `McpServer` it is given (pass it as `registrations` to
 * `McpServer.layerStdio` or `layerHttp`). A call runs the flow durably with the stores' initial states from its
 * parameters (`{ id?, stores: { [store key]: state } }`) and returns an {@link Outcome}; a failure returns the error's
 * message as the tool's error result. Tool names are the flows' names.
 *
 * @example
 * ```ts
 * import { Layer, Schema } from "effect"
 * import { McpServer, McpProtocol } from "effect/ai"
 * import { NodeStdio } from "@effect/platform-node"
 * import { Checkpointer, Flow, Mcp, Node, Shared } from "effect-pocketflow"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const count = Flow.make({ name: "count", start: inc })
 *
 * const Server = McpServer.layerStdio({
 *   name: "flows",
 *   version: "1.0.0",
 *   protocols: [McpProtocol.v2025_11_25],
 *   registrations: Mcp.tools([{ flow: count, stores: [Store] }])
 * }).pipe(Layer.provide([NodeStdio.layer, Checkpointer.layerMemory]))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.4.0
 */
export const tools = <const Flows extends ReadonlyArray<Offered>>(
  flows: Flows
): Layer.Layer<never, never, McpServer.McpServer | Checkpointer | ServicesOf<Flows[number]>> => {
  if (!Array.isArray(flows) || flows.length === 0) {
    throw new TypeError(`Mcp.tools: give a non-empty array of { flow, stores }; got ${received(flows)}`)
  }
  const made = flows.map(toolFor)
  const names = new Set<string>()
  for (const { tool } of made) {
    if (names.has(tool.name)) throw new TypeError(`Mcp.tools: two flows are named ${JSON.stringify(tool.name)}`)
    names.add(tool.name)
  }
  const toolkit = Toolkit.make(...made.map(({ tool }) => tool))
  const handlers: Record<string, (params: any) => Effect.Effect<unknown, string, unknown>> = {}
  for (const { handler, tool } of made) handlers[tool.name] = handler
  return McpServer.toolkit(toolkit).pipe(
    Layer.provide(toolkit.toLayer(handlers as never))
  ) as unknown as Layer.Layer<never, never, McpServer.McpServer | Checkpointer | ServicesOf<Flows[number]>>
}
