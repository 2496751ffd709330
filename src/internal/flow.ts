/**
 * Flow values: wiring (edges and exits, checked as they are added) and the lazy parts of a flow — its graph and its
 * plain program — built on first use. How a flow runs is the walk's business (`walk/`).
 */
import * as Effect from "effect/Effect"
import { FlowDefinitionError } from "../Errors.ts"
import {
  checkCache,
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
import type { Defaults } from "./defaults.ts"
import {
  type AnyFlow,
  type AnyNode,
  type Entry,
  type FlowDef,
  type Graph,
  NodeProto,
  TypeId,
  type Wiring
} from "./node.ts"
import * as plain from "./walk/plain.ts"

const quote = (s: string) => JSON.stringify(s)

const emptyWiring = (start: AnyNode): Wiring => ({
  log: [],
  wired: new Map(),
  names: new Map([[start.name, start]])
})

/** The entry already wired for (from, action), if any. */
const wiredAt = (wiring: Wiring, from: AnyNode, action: string): Entry | undefined => {
  const wired = wiring.wired.get(from)
  return wired === undefined
    ? undefined
    : wired instanceof Map
    ? wired.get(action)
    : wired.action === action
    ? wired
    : undefined
}

const append = (wiring: Wiring, entry: Entry): void => {
  wiring.log.push(entry)
  const wired = wiring.wired.get(entry.from)
  if (wired === undefined) wiring.wired.set(entry.from, entry)
  else if (wired instanceof Map) wired.set(entry.action, entry)
  else wiring.wired.set(entry.from, new Map([[wired.action, wired], [entry.action, entry]]))
  wiring.names.set(entry.from.name, entry.from)
  if (entry.to !== undefined) wiring.names.set(entry.to.name, entry.to)
}

/** The wiring of `def` alone, to extend without touching the values that share `def.wiring`. */
const own = (def: FlowDef): Wiring => {
  if (def.length === def.wiring.log.length) return def.wiring
  const wiring = emptyWiring(def.start)
  for (let i = 0; i < def.length; i++) append(wiring, def.wiring.log[i])
  return wiring
}

/** The edges and exits of a flow value, in wiring order. */
export const materialize = (def: FlowDef): Graph => {
  const edges = new Map<AnyNode, Map<string, AnyNode>>()
  const exits = new Map<AnyNode, Set<string>>()
  for (let i = 0; i < def.length; i++) {
    const { action, from, to } = def.wiring.log[i]
    if (to === undefined) {
      let actions = exits.get(from)
      if (actions === undefined) exits.set(from, actions = new Set())
      actions.add(action)
    } else {
      let successors = edges.get(from)
      if (successors === undefined) edges.set(from, successors = new Map())
      successors.set(action, to)
    }
  }
  return { start: def.start, edges, exits, maxSteps: def.maxSteps }
}

/**
 * A flow's graph and program, each built on first use and then kept. Wiring a chain makes a flow value per edge,
 * and nearly all of them are never read nor run: they must cost a few small objects, all of one hidden class (hence
 * a class and prototype getters, not per-object accessors).
 */
class Lazy {
  #graph: Graph | undefined
  #raw: Effect.Effect<unknown, unknown, unknown> | undefined
  readonly flow: AnyFlow
  constructor(flow: AnyFlow) {
    this.flow = flow
  }
  get graph(): Graph {
    return this.#graph ??= materialize(this.flow.def)
  }
  get raw(): Effect.Effect<unknown, unknown, unknown> {
    return this.#raw ??= plain.flow(this.flow)
  }
}

const FlowProto = Object.create(NodeProto, {
  start: {
    get: function(this: AnyFlow) {
      return this.def.start
    },
    enumerable: true
  },
  maxSteps: {
    get: function(this: AnyFlow) {
      return this.def.maxSteps
    },
    enumerable: true
  },
  edges: {
    get: function(this: AnyFlow) {
      return this.graph.edges
    },
    enumerable: true
  },
  graph: {
    get: function(this: AnyFlow & { lazy: Lazy }) {
      return this.lazy.graph
    }
  },
  raw: {
    get: function(this: AnyFlow & { lazy: Lazy }) {
      return this.lazy.raw
    }
  }
})

/** A flow value: its definition (already checked) behind the node interface. */
export const build = (def: FlowDef): AnyFlow => {
  const flow = Object.create(FlowProto)
  flow[TypeId] = TypeId
  flow.name = def.name
  flow.kind = "flow"
  flow.def = def
  flow.lazy = new Lazy(flow)
  flow.view = undefined
  return flow
}

/** Every node of a flow: its start and both ends of its edges and exits, in wiring order. */
export const nodesOf = (def: Pick<FlowDef, "start" | "wiring" | "length">): ReadonlyArray<AnyNode> => {
  const seen = new Set<AnyNode>([def.start])
  for (let i = 0; i < def.length; i++) {
    const { from, to } = def.wiring.log[i]
    seen.add(from)
    if (to !== undefined) seen.add(to)
  }
  return Array.from(seen)
}

const checkNames = (def: FlowDef, wiring: Wiring, from: AnyNode, to: AnyNode | undefined) => {
  const clash = (node: AnyNode, other: AnyNode) => {
    throw new FlowDefinitionError({
      flow: def.name,
      reason: `two different nodes are named ${quote(node.name)} (a ${other.kind} and a ${node.kind}); ` +
        `node names must be unique within a flow`
    })
  }
  const fromOther = wiring.names.get(from.name)
  if (fromOther !== undefined && fromOther !== from) clash(from, fromOther)
  if (to === undefined) return
  const toOther = wiring.names.get(to.name)
  if (toOther !== undefined && toOther !== to) clash(to, toOther)
  if (to !== from && to.name === from.name) clash(to, from)
}

const checkEdgeArguments = (def: FlowDef, what: string, from: unknown, action: unknown, to?: unknown) => {
  checkNode("flow", def.name, `the "from" node of ${what}`, from)
  if (typeof action !== "string" || action.length === 0) {
    throw new TypeError(
      `${subject("flow", def.name)}: the action of ${what} from ${quote((from as AnyNode).name)} must be a ` +
        `non-empty string; got ${received(action)}`
    )
  }
  if (to !== undefined || what === "an edge") checkNode("flow", def.name, `the target of ${what}`, to)
}

export const addEdge = (def: FlowDef, from: AnyNode, action: string, to: AnyNode): FlowDef => {
  checkEdgeArguments(def, "an edge", from, action, to)
  const wiring = own(def)
  checkNames(def, wiring, from, to)
  const wired = wiredAt(wiring, from, action)
  if (wired !== undefined) {
    const existing = wired.to
    throw new FlowDefinitionError({
      flow: def.name,
      reason: existing === undefined
        ? `${quote(from.name)} --${quote(action)}--> is declared an exit with Flow.end; cannot wire it to ${
          quote(to.name)
        }`
        : `the edge ${quote(from.name)} --${quote(action)}--> is already wired to ${quote(existing.name)}; ` +
          `cannot wire it again to ${quote(to.name)}`
    })
  }
  append(wiring, { from, action, to })
  return { ...def, wiring, length: wiring.log.length }
}

export const addExit = (def: FlowDef, from: AnyNode, action: string): FlowDef => {
  checkEdgeArguments(def, "an exit", from, action)
  const wiring = own(def)
  checkNames(def, wiring, from, undefined)
  const wired = wiredAt(wiring, from, action)
  if (wired !== undefined) {
    const existing = wired.to
    throw new FlowDefinitionError({
      flow: def.name,
      reason: existing === undefined
        ? `${quote(from.name)} --${quote(action)}--> is already declared an exit`
        : `the edge ${quote(from.name)} --${quote(action)}--> is wired to ${quote(existing.name)}; ` +
          `it cannot also be an exit`
    })
  }
  append(wiring, { from, action, to: undefined })
  return { ...def, wiring, length: wiring.log.length }
}

/** The definition of a new flow, with its options checked. */
export const define = (options: {
  readonly name: string
  readonly start: unknown
  readonly maxSteps?: unknown
  readonly prep?: unknown
  readonly post?: unknown
  readonly defaults?: unknown
}): FlowDef => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Flow.make needs an options object; got ${received(options)}`)
  }
  const { maxSteps, name } = options
  checkName("flow", name)
  const start = checkNode("flow", name, `option "start"`, options.start)
  if (maxSteps !== undefined) {
    if (typeof maxSteps !== "number") {
      throw new TypeError(
        `${subject("flow", name)}: option "maxSteps" must be a positive integer; got ${received(maxSteps)}`
      )
    }
    if (!Number.isInteger(maxSteps) || maxSteps < 1) {
      throw new RangeError(
        `${subject("flow", name)}: option "maxSteps" must be a positive integer; got ${received(maxSteps)}`
      )
    }
  }
  checkEffect("flow", name, "prep", options.prep, false)
  checkFunction("flow", name, "post", options.post, false)
  const defaults = checkDefaults(name, options.defaults)
  return {
    _tag: "Flow",
    name,
    start,
    wiring: emptyWiring(start),
    length: 0,
    maxSteps,
    prep: options.prep as FlowDef["prep"],
    post: options.post as FlowDef["post"],
    defaults
  }
}

const defaultKeys = new Set(["retry", "timeout", "cache", "limit"])

/** Checks a flow's `defaults`, each in the form of the node option it stands for; none set: `undefined`. */
const checkDefaults = (name: string, value: unknown): Defaults | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "object" || value === null || Array.isArray(value) || Effect.isEffect(value)) {
    throw new TypeError(
      `${subject("flow", name)}: option "defaults" must be an object { retry?, timeout?, cache?, limit? }; ` +
        `got ${received(value)}`
    )
  }
  const unknown = Object.keys(value).filter((key) => !defaultKeys.has(key))
  if (unknown.length > 0) {
    throw new TypeError(
      `${subject("flow", name)}: option "defaults" takes retry, timeout, cache and limit; got ${received(value)} ` +
        `(unknown: ${unknown.join(", ")})`
    )
  }
  const options = value as Record<string, unknown>
  const defaults: Defaults = {
    retry: checkRetry("flow", name, options.retry, "defaults.retry"),
    timeout: checkTimeout("flow", name, options.timeout, "defaults.timeout"),
    cache: checkCache("flow", name, options.cache, "defaults.cache"),
    limit: checkLimit("flow", name, options.limit, "defaults.limit")
  }
  const { cache, limit, retry, timeout } = defaults
  return retry === undefined && timeout === undefined && cache === undefined && limit === undefined
    ? undefined
    : defaults
}
