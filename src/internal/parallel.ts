/**
 * `Flow.parallel`: different nodes run at once, joined by an optional `post` that sees their actions in branch order.
 */
import * as Effect from "effect/Effect"
import { FlowDefinitionError } from "../Errors.ts"
import type { ParallelAnatomy } from "./graph.ts"
import { type AnyNode, checkConcurrency, checkFunction, checkName, checkNode, makeNode, received, subject, toAction } from "./node.ts"
import * as observe from "./observe.ts"

const quote = (s: string) => JSON.stringify(s)

type Post = (actions: ReadonlyArray<string>) => Effect.Effect<string | void, unknown, unknown>

/** The branches, checked: an array of at least one node, no node twice, no name twice. */
const checkBranches = (name: string, value: unknown): ReadonlyArray<AnyNode> => {
  if (!Array.isArray(value)) {
    throw new TypeError(`${subject("parallel", name)}: option "branches" must be an array of nodes; got ${received(value)}`)
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

export const parallel = (options: {
  readonly name: string
  readonly branches: ReadonlyArray<unknown>
  readonly concurrency?: number | "unbounded" | undefined
  readonly post?: Post | undefined
}): AnyNode => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Flow.parallel needs an options object; got ${received(options)}`)
  }
  const { name, post } = options
  checkName("parallel", name)
  const branches = checkBranches(name, options.branches)
  checkFunction("parallel", name, "post", post, false)
  // Unlike batches, a parallel block exists to run its branches at once.
  const concurrency = checkConcurrency("parallel", name, options.concurrency ?? "unbounded")
  const join = (run: Effect.Effect<Array<string>, unknown, unknown>) =>
    post === undefined ? Effect.as(run, undefined) : Effect.flatMap(run, post)
  // `Effect.forEach` keeps results in input order whatever order the branches finish in, and interrupts the
  // branches still running as soon as one fails.
  const raw = join(Effect.forEach(branches, (branch) => Effect.map(branch.raw, toAction), { concurrency }))
  // Observed: each branch is a child of the block (`flow/par/branch`), with its own events and span.
  const instrument = (o: observe.Observation) =>
    join(Effect.forEach(branches, (branch) => Effect.map(observe.runNode(branch, observe.child(o, branch), name), toAction), {
      concurrency
    }))
  const anatomy: ParallelAnatomy = { _tag: "Parallel", branches, post, concurrency }
  return makeNode(name, "parallel", raw, { concurrency, anatomy }, instrument)
}
