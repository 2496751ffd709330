/**
 * The API's handlers, over the `Durable` functions and the checkpointer. Each maps the library's typed failures to
 * the API's client errors (`RunNotFound` to 404, `NotWaiting`/`AlreadyAnswered`/`RunExists` to 409, a refused
 * answer to 400); a checkpointer failure is the server's own (a 500, with its message). Ids from the request are
 * checked before any `Durable` function sees them (those treat a bad id as a programming error).
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import { Checkpointer } from "../../Checkpointer.ts"
import * as Durable from "../../Durable.ts"
import type { CheckpointError } from "../../Errors.ts"
import { isEnded, runIdProblem, statuses } from "../../internal/checkpointer/service.ts"
import { ctors } from "../../internal/events.ts"
import type { Json } from "../../internal/json.ts"
import type * as Shared from "../../Shared.ts"
import * as api from "./api.ts"
import { highlight, nodeAt } from "./diagram.ts"
import { dataOf, type Hub } from "./hub.ts"
import type { Live } from "./live.ts"
import * as operations from "./operations.ts"
import * as wire from "./wire.ts"

/** Where a standalone viewer finds a run's diagram: an item record the program wrote with `Viewer.record`. */
export const DIAGRAM_SCOPE = "effect-pocketflow/viewer/diagram"

/** Where the server keeps the input a run was started with, so a repeated start can be compared with it. */
export const START_SCOPE = "effect-pocketflow/server/start"

/** A flow this server hosts: its name, diagram, stores, and how to queue a new run of it. */
export interface Hosted {
  readonly name: string
  readonly diagram: string
  readonly stores: ReadonlyArray<Shared.AnySchemaService>
  /** Each store's key and the JSON Schema of its state's encoding. */
  readonly storeSchemas: ReadonlyArray<{ readonly key: string; readonly schema: Json }>
  readonly start: (
    id: string,
    stores: ReadonlyArray<Shared.Initial<any, any>>
  ) => Effect.Effect<void, unknown, Checkpointer>
}

export interface Env {
  readonly hub: Hub
  readonly live: Live
  readonly flows: ReadonlyMap<string, Hosted>
  /** How often an event stream looks at a run nobody walks here (to end when it ended elsewhere). */
  readonly poll: Duration.Input
  /** 6 random hex digits (for fork and run ids). */
  readonly random: () => string
}

const checkpointFailure = <A, E, R>(effect: Effect.Effect<A, E | CheckpointError, R>) =>
  Effect.catchIf(
    effect,
    (e): e is CheckpointError => (e as { readonly _tag?: unknown })?._tag === "CheckpointError",
    (e) => Effect.die(e)
  ) as Effect.Effect<A, Exclude<E, CheckpointError>, R>

const checkId = (id: string, what = "run id") => {
  const problem = runIdProblem(id)
  return problem === undefined
    ? Effect.void
    : Effect.fail(new api.BadRequest({ error: `bad ${what} ${JSON.stringify(id)}: ${problem}`, kind: "BadRunId" }))
}

const notFound = (id: string) => new api.NotFound({ error: `no run ${JSON.stringify(id)}`, kind: "RunNotFound" })

const load = (id: string) =>
  Effect.flatMap(
    Effect.service(Checkpointer),
    (cp) => Effect.flatMap(cp.load(id), (s) => s === undefined ? Effect.fail(notFound(id)) : Effect.succeed(s))
  )

const canonical = (json: unknown): string =>
  JSON.stringify(json, (_, value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]))
      : value)

const formatIssue = SchemaIssue.makeFormatterDefault()

/** A request that does not decode, as a `BadRequest` saying what the endpoint expected. */
export const requestErrors = HttpApiMiddleware.layerSchemaErrorTransform(
  api.RequestErrors,
  (error, { endpoint, group }) => {
    const detail = formatIssue(error.cause.issue)
    switch (error.kind) {
      case "Payload": {
        if (detail.includes("Expected a valid JSON body")) {
          return Effect.fail(new api.BadRequest({ error: "the request body is not valid JSON", kind: "BadJson" }))
        }
        const expected = api.expectedBody[`${group.identifier}.${endpoint.identifier}`]
        return Effect.fail(
          new api.BadRequest({
            error: `the request body does not have the expected shape${
              expected === undefined ? "" : ` (expected ${expected})`
            }: ${detail.replaceAll("\n", "; ")}`,
            kind: "BadShape"
          })
        )
      }
      case "Params":
      case "Query":
      case "Headers":
        return Effect.fail(
          new api.BadRequest({
            error: `bad ${error.kind.toLowerCase()}: ${detail.replaceAll("\n", "; ")}`,
            kind: "BadRequest"
          })
        )
      default:
        // The server's own response did not encode: not the client's mistake.
        return Effect.fail(error)
    }
  }
)

/** The run groups' layers. */
export const layers = (theApi: api.Api, env: Env) => {
  const { flows, hub, live } = env
  const hosts = (flow: string) => flows.has(flow)
  const isLive = (id: string, flow: string) => live.entry(id) !== undefined || hosts(flow)
  /** After an answer or a fork: a run driven in-process (`Viewer.run`) is continued here now. */
  const continueLive = (id: string) => {
    const entry = live.entry(id)
    return entry === undefined ? Effect.void : entry.continue(id)
  }

  const decodeStores = (hosted: Hosted, given: { readonly [key: string]: unknown } | undefined) =>
    Effect.gen(function*() {
      const initial: Array<Shared.Initial<any, any>> = []
      const known = new Set(hosted.stores.map((s) => s.key))
      for (const key of Object.keys(given ?? {})) {
        if (!known.has(key)) {
          return yield* new api.BadRequest({
            error: `flow ${JSON.stringify(hosted.name)} has no store ${JSON.stringify(key)} (its stores: ${
              Array.from(known).join(", ") || "none"
            })`,
            kind: "UnknownStore"
          })
        }
      }
      for (const store of hosted.stores) {
        const encoded = given?.[store.key]
        if (encoded === undefined) {
          return yield* new api.BadRequest({
            error: `missing the initial state of store ${JSON.stringify(store.key)}`,
            kind: "MissingStore"
          })
        }
        const state = yield* Schema.decodeUnknownEffect(store.schema)(encoded).pipe(
          Effect.mapError((e) =>
            new api.BadRequest({ error: `store ${JSON.stringify(store.key)}: ${e.message}`, kind: "decode" })
          )
        )
        initial.push(store.initial(state))
      }
      return initial
    })

  const runs = HttpApiBuilder.group(theApi, "runs", (handlers) =>
    handlers
      .handle("start", ({ payload }) =>
        Effect.gen(function*() {
          const hosted = flows.get(payload.flow)
          if (hosted === undefined) {
            return yield* new api.BadRequest({
              error: `this server hosts no flow ${JSON.stringify(payload.flow)} (it hosts: ${
                Array.from(flows.keys()).join(", ") || "none"
              })`,
              kind: "UnknownFlow"
            })
          }
          const id = payload.id ?? `${hosted.name}-${env.random()}${env.random()}`
          yield* checkId(id)
          const stores = yield* decodeStores(hosted, payload.stores)
          const input = canonical({ flow: hosted.name, stores: payload.stores ?? {} })
          const cp = yield* Checkpointer
          const same = Effect.gen(function*() {
            const recorded = (yield* cp.items(id, START_SCOPE)).get(0)
            const existing = yield* cp.load(id)
            if (existing !== undefined && recorded === input) {
              return { id, flow: hosted.name, created: false }
            }
            return yield* new api.Conflict({
              error: `run ${JSON.stringify(id)} exists already, started with another input`,
              kind: "RunExists"
            })
          })
          if ((yield* cp.load(id)) !== undefined) return yield* same
          const started = yield* Effect.exit(hosted.start(id, stores))
          if (Exit.isFailure(started)) {
            // Another request started it meanwhile: the same input is the same run.
            if ((yield* cp.load(id)) !== undefined) return yield* same
            return yield* Effect.die(Cause.squash(started.cause))
          }
          yield* cp.putItem(id, START_SCOPE, 0, input)
          return { id, flow: hosted.name, created: true }
        }).pipe(checkpointFailure))
      .handle("list", ({ query }) =>
        Effect.gen(function*() {
          if (query.status !== undefined && !(statuses as ReadonlyArray<string>).includes(query.status)) {
            return yield* new api.BadRequest({
              error: `unknown status ${JSON.stringify(query.status)} (one of ${statuses.join(", ")})`,
              kind: "BadStatus"
            })
          }
          const cp = yield* Checkpointer
          const page = yield* cp.list({
            status: query.status as Durable.Snapshot["status"] | undefined,
            flow: query.flow,
            deadlineBefore: query.deadlineBefore,
            limit: Math.min(Math.max(query.limit ?? 200, 1), 1000),
            cursor: query.cursor
          }).pipe(
            Effect.catchTag("CheckpointError", (e): Effect.Effect<never, api.BadRequest | CheckpointError> =>
              e.reason === "invalid cursor"
                ? Effect.fail(new api.BadRequest({ error: e.message, kind: "BadCursor" }))
                : Effect.fail(e))
          )
          return {
            runs: page.runs.map((s) => ({
              id: s.id,
              flow: s.flow,
              status: s.status,
              steps: s.steps,
              version: s.version,
              updatedAt: s.updatedAt,
              waiting: s.waiting.length,
              node: nodeAt(s.position),
              ...(s.deadline === undefined ? {} : { deadline: s.deadline }),
              live: isLive(s.id, s.flow)
            })),
            ...(page.cursor === undefined ? {} : { cursor: page.cursor })
          }
        }).pipe(checkpointFailure))
      .handle("get", ({ params }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          const details = yield* Durable.get(params.id)
          if (Option.isNone(details)) return yield* notFound(params.id)
          return details.value
        }).pipe(checkpointFailure))
      .handle("history", ({ params, query }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          yield* load(params.id)
          const limit = Math.min(Math.max(query.limit ?? 20, 1), 1000)
          const page = yield* Durable.history(params.id, { limit, before: query.before })
          return {
            snapshots: page.snapshots.map((s) => ({ ...s, node: nodeAt(s.position) })),
            ...(page.before === undefined ? {} : { before: page.before })
          }
        }).pipe(checkpointFailure))
      .handle("diagram", ({ params }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          const snapshot = yield* load(params.id)
          const cp = yield* Checkpointer
          const saved = (yield* cp.items(params.id, DIAGRAM_SCOPE)).get(0)
          const mermaid = live.entry(params.id)?.diagram ?? flows.get(snapshot.flow)?.diagram ??
            (typeof saved === "string" ? saved : undefined)
          return mermaid === undefined ? null : highlight(mermaid, snapshot, hub.running(params.id))
        }).pipe(checkpointFailure))
      .handle("interrupt", ({ params }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          yield* Durable.interrupt(params.id).pipe(
            Effect.catchTag("RunNotFound", () => Effect.fail(notFound(params.id)))
          )
          hub.touch(params.id)
          const after = yield* load(params.id)
          return { id: params.id, status: after.status }
        }).pipe(checkpointFailure))
      .handle("fork", ({ params, payload }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          const source = yield* load(params.id)
          const to = payload.to ?? `${params.id}.fork-v${payload.version}-${env.random()}`
          yield* checkId(to, "fork id")
          const hosted = flows.get(source.flow)
          const edits: Array<Shared.Edit<any, any>> = []
          for (const [key, encoded] of Object.entries(payload.stores ?? {})) {
            const store = hosted?.stores.find((s) => s.key === key)
            if (store === undefined) {
              return yield* new api.BadRequest({
                error: hosted === undefined
                  ? `this server does not host flow ${JSON.stringify(source.flow)}, so it cannot check a new state ` +
                    `for store ${JSON.stringify(key)}: fork without store edits, or from a server that hosts it`
                  : `flow ${JSON.stringify(source.flow)} has no store ${JSON.stringify(key)}`,
                kind: "UnknownStore"
              })
            }
            const state = yield* Schema.decodeUnknownEffect(store.schema)(encoded).pipe(
              Effect.mapError((e) =>
                new api.BadRequest({ error: `store ${JSON.stringify(key)}: ${e.message}`, kind: "decode" })
              )
            )
            edits.push(store.edit(() => state))
          }
          yield* Durable.fork({ from: params.id, version: payload.version, to, stores: edits }).pipe(
            Effect.catchTag(
              "RunExists",
              (e) =>
                Effect.fail(
                  new api.Conflict({ error: e.message || `run ${JSON.stringify(to)} exists`, kind: "RunExists" })
                )
            ),
            Effect.catchTag(
              "CheckpointError",
              (e): Effect.Effect<never, api.BadRequest | api.NotFound | CheckpointError> =>
                e.reason === "version not found"
                  ? Effect.fail(new api.NotFound({ error: e.message, kind: "VersionNotFound" }))
                  : e.reason === "store decode failed"
                  ? Effect.fail(new api.BadRequest({ error: e.message, kind: "decode" }))
                  : Effect.fail(e)
            )
          )
          const cp = yield* Checkpointer
          const diagram = (yield* cp.items(params.id, DIAGRAM_SCOPE)).get(0)
          if (diagram !== undefined) yield* cp.putItem(to, DIAGRAM_SCOPE, 0, diagram)
          const entry = live.entry(params.id)
          if (entry !== undefined) {
            live.register(to, entry)
            yield* entry.continue(to)
          }
          return { id: to, continued: isLive(to, source.flow) }
        }).pipe(checkpointFailure))
      .handle("delete", ({ params }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          yield* load(params.id)
          yield* Durable.delete(params.id)
          hub.touch(params.id)
          return { id: params.id, deleted: true }
        }).pipe(checkpointFailure)))

  const answers = HttpApiBuilder.group(
    theApi,
    "answers",
    (handlers) =>
      handlers.handle("answer", ({ payload }) =>
        Effect.gen(function*() {
          if (!("token" in payload)) yield* checkId(payload.id)
          const { id, key } = yield* operations.answer(
            "token" in payload ? { token: payload.token } : payload,
            payload.value
          ).pipe(
            Effect.catchTags({
              SchemaError: (e) => Effect.fail(new api.BadRequest({ error: e.message, kind: "decode" })),
              RunNotFound: (e) => Effect.fail(notFound(e.id)),
              NotWaiting: (e) =>
                Effect.fail(new api.Conflict({ error: e.message, kind: "NotWaiting", waiting: e.waiting })),
              AlreadyAnswered: (e) => Effect.fail(new api.Conflict({ error: e.message, kind: "AlreadyAnswered" }))
            })
          )
          yield* continueLive(id)
          const cp = yield* Checkpointer
          const snapshot = yield* cp.load(id)
          return { id, key, continued: snapshot !== undefined && isLive(id, snapshot.flow) }
        }).pipe(checkpointFailure))
  )

  const events = HttpApiBuilder.group(
    theApi,
    "events",
    (handlers) =>
      handlers.handle("events", ({ headers, params }) =>
        Effect.gen(function*() {
          yield* checkId(params.id)
          const snapshot = yield* load(params.id)
          const lastEventId = headers["last-event-id"]
          let after: number | undefined
          if (lastEventId !== undefined && lastEventId.trim() !== "") {
            if (!/^\d{1,16}$/.test(lastEventId.trim())) {
              return yield* new api.BadRequest({
                error: `Last-Event-ID must be a sequence number this server sent (got ${JSON.stringify(lastEventId)})`,
                kind: "BadLastEventId"
              })
            }
            after = Number(lastEventId.trim())
          }
          const cp = yield* Checkpointer
          return stream(env, cp, params.id, snapshot.flow, after)
        }).pipe(checkpointFailure))
  )

  const flowList = HttpApiBuilder.group(theApi, "flows", (handlers) =>
    handlers.handle("list", () =>
      Effect.succeed({
        flows: Array.from(flows.values(), (f) => ({ name: f.name, diagram: f.diagram, stores: f.storeSchemas }))
      })))

  return Layer.mergeAll(runs, flowList, answers, events)
}

interface SseEvent {
  readonly id: string
  readonly event: string
  readonly data: string
}

const gapEvent = (flow: string, gap: { readonly after: number; readonly next: number }): SseEvent => ({
  id: String(gap.next - 1),
  event: "message",
  data: JSON.stringify(wire.encode(ctors.EventsGap({ path: flow, runs: [], after: gap.after, next: gap.next })))
})

/**
 * A run's events after `after`, then live, until the run has ended: held events first (a gap marker when some were
 * dropped), then each new one as the walk reports it. The stream ends once nobody walks the run in this process and
 * its latest checkpoint says it ended (or it is gone), after the last event held — so it stays open across a
 * suspension and a wait for a worker. It also ends when the server stops.
 */
const stream = (
  env: Env,
  cp: Checkpointer["Service"],
  id: string,
  flow: string,
  after: number | undefined
): Stream.Stream<SseEvent> => {
  const { hub } = env
  const poll = Effect.sleep(env.poll)
  const drain = (cursor: number | undefined) => {
    const read = hub.read(id, cursor)
    const out: Array<SseEvent> = read.gap === undefined ? [] : [gapEvent(flow, read.gap)]
    let last = read.gap === undefined ? cursor : read.gap.next - 1
    for (const entry of read.entries) {
      out.push({ id: String(entry.seq), event: "message", data: dataOf(entry) })
      last = entry.seq
    }
    return { out, last }
  }
  const step = (cursor: number | undefined): Effect.Effect<
    readonly [ReadonlyArray<SseEvent>, Option.Option<number | undefined>]
  > =>
    Effect.gen(function*() {
      const first = drain(cursor)
      if (first.out.length > 0) return [first.out, Option.some(first.last)] as const
      if (hub.closed) return [[], Option.none()] as const
      if (!hub.walking(id)) {
        const latest = yield* Effect.orElseSucceed(cp.load(id), () => ({ status: "running" }) as const)
        if (latest === undefined || isEnded(latest.status)) {
          // Whatever arrived since the first look, then the end.
          const rest = drain(first.last)
          return [rest.out, Option.none()] as const
        }
      }
      yield* hub.wait(id, poll)
      return [[], Option.some(first.last)] as const
    })
  // The log is kept while someone reads it.
  return Stream.suspend(() => {
    hub.addReader(id)
    return Stream.ensuring(Stream.paginate(after, step), Effect.sync(() => hub.removeReader(id)))
  })
}
