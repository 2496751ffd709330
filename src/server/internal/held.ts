import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

/**
 * A Node HTTP server that holds the requests arriving before the app serves. The server listens as soon as its layer
 * is built (the port is needed to build the API), but the app's request handler comes later, once the API, the hub and
 * the worker are set up: Node drops a request that finds no handler, and its client would wait forever (a client
 * re-attaching to a restarted server met exactly that). Held requests are handed to the handler once it is there.
 */
export const heldUntilServed = (): Server => {
  const server = createServer()
  const held: Array<readonly [IncomingMessage, ServerResponse]> = []
  let serving = false
  const hold = (request: IncomingMessage, response: ServerResponse) => {
    if (!serving) held.push([request, response])
  }
  server.on("request", hold)
  const onListener = (event: string | symbol) => {
    if (event !== "request" || serving) return
    // Called just before the handler is added; requests arrive only on a later turn of the event loop.
    queueMicrotask(() => {
      serving = true
      server.off("request", hold)
      server.off("newListener", onListener)
      for (const [request, response] of held.splice(0)) server.emit("request", request, response)
    })
  }
  server.on("newListener", onListener)
  return server
}
