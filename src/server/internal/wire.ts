/**
 * A `FlowEvent` as JSON, for the server's event stream (`data:` of each Server-Sent Event) and back in the client.
 * Fields keep their names; what JSON cannot carry is written plainly: a `Duration` as milliseconds, a `Cause` as its
 * list of reasons (`{ _tag: "Fail", error }`, `{ _tag: "Die", defect }`, `{ _tag: "Interrupt" }`), an error or a
 * defect as its own fields plus `name` and `message`, anything else that is not JSON as its string form. Decoding
 * turns the durations and causes of the events that have them back into `Duration`s and `Cause`s; errors stay JSON
 * (the client has none of the app's classes).
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import type * as FlowEvent from "../../FlowEvent.ts"
import type { Json } from "../../internal/json.ts"

/** The fields that are durations (in milliseconds on the wire) and causes, by event tag. */
const durations: Readonly<Record<string, ReadonlyArray<string>>> = {
  FlowFinished: ["duration"],
  FlowFailed: ["duration"],
  NodeFinished: ["duration"],
  NodeFailed: ["duration"],
  RetryScheduled: ["delay"]
}
const causes: Readonly<Record<string, ReadonlyArray<string>>> = {
  FlowFailed: ["cause"],
  NodeFailed: ["cause"]
}

/** Any value as JSON: errors by their fields, `name` and `message`; cycles and functions as strings. */
export const toJson = (value: unknown, seen: Set<unknown> = new Set()): Json => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : String(value)
    case "bigint":
      return value.toString()
    case "undefined":
      return null
    case "function":
    case "symbol":
      return String(value)
  }
  if (value === null) return null
  if (seen.has(value)) return "[Circular]"
  seen.add(value)
  try {
    if (Duration.isDuration(value)) return Duration.toMillis(value)
    if (Cause.isCause(value)) return causeToJson(value, seen)
    if (Array.isArray(value)) return value.map((v) => toJson(v, seen))
    if (value instanceof Date) return value.toISOString()
    const out: Record<string, Json> = {}
    if (value instanceof Error) {
      out["name"] = value.name
      out["message"] = value.message
    }
    for (const [k, v] of Object.entries(value as object)) {
      if (v !== undefined) out[k] = toJson(v, seen)
    }
    return out
  } finally {
    seen.delete(value)
  }
}

const causeToJson = (cause: Cause.Cause<unknown>, seen: Set<unknown>): Json =>
  cause.reasons.map((reason): Json => {
    switch (reason._tag) {
      case "Fail":
        return { _tag: "Fail", error: toJson(reason.error, seen) }
      case "Die":
        return { _tag: "Die", defect: toJson(reason.defect, seen) }
      case "Interrupt":
        return reason.fiberId === undefined ? { _tag: "Interrupt" } : { _tag: "Interrupt", fiberId: reason.fiberId }
    }
  })

/** The event as a JSON object (`_tag` and `path` first). */
export const encode = (event: FlowEvent.FlowEvent): Json => toJson(event)

const causeFromJson = (json: unknown): Cause.Cause<unknown> => {
  if (!Array.isArray(json)) return Cause.die(json)
  return Cause.fromReasons(
    json.map((reason: { readonly _tag?: unknown; [k: string]: unknown }) =>
      reason?._tag === "Fail"
        ? Cause.makeFailReason(reason["error"])
        : reason?._tag === "Interrupt"
        ? Cause.makeInterruptReason(typeof reason["fiberId"] === "number" ? reason["fiberId"] : undefined)
        : Cause.makeDieReason(reason?.["defect"])
    )
  )
}

/**
 * A `FlowEvent` from its JSON object: durations and causes restored for the tags that have them; other tags (those
 * a newer server may send) come as they are, with their `_tag`.
 */
export const decode = (json: unknown): FlowEvent.FlowEvent | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const record = json as Record<string, unknown>
  const tag = record["_tag"]
  if (typeof tag !== "string" || typeof record["path"] !== "string") return undefined
  const out: Record<string, unknown> = { ...record }
  for (const field of durations[tag] ?? []) {
    const ms = record[field]
    if (typeof ms === "number") out[field] = Duration.millis(ms)
  }
  for (const field of causes[tag] ?? []) out[field] = causeFromJson(record[field])
  if (!Array.isArray(out["runs"])) out["runs"] = []
  return out as unknown as FlowEvent.FlowEvent
}
