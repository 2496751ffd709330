/**
 * The server listens before its app serves (the API is built with the port in it). A request in between must not be
 * lost: Node drops a request that finds no `request` handler and its client waits forever — a client re-attaching to a
 * restarted server met exactly that (the kill test of `effect-pocketflow serve` hung under load).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { heldUntilServed } from "../../src/server/internal/held.ts"

/** Listens, sends one request before any handler exists, adds the handler 200 ms later: what the request got. */
const early = (server: Server) =>
  Effect.promise(async () => {
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    const { port } = server.address() as AddressInfo
    const answer = fetch(`http://127.0.0.1:${port}/runs`, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => `${response.status} ${await response.text()}`,
      (error: Error) => `failed: ${error.name}`
    )
    await new Promise((done) => setTimeout(done, 200))
    server.on("request", (request, response) => response.end(`served ${request.url}`))
    const got = await answer
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    return got
  })

describe("the server's Node HTTP server", () => {
  it.live("a request that arrives before the app serves is held and served, not dropped", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* early(heldUntilServed()), "200 served /runs")
      // Node's own server loses it: the client gets nothing until its timeout.
      assert.strictEqual(yield* early(createServer()), "failed: TimeoutError")
    }))
})
