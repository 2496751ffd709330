/**
 * The server's HTTP API, as an `effect/http-api` `HttpApi`: the schemas of what goes over the wire, the client errors
 * with their status codes, the bearer-token (or cookie) security, and three groups — `runs`, `answers`, `events`.
 * The server implements it (`handlers.ts`), the typed client is derived from it, and so is the OpenAPI document.
 * Operation ids are HttpApi's default, `group.endpoint`.
 */
import * as HttpApi from "effect/http-api/HttpApi"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as HttpApiSecurity from "effect/http-api/HttpApiSecurity"
import * as OpenApi from "effect/http-api/OpenApi"
import * as Schema from "effect/Schema"
import { statuses } from "../../internal/checkpointer/service.ts"

// ---------------------------------------------------------------------------------------------------
// client errors: `{ _tag, error, kind? }` with a readable `error`
// ---------------------------------------------------------------------------------------------------

const errorFields = {
  /** What went wrong, in words. */
  error: Schema.String,
  /** Which case, where one status covers several (`decode`, `NotWaiting`, `AlreadyAnswered`, `RunExists`, …). */
  kind: Schema.optional(Schema.String)
}

/** 400: a malformed request — a body that is not JSON or has the wrong shape, an answer its schema refuses. */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", errorFields, { httpApiStatus: 400 }) {
  override get message(): string {
    return this.error
  }
}

/** 401: no token, or a wrong one. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", errorFields, {
  httpApiStatus: 401
}) {
  override get message(): string {
    return this.error
  }
}

/** 403: a foreign `Host` or `Origin` (answered by the server before the API sees the request). */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", errorFields, { httpApiStatus: 403 }) {
  override get message(): string {
    return this.error
  }
}

/** 404: no such run (or version, or route). */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", errorFields, { httpApiStatus: 404 }) {
  override get message(): string {
    return this.error
  }
}

/** 409: the request conflicts with the run's state (an input not waiting, already answered, an id taken). */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  ...errorFields,
  /** The keys that wait, when an answer named none of them (or several match). */
  waiting: Schema.optional(Schema.Array(Schema.String))
}, { httpApiStatus: 409 }) {
  override get message(): string {
    return this.error
  }
}

/** 413: a body over the size limit. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", errorFields, {
  httpApiStatus: 413
}) {
  override get message(): string {
    return this.error
  }
}

/** 415: a state-changing request that is not JSON (a form post). */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  errorFields,
  { httpApiStatus: 415 }
) {
  override get message(): string {
    return this.error
  }
}

// ---------------------------------------------------------------------------------------------------
// runs
// ---------------------------------------------------------------------------------------------------

const Status = Schema.String.annotate({ description: `The run's status: ${statuses.join(", ")}` })

export const Waiting = Schema.Struct({
  key: Schema.String,
  input: Schema.String,
  path: Schema.String,
  prompt: Schema.Json,
  /** What `POST /answers` takes as `token`. */
  token: Schema.String,
  /** The JSON Schema an answer must satisfy. */
  answerSchema: Schema.Json,
  deadline: Schema.optional(Schema.Number),
  answered: Schema.optional(Schema.Boolean)
})

const snapshotFields = {
  format: Schema.Literal(1),
  id: Schema.String,
  flow: Schema.String,
  version: Schema.Int,
  status: Status,
  steps: Schema.Int,
  position: Schema.Json,
  /** Each store's state as its schema encodes it, by store key. */
  stores: Schema.Record(Schema.String, Schema.Json),
  waiting: Schema.Array(Waiting),
  failure: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  deadline: Schema.optional(Schema.Number),
  updatedAt: Schema.Number
}

/** A saved version of a run (`Durable.Snapshot`). */
export const Snapshot = Schema.Struct(snapshotFields)

export const Lease = Schema.Struct({ owner: Schema.String, expiresAt: Schema.Number, heartbeatAt: Schema.Number })

/** `GET /runs/:id`: `Durable.get`'s `RunDetails`. */
export const RunDetails = Schema.Struct({
  ...snapshotFields,
  /** Waiting keys answered for the prompt now waiting: the run moves on without a human. */
  answered: Schema.Array(Schema.String),
  lease: Schema.optional(Lease),
  items: Schema.Record(Schema.String, Schema.Struct({ done: Schema.Int, total: Schema.Int }))
})

/** One run in `GET /runs`. */
export const RunSummary = Schema.Struct({
  id: Schema.String,
  flow: Schema.String,
  status: Status,
  steps: Schema.Int,
  version: Schema.Int,
  updatedAt: Schema.Number,
  /** How many inputs wait. */
  waiting: Schema.Int,
  /** The node the run stands at (`—` once its walk ended). */
  node: Schema.String,
  deadline: Schema.optional(Schema.Number),
  /** Whether this server runs the run's flow (so an answer continues it here at once). */
  live: Schema.Boolean
})

export const RunList = Schema.Struct({
  runs: Schema.Array(RunSummary),
  /** Pass it back as `cursor` for the next page. */
  cursor: Schema.optional(Schema.String)
})

/** One version in `GET /runs/:id/history`, with the node it stood at. */
export const HistoryEntry = Schema.Struct({ ...snapshotFields, node: Schema.String })

export const History = Schema.Struct({
  /** Oldest first. */
  snapshots: Schema.Array(HistoryEntry),
  /** Pass it back as `before` for the previous (older) page. */
  before: Schema.optional(Schema.Int)
})

/** `GET /runs/:id/diagram`: the flow's Mermaid text with the nodes marked, or `null` when no diagram is known. */
export const Diagram = Schema.NullOr(Schema.Struct({
  text: Schema.String,
  current: Schema.Array(Schema.String),
  waiting: Schema.Array(Schema.String),
  visited: Schema.Array(Schema.String)
}))

export const StartRequest = Schema.Struct({
  /** A flow the server hosts (`Server.layer({ flows })`). */
  flow: Schema.String,
  /** The run id (default: a new random one). The same id with the same input is the same run. */
  id: Schema.optional(Schema.String),
  /** Initial states by store key, as each store's schema encodes them; every store the flow declares. */
  stores: Schema.optional(Schema.Record(Schema.String, Schema.Json))
})

export const StartResponse = Schema.Struct({
  id: Schema.String,
  flow: Schema.String,
  /** False when the run existed already with this input (starting is idempotent). */
  created: Schema.Boolean
})

export const ForkRequest = Schema.Struct({
  version: Schema.Int,
  /** The new run's id (default: `<id>.fork-v<version>-<6 hex>`). */
  to: Schema.optional(Schema.String),
  /** Replacement states by store key (encoded), checked with the store's schema when a hosted flow declares it. */
  stores: Schema.optional(Schema.Record(Schema.String, Schema.Json))
})

export const ForkResponse = Schema.Struct({
  id: Schema.String,
  /** Whether this server continues the fork now. */
  continued: Schema.Boolean
})

export const RunStatus = Schema.Struct({ id: Schema.String, status: Status })

export const Deleted = Schema.Struct({ id: Schema.String, deleted: Schema.Boolean })

/** A flow the server hosts, for clients that start runs of it (the page's "Start a run"). */
export const FlowInfo = Schema.Struct({
  name: Schema.String,
  /** Its Mermaid flowchart. */
  diagram: Schema.String,
  /** The stores a run is started with: key and the JSON Schema of the state's encoding. */
  stores: Schema.Array(Schema.Struct({ key: Schema.String, schema: Schema.Json }))
})

export const FlowList = Schema.Struct({ flows: Schema.Array(FlowInfo) })

// ---------------------------------------------------------------------------------------------------
// answers
// ---------------------------------------------------------------------------------------------------

export const AnswerByToken = Schema.Struct({
  /** The waiting input's `token`. */
  token: Schema.String,
  /** The answer's JSON encoding. */
  value: Schema.Json
})

export const AnswerByKey = Schema.Struct({
  id: Schema.String,
  /** The input's name. */
  input: Schema.String,
  /** Needed when several inputs of that name wait. */
  key: Schema.optional(Schema.String),
  value: Schema.Json
})

export const AnswerResponse = Schema.Struct({
  id: Schema.String,
  key: Schema.String,
  /** Whether this server continues the run now (it hosts its flow); otherwise at its program's next call. */
  continued: Schema.Boolean
})

// ---------------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------------

/**
 * One Server-Sent Event: `id` the event's sequence number, `data` the `FlowEvent` as JSON (with `_tag` and `path`;
 * durations in milliseconds, causes as their list of reasons).
 */
export const SseEvent = Schema.Struct({
  id: Schema.optional(Schema.String),
  event: Schema.String,
  data: Schema.String.annotate({ description: "A FlowEvent as JSON" })
})

// ---------------------------------------------------------------------------------------------------
// the API
// ---------------------------------------------------------------------------------------------------

/**
 * Requests carry the server's token as `Authorization: Bearer <token>`, or as the cookie the page gets from the URL
 * printed at start-up (named after the port, since cookies are shared between the ports of a host).
 */
export const makeAuthorization = (cookie: string): AuthorizationClass => {
  class Authorization extends HttpApiMiddleware.Service<AuthorizationSelf>()("effect-pocketflow/server/Authorization", {
    error: Unauthorized,
    security: {
      bearer: HttpApiSecurity.bearer,
      cookie: HttpApiSecurity.apiKey({ key: cookie, in: "cookie" })
    }
  }) {}
  return Authorization
}

/**
 * Turns a request that does not decode (its body, path, query or headers) into a `BadRequest` saying what was
 * expected; the server implements it with `HttpApiMiddleware.layerSchemaErrorTransform`.
 */
export class RequestErrors
  extends HttpApiMiddleware.Service<RequestErrors>()("effect-pocketflow/server/RequestErrors", {
    error: BadRequest
  })
{}

/** The body each endpoint that reads one expects, for the 400 that says so. */
export const expectedBody: Readonly<Record<string, string>> = {
  "runs.start": "{ flow, id?, stores? }",
  "runs.fork": "{ version, to?, stores? }",
  "answers.answer": "{ token, value } or { id, input, key?, value }"
}

const IdParams = { id: Schema.String }

/** The API and its security middleware, with the cookie the server accepts besides the bearer token. */
export const make = (cookie: string) => {
  const Authorization = makeAuthorization(cookie)
  return { api: build(Authorization), Authorization }
}

const build = <A extends ReturnType<typeof makeAuthorization>>(Authorization: A) => {
  const runs = HttpApiGroup.make("runs").add(
    HttpApiEndpoint.post("start", "/runs", {
      payload: StartRequest,
      success: StartResponse,
      error: [BadRequest, Conflict]
    }),
    HttpApiEndpoint.get("list", "/runs", {
      query: {
        status: Schema.optional(Schema.String),
        flow: Schema.optional(Schema.String),
        deadlineBefore: Schema.optional(Schema.Number),
        limit: Schema.optional(Schema.Int),
        cursor: Schema.optional(Schema.String)
      },
      success: RunList,
      error: BadRequest
    }),
    HttpApiEndpoint.get("get", "/runs/:id", { params: IdParams, success: RunDetails, error: [BadRequest, NotFound] }),
    HttpApiEndpoint.get("history", "/runs/:id/history", {
      params: IdParams,
      query: { limit: Schema.optional(Schema.Int), before: Schema.optional(Schema.Int) },
      success: History,
      error: [BadRequest, NotFound]
    }),
    HttpApiEndpoint.get("diagram", "/runs/:id/diagram", {
      params: IdParams,
      success: Diagram,
      error: [BadRequest, NotFound]
    }),
    HttpApiEndpoint.post("interrupt", "/runs/:id/interrupt", {
      params: IdParams,
      success: RunStatus,
      error: [BadRequest, NotFound]
    }),
    HttpApiEndpoint.post("fork", "/runs/:id/fork", {
      params: IdParams,
      payload: ForkRequest,
      success: ForkResponse,
      error: [BadRequest, NotFound, Conflict]
    }),
    HttpApiEndpoint.delete("delete", "/runs/:id", {
      params: IdParams,
      success: Deleted,
      error: [BadRequest, NotFound]
    })
  )
  const flows = HttpApiGroup.make("flows").add(HttpApiEndpoint.get("list", "/flows", { success: FlowList }))
  const answers = HttpApiGroup.make("answers").add(
    HttpApiEndpoint.post("answer", "/answers", {
      payload: Schema.Union([AnswerByToken, AnswerByKey]),
      success: AnswerResponse,
      error: [BadRequest, NotFound, Conflict]
    })
  )
  const events = HttpApiGroup.make("events").add(
    HttpApiEndpoint.get("events", "/runs/:id/events", {
      params: IdParams,
      headers: { "last-event-id": Schema.optional(Schema.String) },
      success: HttpApiSchema.StreamSse({ events: SseEvent }),
      error: [BadRequest, NotFound]
    })
  )
  return HttpApi.make("effect-pocketflow")
    .add(runs, flows, answers, events)
    // The first is the innermost: the token is checked before anything of the request is decoded.
    .middleware(RequestErrors)
    .middleware(Authorization)
    .annotate(OpenApi.Title, "effect-pocketflow server")
    .annotate(
      OpenApi.Description,
      "Durable runs over HTTP: start, list, read, answer, interrupt, fork and delete runs, and stream their events " +
        "(Server-Sent Events with Last-Event-ID re-attach)."
    )
}

/** The API's type (the same whatever the cookie's name). */
export type Api = ReturnType<typeof make>["api"]

/** The security middleware's instances (its class is made per cookie name): what HttpApi reads off them. */
export interface AuthorizationSelf {
  readonly "~effect/http-api/HttpApiMiddleware": {
    readonly error: typeof Unauthorized
    readonly requires: never
    readonly provides: never
    readonly clientError: never
    readonly requiredForClient: false
  }
}

/**
 * The security middleware's class, spelled out: the declarations emitted for `makeAuthorization` could not name the
 * inferred one (TS4023).
 */
export type AuthorizationClass = HttpApiMiddleware.ServiceClass<
  AuthorizationSelf,
  "effect-pocketflow/server/Authorization",
  {
    requires: never
    provides: never
    error: typeof Unauthorized
    clientError: never
    requiredForClient: false
    security: { readonly bearer: HttpApiSecurity.Http; readonly cookie: HttpApiSecurity.ApiKey }
  }
>

/** The security middleware's class. */
export type Authorization = AuthorizationClass
