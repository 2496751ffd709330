/**
 * The client of the cluster example: `tsx examples/cluster/client.ts <postgres url> <run id>…`. It starts one report
 * per id, waits until each asks for approval, approves it, and prints each finished report.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { Approval, clientLayer, report, ReportStore, reviewKey } from "./flow.ts"

const [url, ...ids] = process.argv.slice(2) as [string, ...Array<string>]

/** Polls until the run's result has the wanted tag. */
const until = (id: string, tag: "Suspended" | "Complete") =>
  Effect.gen(function*() {
    while (true) {
      const result = yield* report.poll(id)
      if (Option.isSome(result) && result.value._tag === tag) return result.value
      yield* Effect.sleep("200 millis")
    }
  })

const program = Effect.gen(function*() {
  for (const id of ids) {
    yield* report.start({
      id,
      stores: [ReportStore.initial({ topic: id, titles: [], sections: {}, note: "", published: false })]
    })
  }
  yield* Console.log(`started ${ids.join(", ")}`)
  for (const id of ids) {
    yield* until(id, "Suspended")
    yield* Console.log(`${id} waits for approval (${reviewKey}): approving`)
    yield* report.answer({ id, input: Approval, key: reviewKey, value: { ok: true, note: "approved by the client" } })
  }
  for (const id of ids) {
    const done = yield* until(id, "Complete")
    if (done._tag === "Complete" && Exit.isSuccess(done.exit)) {
      yield* Console.log(`${id} finished: ${JSON.stringify(done.exit.value.stores[ReportStore.key])}`)
    } else {
      yield* Console.log(`${id} failed: ${JSON.stringify(done)}`)
    }
  }
})

Effect.runPromise(Effect.provide(program, clientLayer(url))).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
