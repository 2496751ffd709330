/**
 * The OpenAPI document at `/openapi.json` describes every endpoint, with HttpApi's default operation ids
 * (`group.endpoint`) and the bearer scheme; `/docs` serves its reference page (Swagger UI). docs/server.md lists every path.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Checkpointer } from "effect-pocketflow"
import { Server } from "effect-pocketflow/server"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"

const layer = Server.layer({ announce: false, token: "t" }).pipe(Layer.provideMerge(Checkpointer.layerMemory))
const doc = readFileSync(resolve(import.meta.dirname, "../../docs/server.md"), "utf8")

describe("server OpenAPI", () => {
  it.live("/openapi.json lists every endpoint by group.endpoint; /docs shows it; docs/server.md documents each", () =>
    Effect.gen(function*() {
      const server = yield* Server.Server
      const get = (path: string) =>
        Effect.promise(() =>
          fetch(`${server.baseUrl}${path}`).then(async (r) => ({ status: r.status, text: await r.text() }))
        )
      const openapi = yield* get("/openapi.json")
      assert.strictEqual(openapi.status, 200)
      const spec = JSON.parse(openapi.text) as {
        paths: Record<string, Record<string, { operationId: string }>>
        components: { securitySchemes: Record<string, { type: string; scheme?: string }> }
      }
      const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`)
      ).sort()
      assert.deepStrictEqual(operations, [
        "answers.answer POST /answers",
        "events.events GET /runs/{id}/events",
        "flows.list GET /flows",
        "runs.delete DELETE /runs/{id}",
        "runs.diagram GET /runs/{id}/diagram",
        "runs.fork POST /runs/{id}/fork",
        "runs.get GET /runs/{id}",
        "runs.history GET /runs/{id}/history",
        "runs.interrupt POST /runs/{id}/interrupt",
        "runs.list GET /runs",
        "runs.start POST /runs"
      ])
      assert.include(Object.values(spec.components.securitySchemes).map((s) => s.scheme?.toLowerCase()), "bearer")
      const docs = yield* get("/docs")
      assert.strictEqual(docs.status, 200)
      // Swagger UI, with the same document inline.
      assert.include(docs.text, "<title>effect-pocketflow server Documentation</title>")
      assert.include(docs.text, "runs.start")
      for (const line of operations) {
        const [, method, path] = line.split(" ")
        assert.include(doc, `${method} ${path!.replace("{id}", ":id")}`, `docs/server.md documents ${line}`)
      }
    }).pipe(Effect.provide(layer)))
})
