/**
 * A client's mistake is a 4xx with a readable message, never a 500: a body that is not JSON (400), a path whose
 * percent-escapes do not decode (400), a body over the size limit (413, whether its length is announced or it comes
 * in chunks). Written against HTTP only (fetch on 127.0.0.1), so any server that replaces the viewer's router must
 * pass them as they are; a refused request changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Checkpointer, Durable } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import * as example from "../../examples/viewer.ts"

const layer = Viewer.layer({ announce: false }).pipe(
  Layer.provideMerge(Checkpointer.layerMemory),
  Layer.provideMerge(example.model)
)

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly error: string
}

/** The example's run suspended at review, and a way to call the API with the viewer's token. */
const setup = Effect.gen(function*() {
  const viewer = yield* Viewer.Viewer
  const outcome = yield* Viewer.run(example.flow, { id: "r1", stores: [example.initial] })
  assert.strictEqual(outcome._tag, "Suspended")
  const call = (path: string, init: { readonly method?: string; readonly body?: RequestInit["body"] } = {}) =>
    Effect.promise(async (): Promise<Answer> => {
      const response = await fetch(`http://127.0.0.1:${viewer.port}${path}`, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
        ...(init.body === undefined ? {} : { body: init.body, duplex: "half" } as RequestInit)
      })
      const text = await response.text()
      const contentType = response.headers.get("content-type") ?? ""
      return {
        status: response.status,
        contentType,
        error: contentType.startsWith("application/json") ? String(JSON.parse(text).error) : text
      }
    })
  return { call, token: outcome._tag === "Suspended" ? outcome.waiting[0]!.token : "" }
})

const stillWaiting = Effect.gen(function*() {
  const cp = yield* Checkpointer.Checkpointer
  assert.deepStrictEqual(yield* cp.answers("r1"), [])
  const run = Option.getOrThrow(yield* Durable.get("r1"))
  assert.strictEqual(run.status, "suspended")
  return run
})

/** A body of `size` bytes sent in chunks, with no content-length. */
const chunked = (size: number) => {
  const chunk = new Uint8Array(64 * 1024).fill(0x20)
  let sent = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close()
      controller.enqueue(chunk)
      sent += chunk.length
    }
  })
}

describe("viewer client errors", () => {
  it.live("a body that is not JSON is a 400 saying so, on every route that reads one", () =>
    Effect.gen(function*() {
      const { call } = yield* setup
      for (const path of ["/answers", "/runs/r1/fork"]) {
        for (const body of ["{\"token\": ", "{token: 1}", "not json", "\"unterminated"]) {
          const reply = yield* call(path, { method: "POST", body })
          assert.strictEqual(reply.status, 400, `${path} ${body}`)
          assert.match(reply.contentType, /^application\/json/)
          assert.include(reply.error, "not valid JSON", `${path} ${body}`)
        }
      }
      yield* stillWaiting
    }).pipe(Effect.provide(layer)))

  it.live("JSON of the wrong shape is a 400 naming the shape expected", () =>
    Effect.gen(function*() {
      const { call } = yield* setup
      for (const body of ["5", "null", "[]", "\"x\"", "{}", "{\"token\": 5, \"value\": 1}"]) {
        const reply = yield* call("/answers", { method: "POST", body })
        assert.strictEqual(reply.status, 400, body)
        assert.include(reply.error, "expected { token, value }", body)
        const fork = yield* call("/runs/r1/fork", { method: "POST", body })
        assert.strictEqual(fork.status, 400, body)
        assert.include(fork.error, "expected { version", body)
      }
      yield* stillWaiting
    }).pipe(Effect.provide(layer)))

  it.live("a path whose percent-escapes do not decode is a 400, on every route that takes a run id", () =>
    Effect.gen(function*() {
      const { call } = yield* setup
      for (const id of ["%", "%E0%A4%A", "%ZZ", "r1%FF", "%ED%A0%BD"]) {
        for (const [method, suffix] of [["GET", ""], ["POST", "/fork"], ["POST", "/interrupt"]] as const) {
          const reply = yield* call(`/runs/${id}${suffix}`, method === "GET" ? {} : { method, body: "{}" })
          assert.strictEqual(reply.status, 400, `${method} ${id}${suffix}`)
          assert.include(reply.error, "percent", `${method} ${id}${suffix}`)
        }
      }
      assert.strictEqual((yield* stillWaiting).status, "suspended")
    }).pipe(Effect.provide(layer)))

  it.live("a body over 1 MiB is a 413, announced or chunked; a body under it is read", () =>
    Effect.gen(function*() {
      const { call, token } = yield* setup
      const value = { approve: false, feedback: "" }
      const padded = (size: number) => JSON.stringify({ token, value, padding: "x".repeat(size) })
      const announced = yield* call("/answers", { method: "POST", body: padded(2 * 1024 * 1024) })
      assert.strictEqual(announced.status, 413)
      assert.include(announced.error, "1 MiB")
      const streamed = yield* call("/answers", { method: "POST", body: chunked(4 * 1024 * 1024) })
      assert.strictEqual(streamed.status, 413)
      assert.include(streamed.error, "1 MiB")
      const fork = yield* call("/runs/r1/fork", { method: "POST", body: chunked(2 * 1024 * 1024) })
      assert.strictEqual(fork.status, 413)
      yield* stillWaiting
      // The server is still up, and a body just under the limit is an answer like any other.
      const under = yield* call("/answers", { method: "POST", body: padded(1024 * 1024 - 1024) })
      assert.strictEqual(under.status, 200, under.error)
    }).pipe(Effect.provide(layer)))
})
