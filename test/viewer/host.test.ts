/**
 * Where the viewer may listen: loopback only, unless `allowRemote` says otherwise in so many words. An empty host
 * (an empty `--host=` or environment variable) means every interface to Node, and is refused like any other
 * non-loopback address, before anything is bound.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { Checkpointer } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { isLoopback, refusal } from "../../src/server/internal/host.ts"

const start = (options: Viewer.Options) =>
  Effect.service(Viewer.Viewer).pipe(
    Effect.provide(Viewer.layer({ announce: false, ...options }).pipe(Layer.provide(Checkpointer.layerMemory))),
    Effect.scoped
  )

describe("Viewer.layer host", () => {
  it.live("an empty host or a non-loopback address is refused with HostRefused, saying how to allow it", () =>
    Effect.gen(function*() {
      // Unbindable addresses first: on code that does not refuse, the test fails before it binds a wildcard.
      for (const host of ["192.168.1.20", "10.0.0.1", "viewer.invalid", "128.0.0.1", "", " ", "0.0.0.0", "::"]) {
        const error = yield* Effect.flip(start({ host }))
        assert.strictEqual(error._tag, "HostRefused", host)
        if (error._tag !== "HostRefused") continue
        assert.strictEqual(error.host, host)
        assert.include(error.message, "allowRemote: true", host)
        assert.include(error.message, host.trim() === "" ? "every network interface" : "not a loopback address")
      }
    }))

  it.live("loopback addresses are accepted, and allowRemote is not needed for them", () =>
    Effect.gen(function*() {
      for (const host of ["127.0.0.1", "localhost", "127.0.0.2"]) {
        const viewer = yield* start({ host })
        assert.strictEqual(viewer.host, host)
        assert.isAbove(viewer.port, 0)
      }
      const allowed = yield* Effect.exit(start({ host: "127.0.0.1", allowRemote: true }))
      assert.isTrue(Exit.isSuccess(allowed))
    }))

  it("loopback is 127.0.0.0/8, ::1 and localhost; allowRemote lets any address through", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      assert.isTrue(isLoopback(host), host)
    }
    for (const host of ["", "0.0.0.0", "::", "127.0.0.256", "127.0.0", "localhost.example", "::ffff:10.0.0.1"]) {
      assert.isFalse(isLoopback(host), host)
    }
    assert.isUndefined(refusal("0.0.0.0", true))
    assert.isUndefined(refusal("", true))
    assert.include(refusal("", false, "add --allow-remote") ?? "", "add --allow-remote")
  })
})
