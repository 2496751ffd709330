import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Viewer } from "effect-pocketflow/viewer"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as example from "../../examples/viewer.ts"

describe("repro", () => {
  it.live("x", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "repro-"))
      yield* Effect.gen(function*() {
        const viewer = yield* Viewer.Viewer
        console.log("start", process.memoryUsage().heapUsed)
        const outcome = yield* Viewer.run(example.flow, { id: "release-1", stores: [example.initial] })
        console.log("ran", outcome._tag, process.memoryUsage().heapUsed)
        const r = yield* Effect.promise(() => fetch(`http://127.0.0.1:${viewer.port}/runs`, { headers: { authorization: `Bearer ${viewer.token}` } }).then((r) => r.text()))
        console.log(r.slice(0, 200), process.memoryUsage().heapUsed)
        assert.strictEqual(outcome._tag, "Suspended")
      }).pipe(Effect.provide(example.layer(dir, { announce: false })))
    }), 30_000)
})
