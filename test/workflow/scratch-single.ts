import { Effect, Layer, Option } from "effect"
import { readFileSync } from "node:fs"
import { start } from "../../scripts/postgres.mjs"
import { database, single, workflows } from "./fixtures/cluster.ts"
import { LoopStore } from "./fixtures/flows.ts"

const pgs = await start()
try {
  const log = "/tmp/cluster-scratch/exec.log"
  const wfs = workflows(log, 5)
  const program = Effect.gen(function*() {
    const url = yield* database(pgs.url, "wf_scratch")
    yield* Effect.gen(function*() {
      yield* wfs.loop.start({ id: "loop-1", stores: [LoopStore.initial({ n: 0, total: 0, trail: [] })] })
      for (let i = 0; i < 40; i++) {
        const r = yield* wfs.loop.poll("loop-1")
        console.log(i, Option.isSome(r) ? r.value._tag : "none", readFileSync(log, "utf8").split("\n").length)
        if (Option.isSome(r) && r.value._tag === "Complete") { console.log(JSON.stringify(r.value)); break }
        yield* Effect.sleep("250 millis")
      }
    }).pipe(Effect.provide(Layer.mergeAll(wfs.loop.layer).pipe(Layer.provideMerge(single(url)))))
  })
  await Effect.runPromise(program)
} finally {
  pgs.stop()
}
