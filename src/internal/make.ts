/**
 * The node constructors behind `Node.make`, `Node.batch`, `Flow.batch` and `Flow.parallel`: check the options,
 * build the `NodeDef`, and derive the node's plain program from it. (Flows are made in `flow.ts`.)
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { FlowDefinitionError } from "../Errors.ts"
import {
  checkCache,
  checkConcurrency,
  checkEffect,
  checkFunction,
  checkLimit,
  checkName,
  checkNode,
  checkRetry,
  checkTimeout,
  received,
  subject
} from "./checks.ts"
import { type AnyNode, type Kind, makeNode } from "./node.ts"
import { type Policy, type RetryOptions, withPolicy } from "./policy.ts"
import * as plain from "./walk/plain.ts"

const quote = (s: string) => JSON.stringify(s)

type Post<A extends ReadonlyArray<unknown>> = (...args: A) => Effect.Effect<string | void, unknown, unknown>

/** Checks that `options` is an object with a valid name, and returns the name. */
const named = (options: unknown, api: string, kind: Kind): string => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${api} needs an options object; got ${received(options)}`)
  }
  const name = (options as { name?: unknown }).name
  checkName(kind, name)
  return name as string
}

/** The options of a node's exec policy, shared by `Node.make` and `Node.batch`. */
interface PolicyOptions {
  readonly retry?: RetryOptions | undefined
  readonly timeout?: Duration.Input | undefined
  readonly fallback?: ((input: unknown, error: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly cache?: unknown
  readonly limit?: string | ReadonlyArray<string> | undefined
  readonly resultSchema?: Schema.Codec<any, any, never, never> | undefined
}

/** Checks a node's policy options; `exec` wrapped with them, and what a flow's defaults need to wrap it again. */
const policed = (
  kind: "node" | "batch",
  name: string,
  body: ((input: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined,
  options: PolicyOptions
) => {
  checkFunction(kind, name, "fallback", options.fallback, false)
  const { resultSchema } = options
  if (resultSchema !== undefined && !Schema.isSchema(resultSchema)) {
    throw new TypeError(
      `${subject(kind, name)}: option "resultSchema" must be a Schema (of exec's result); got ${received(resultSchema)}`
    )
  }
  const cache = checkCache(kind, name, options.cache)
  if (cache !== undefined && resultSchema === undefined) {
    throw new TypeError(
      `${subject(kind, name)}: option "cache" needs option "resultSchema", the Schema that encodes exec's result ` +
        `for the store`
    )
  }
  const policy: Policy = {
    node: name,
    retry: checkRetry(kind, name, options.retry),
    timeout: checkTimeout(kind, name, options.timeout),
    fallback: options.fallback,
    cache,
    limit: checkLimit(kind, name, options.limit),
    resultSchema
  }
  return { exec: withPolicy(body ?? (() => Effect.void), policy), body, policy }
}

/** `Node.make`. */
export const step = (
  options: PolicyOptions & {
    readonly name: string
    readonly prep?: Effect.Effect<unknown, unknown, unknown> | undefined
    readonly exec?: ((prep: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
    readonly post?: Post<[prep: unknown, exec: unknown]> | undefined
  }
): AnyNode => {
  const name = named(options, "Node.make", "node")
  checkEffect("node", name, "prep", options.prep, false)
  checkFunction("node", name, "exec", options.exec, false)
  checkFunction("node", name, "post", options.post, false)
  const { body, exec, policy } = policed("node", name, options.exec, options)
  const def = { _tag: "Step" as const, prep: options.prep, exec, post: options.post, body, policy }
  return makeNode(name, def, () => plain.step(def))
}

/** `Node.batch`. */
export const batch = (
  options: PolicyOptions & {
    readonly name: string
    readonly prep: Effect.Effect<unknown, unknown, unknown>
    readonly exec: (item: unknown) => Effect.Effect<unknown, unknown, unknown>
    readonly post?: Post<[items: ReadonlyArray<unknown>, results: ReadonlyArray<unknown>]> | undefined
    readonly concurrency?: number | "unbounded" | undefined
  }
): AnyNode => {
  const name = named(options, "Node.batch", "batch")
  checkEffect("batch", name, "prep", options.prep, true)
  checkFunction("batch", name, "exec", options.exec, true)
  checkFunction("batch", name, "post", options.post, false)
  const concurrency = checkConcurrency("batch", name, options.concurrency)
  const { body, exec, policy } = policed("batch", name, options.exec, options)
  const def = {
    _tag: "Batch" as const,
    prep: options.prep,
    exec,
    post: options.post,
    concurrency,
    resultSchema: options.resultSchema,
    body,
    policy
  }
  return makeNode(name, def, plain.composite)
}

/** `Flow.batch`. */
export const batchFlow = (options: {
  readonly name: string
  readonly flow: AnyNode
  readonly params: Context.Key<any, any>
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: Post<[params: ReadonlyArray<unknown>, actions: ReadonlyArray<string>]> | undefined
}): AnyNode => {
  const name = named(options, "Flow.batch", "batch-flow")
  const { params, post } = options
  const inner = checkNode("batch-flow", name, `option "flow"`, options.flow)
  if (!Context.isKey(params)) {
    throw new TypeError(
      `${subject("batch-flow", name)}: option "params" must be a service key (a Context.Service class or ` +
        `Context.Reference) that each run reads its parameter set from; got ${received(params)}`
    )
  }
  checkEffect("batch-flow", name, "prep", options.prep, true)
  checkFunction("batch-flow", name, "post", post, false)
  const concurrency = checkConcurrency("batch-flow", name, options.concurrency)
  const def = { _tag: "BatchFlow" as const, inner, params, prep: options.prep, post, concurrency }
  return makeNode(name, def, plain.composite)
}

/** The branches, checked: an array of at least one node, no node twice, no name twice. */
const checkBranches = (name: string, value: unknown): ReadonlyArray<AnyNode> => {
  if (!Array.isArray(value)) {
    throw new TypeError(
      `${subject("parallel", name)}: option "branches" must be an array of nodes; got ${received(value)}`
    )
  }
  if (value.length === 0) {
    throw new FlowDefinitionError({ flow: name, reason: "a parallel block needs at least one branch" })
  }
  const byName = new Map<string, AnyNode>()
  return value.map((branch, i) => {
    const node = checkNode("parallel", name, `branch ${i} of option "branches"`, branch)
    const other = byName.get(node.name)
    if (other !== undefined) {
      throw new FlowDefinitionError({
        flow: name,
        reason: other === node
          ? `the ${node.kind} ${quote(node.name)} is listed twice in "branches"; branches must be distinct nodes`
          : `two different branches are named ${quote(node.name)}; branch names must be unique`
      })
    }
    byName.set(node.name, node)
    return node
  })
}

/** `Flow.parallel`. */
export const parallel = (options: {
  readonly name: string
  readonly branches: ReadonlyArray<unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: Post<[actions: ReadonlyArray<string>]> | undefined
}): AnyNode => {
  const name = named(options, "Flow.parallel", "parallel")
  const { post } = options
  const branches = checkBranches(name, options.branches)
  checkFunction("parallel", name, "post", post, false)
  // Unlike batches, a parallel block exists to run its branches at once.
  const concurrency = checkConcurrency("parallel", name, options.concurrency ?? "unbounded")
  return makeNode(name, { _tag: "Parallel", branches, post, concurrency }, plain.composite)
}
