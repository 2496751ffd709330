/** Ports for the tests' servers: one free on 127.0.0.1 now (for a server that must come back on the same one). */
import { Effect } from "effect"
import { createServer } from "node:net"

/** A port nothing listens on now: bound by a probe on 127.0.0.1, closed, and returned. */
export const freePortPromise = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

/** {@link freePortPromise} as an Effect. */
export const freePort: Effect.Effect<number> = Effect.promise(freePortPromise)
