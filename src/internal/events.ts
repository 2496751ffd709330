/**
 * The events of a flow run, as data: the type and constructors, shared by every walk host. The public `FlowEvent`
 * module re-exports them with their documentation.
 */
import type * as Response from "effect/ai/Response"
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type { Kind } from "./node.ts"

/** One event of a flow run (documented in the public `FlowEvent` module). */
export type FlowEvent = Data.TaggedEnum<{
  FlowStarted: { readonly path: string; readonly runs: ReadonlyArray<number>; readonly flow: string }
  FlowFinished: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly flow: string
    readonly action: string
    readonly duration: Duration.Duration
  }
  FlowFailed: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly flow: string
    readonly cause: Cause.Cause<unknown>
    readonly duration: Duration.Duration
  }
  NodeStarted: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly kind: Kind
  }
  NodeFinished: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly kind: Kind
    readonly action: string
    readonly duration: Duration.Duration
  }
  NodeFailed: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly kind: Kind
    readonly cause: Cause.Cause<unknown>
    readonly duration: Duration.Duration
  }
  RetryScheduled: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly item: number | undefined
    /** The attempt that failed: 1 for the first. */
    readonly attempt: number
    readonly error: unknown
    readonly delay: Duration.Duration
  }
  FallbackUsed: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly item: number | undefined
    readonly error: unknown
  }
  Transition: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly from: string
    readonly action: string
    readonly to: string
  }
  UnmatchedAction: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly action: string
    readonly known: ReadonlyArray<string>
  }
  BatchProgress: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly done: number
    readonly total: number
  }
  EventsDropped: { readonly path: string; readonly runs: ReadonlyArray<number>; readonly count: number }
  CheckpointSaved: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly version: number
    readonly status: "running" | "suspended" | "sleeping" | "waiting" | "done" | "failed" | "interrupted"
  }
  Suspended: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly waiting: ReadonlyArray<{ readonly key: string; readonly input: string; readonly prompt: unknown }>
  }
  Resumed: { readonly path: string; readonly runs: ReadonlyArray<number>; readonly version: number }
  AnswerStale: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly key: string
    readonly input: string
  }
  AnswerRejected: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly key: string
    readonly input: string
    /** Why the input's schema refused the answer (the decode error's message). */
    readonly error: string
  }
  CacheHit: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly key: string
  }
  Custom: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly data: unknown
  }
  EventsGap: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    /** The last sequence number the subscriber had. */
    readonly after: number
    /** The first sequence number the server still holds (or will assign next): the ones between are lost. */
    readonly next: number
  }
  ModelDelta: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly text: string
  }
  ToolCalled: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly name: string
    readonly params: unknown
  }
  ToolResult: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly name: string
    readonly result: unknown
  }
  ModelFinished: {
    readonly path: string
    readonly runs: ReadonlyArray<number>
    readonly node: string
    readonly usage: Response.Usage
  }
}>

export const ctors = Data.taggedEnum<FlowEvent>()
