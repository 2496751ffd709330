/**
 * docs/viewer.md documents the viewer's JSON API (issue 17: a user had to read /app.js to find it). Every route the
 * page lists answers on a running viewer, with a status the page gives for it, and the page lists every route the
 * server has. Over HTTP only, so the server that replaces the viewer's router must keep the page true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Checkpointer } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as example from "../../examples/viewer.ts"

const doc = readFileSync(resolve(import.meta.dirname, "../../docs/viewer.md"), "utf8")

/** The routes table's API rows: `GET /runs?status=<status>` → ["GET", "/runs"] (the page's files left out). */
const documented = Array.from(
  doc.matchAll(/^\| `(GET|POST|DELETE) (\/(?:runs|answers|flows)[^`?]*)(?:\?[^`]*)?` \|/gm),
  (m) => [m[1]!, m[2]!] as const
)

const layer = Viewer.layer({ announce: false }).pipe(
  Layer.provideMerge(Checkpointer.layerMemory),
  Layer.provideMerge(example.model)
)

describe("docs/viewer.md", () => {
  it.live("every documented API route answers as documented; other routes are 404 no such endpoint", () =>
    Effect.gen(function*() {
      const viewer = yield* Viewer.Viewer
      const outcome = yield* Viewer.run(example.flow, { id: "r1", stores: [example.initial] })
      const token = outcome._tag === "Suspended" ? outcome.waiting[0]!.token : ""
      const call = (method: string, path: string, body?: unknown) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${viewer.port}${path}`, {
            method,
            headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          })
          return { status: response.status, body: await response.json() as Record<string, unknown> }
        })
      const bodies: Record<string, unknown> = {
        "/answers": { token, value: { approve: true, feedback: "ok" } },
        "/runs/<id>/fork": { version: 1 },
        "/runs/<id>/interrupt": {}
      }
      assert.deepStrictEqual(documented.map(([m, p]) => `${m} ${p}`), [
        "GET /flows",
        "GET /runs",
        "GET /runs/<id>",
        "GET /runs/<id>/history",
        "GET /runs/<id>/diagram",
        "POST /answers",
        "POST /runs/<id>/fork",
        "POST /runs/<id>/interrupt",
        "DELETE /runs/<id>"
      ])
      for (const [method, path] of documented) {
        const reply = yield* call(method, path.replace("<id>", "r1"), method === "POST" ? bodies[path] : undefined)
        assert.strictEqual(reply.status, 200, `${method} ${path}: ${JSON.stringify(reply.body)}`)
      }
      // The viewer's old routes are gone with its router.
      for (const [method, path] of [["GET", "/answers"], ["GET", "/api/runs"], ["GET", "/runs/r1/fork"]]) {
        const reply = yield* call(method!, path!, method === "POST" ? {} : undefined)
        assert.strictEqual(reply.status, 404, `${method} ${path}`)
        assert.strictEqual(reply.body["error"], "no such endpoint")
      }
      // The limits and messages the page states.
      assert.include(doc, "over 1 MiB")
      assert.include(doc, "Authorization: Bearer <token>")
    }).pipe(Effect.provide(layer)))
})
