/**
 * The node constructors behind `Node.make`, `Node.batch`, `Flow.batch` and `Flow.parallel`: check the options,
 * build the `NodeDef`, and derive the node's plain program from it. (Flows are made in `flow.ts`.)
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import { FlowDefinitionError } from "../Errors.ts"
import {
  checkConcurrency,
  checkEffect,
  checkFunction,
  checkName,
  checkNode,
  checkRetry,
  checkTimeout,
  received,
  subject
} from "./checks.ts"
import { type AnyNode, type Kind, makeNode } from "./node.ts"
import { type RetryOptions, withPolicy } from "./policy.ts"
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

/** `Node.make`. */
export const step = (options: {
  readonly name: string
  readonly prep?: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly exec?: ((prep: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly post?: Post<[prep: unknown, exec: unknown]> | undefined
  readonly retry?: RetryOptions | undefined
  readonly timeout?: Duration.Input | undefined
  readonly fallback?: ((prep: unknown, error: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
}): AnyNode => {
  const name = named(options, "Node.make", "node")
  checkEffect("node", name, "prep", options.prep, false)
  checkFunction("node", name, "exec", options.exec, false)
  checkFunction("node", name, "post", options.post, false)
  checkFunction("node", name, "fallback", options.fallback, false)
  const exec = withPolicy(options.exec ?? (() => Effect.void), {
    node: name,
    retry: checkRetry("node", name, options.retry),
    timeout: checkTimeout("node", name, options.timeout),
    fallback: options.fallback
  })
  const def = { _tag: "Step" as const, prep: options.prep, exec, post: options.post }
  return makeNode(name, def, () => plain.step(def))
}

/** `Node.batch`. */
export const batch = (options: {
  readonly name: string
  readonly prep: Effect.Effect<unknown, unknown, unknown>
  readonly exec: (item: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly post?: Post<[items: ReadonlyArray<unknown>, results: ReadonlyArray<unknown>]> | undefined
  readonly concurrency?: number | "unbounded" | undefined
  readonly retry?: RetryOptions | undefined
  readonly timeout?: Duration.Input | undefined
  readonly fallback?: ((item: unknown, error: unknown) => Effect.Effect<unknown, unknown, unknown>) | undefined
  readonly resultSchema?: Schema.Codec<any, any, never, never> | undefined
}): AnyNode => {
  const name = named(options, "Node.batch", "batch")
  checkEffect("batch", name, "prep", options.prep, true)
  checkFunction("batch", name, "exec", options.exec, true)
  checkFunction("batch", name, "post", options.post, false)
  checkFunction("batch", name, "fallback", options.fallback, false)
  const concurrency = checkConcurrency("batch", name, options.concurrency)
  const exec = withPolicy(options.exec, {
    node: name,
    retry: checkRetry("batch", name, options.retry),
    timeout: checkTimeout("batch", name, options.timeout),
    fallback: options.fallback
  })
  const def = {
    _tag: "Batch" as const,
    prep: options.prep,
    exec,
    post: options.post,
    concurrency,
    resultSchema: options.resultSchema
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
