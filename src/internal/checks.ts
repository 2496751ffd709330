/**
 * Option checks, run when a node or flow is made, so a mistake fails at its source with a message naming the node
 * and the option.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { CacheOptions } from "./cache.ts"
import { type AnyNode, isNode, type Kind } from "./node.ts"
import type { RetryOptions } from "./policy.ts"

/** What a value is, for "got …" in messages: the value itself when it is short. */
export const received = (u: unknown): string => {
  if (u === undefined) return "undefined"
  if (u === null) return "null"
  if (typeof u === "string") return u.length > 40 ? `the string ${JSON.stringify(u.slice(0, 40))}…` : JSON.stringify(u)
  if (typeof u === "number" || typeof u === "boolean" || typeof u === "bigint") return String(u)
  if (typeof u === "function") return "a function"
  if (typeof u === "symbol") return "a symbol"
  if (isNode(u)) return `the ${u.kind} ${JSON.stringify(u.name)}`
  if (Effect.isEffect(u)) return "an Effect"
  if (Schedule.isSchedule(u)) return "a Schedule"
  if (Array.isArray(u)) return `an array of ${u.length}`
  const keys = Object.keys(u)
  return keys.length === 0 ? "{}" : `an object with keys ${keys.join(", ")}`
}

const titles: Record<Kind | "flow-batch", string> = {
  node: "Node",
  batch: "Batch node",
  flow: "Flow",
  "batch-flow": "Batch flow",
  parallel: "Parallel block",
  "flow-batch": "Batch flow"
}

/** `Node "ask"`: the subject of a message. */
export const subject = (kind: Kind, name: unknown): string => `${titles[kind]} ${JSON.stringify(String(name))}`

export const checkName = (kind: Kind, name: unknown): void => {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`${titles[kind]}: option "name" must be a non-empty string; got ${received(name)}`)
  }
}

export const checkFunction = (kind: Kind, name: string, option: string, value: unknown, required: boolean): void => {
  if (value === undefined && !required) return
  if (typeof value !== "function") {
    throw new TypeError(`${subject(kind, name)}: option "${option}" must be a function; got ${received(value)}`)
  }
}

export const checkEffect = (kind: Kind, name: string, option: string, value: unknown, required: boolean): void => {
  if (value === undefined && !required) return
  if (!Effect.isEffect(value)) {
    const hint = typeof value === "function"
      ? ` (${option} is an Effect run once per node run, not a function: e.g. ${option}: Store.get)`
      : ""
    throw new TypeError(`${subject(kind, name)}: option "${option}" must be an Effect${hint}; got ${received(value)}`)
  }
}

/** A node, flow or batch flow: what a flow can run. */
export const checkNode = (kind: Kind, name: string, option: string, value: unknown): AnyNode => {
  if (!isNode(value)) {
    const hint = Effect.isEffect(value) ? " (wrap a plain Effect in Node.make({ name, exec: () => effect }))" : ""
    throw new TypeError(
      `${
        subject(kind, name)
      }: ${option} must be a node (Node.make, Node.batch, Flow.make, Flow.batch or Flow.parallel)${hint}; ` +
        `got ${received(value)}`
    )
  }
  return value
}

/** Checks a duration option and decodes it once, so each attempt does not parse it again. */
const checkDuration = (kind: Kind, name: string, option: string, value: unknown): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const expected = `must be a finite positive duration (e.g. "30 seconds", 5000 for millis, Duration.seconds(30))`
  const decoded = typeof value === "number" && Number.isNaN(value)
    ? undefined
    : Duration.fromInput(value as Duration.Input)
  if (decoded === undefined || decoded._tag === "None") {
    const error = typeof value === "number" ? RangeError : TypeError
    throw new error(`${subject(kind, name)}: option "${option}" ${expected}; got ${received(value)}`)
  }
  const duration = decoded.value
  if (!Duration.isFinite(duration) || !Duration.isGreaterThan(duration, Duration.zero)) {
    throw new RangeError(`${subject(kind, name)}: option "${option}" ${expected}; got ${received(value)}`)
  }
  return duration
}

/** Checks a `timeout` (`option`: its name in messages, e.g. "defaults.timeout"). */
export const checkTimeout = (
  kind: Kind,
  name: string,
  value: unknown,
  option = "timeout"
): Duration.Duration | undefined => checkDuration(kind, name, option, value)

const cacheKeys = new Set(["key", "ttl", "version"])

/** Checks a `cache` option: `{ key, ttl?, version? }`. */
export const checkCache = (kind: Kind, name: string, value: unknown, option = "cache"): CacheOptions | undefined => {
  if (value === undefined) return undefined
  const forms = `must be { key: (input) => string, ttl?: a duration, version?: a non-negative integer }`
  if (typeof value !== "object" || value === null || Array.isArray(value) || Effect.isEffect(value)) {
    throw new TypeError(`${subject(kind, name)}: option "${option}" ${forms}; got ${received(value)}`)
  }
  const unknown = Object.keys(value).filter((key) => !cacheKeys.has(key))
  if (unknown.length > 0) {
    throw new TypeError(
      `${subject(kind, name)}: option "${option}" ${forms}; got ${received(value)} (unknown: ${unknown.join(", ")})`
    )
  }
  const { key, ttl, version } = value as Record<string, unknown>
  if (typeof key !== "function") {
    throw new TypeError(`${subject(kind, name)}: option "${option}.key" must be a function; got ${received(key)}`)
  }
  if (version !== undefined && (typeof version !== "number" || !Number.isInteger(version) || version < 0)) {
    throw new RangeError(
      `${subject(kind, name)}: option "${option}.version" must be a non-negative integer; got ${received(version)}`
    )
  }
  return {
    key: key as CacheOptions["key"],
    ttl: checkDuration(kind, name, `${option}.ttl`, ttl),
    version: (version as number | undefined) ?? 0
  }
}

/** Checks a `limit` option: a limit's name or an array of them (`[]`: no limit, over a flow's default). */
export const checkLimit = (
  kind: Kind,
  name: string,
  value: unknown,
  option = "limit"
): ReadonlyArray<string> | undefined => {
  if (value === undefined) return undefined
  const names = typeof value === "string" ? [value] : value
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string" || n.length === 0)) {
    throw new TypeError(
      `${subject(kind, name)}: option "${option}" must be a limit's name or an array of names (non-empty ` +
        `strings, configured in Limits.layer); got ${received(value)}`
    )
  }
  return names as ReadonlyArray<string>
}

export const checkConcurrency = (kind: Kind, name: string, value: unknown): number | "unbounded" => {
  if (value === undefined) return 1
  if (value === "unbounded") return value
  const expected = `must be a positive integer or "unbounded"`
  if (typeof value !== "number") {
    throw new TypeError(`${subject(kind, name)}: option "concurrency" ${expected}; got ${received(value)}`)
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${subject(kind, name)}: option "concurrency" ${expected}; got ${received(value)}`)
  }
  return value
}

const retryKeys = new Set(["times", "schedule", "while"])

export const checkRetry = (kind: Kind, name: string, value: unknown, option = "retry"): RetryOptions | undefined => {
  if (value === undefined || Schedule.isSchedule(value)) return value as RetryOptions | undefined
  const forms = `must be a Schedule or { times?, schedule?, while? } with times a non-negative integer ` +
    `(retries after the first attempt: PocketFlow's max_retries=3 is { times: 2 })`
  const fail = (error: new(message: string) => Error, what: string) => {
    throw new error(`${subject(kind, name)}: option "${option}" ${forms}; got ${what}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || Effect.isEffect(value)) {
    return fail(TypeError, received(value))
  }
  const unknown = Object.keys(value).filter((key) => !retryKeys.has(key))
  if (unknown.length > 0) return fail(TypeError, `${received(value)} (unknown: ${unknown.join(", ")})`)
  const { schedule, times, while: predicate } = value as Record<string, unknown>
  if (times !== undefined) {
    if (typeof times !== "number") return fail(TypeError, `times: ${received(times)}`)
    if (!Number.isInteger(times) || times < 0) return fail(RangeError, `times: ${received(times)}`)
  }
  if (schedule !== undefined && !Schedule.isSchedule(schedule)) {
    return fail(TypeError, `schedule: ${received(schedule)}`)
  }
  if (predicate !== undefined && typeof predicate !== "function") {
    return fail(TypeError, `while: ${received(predicate)}`)
  }
  return value as RetryOptions
}
