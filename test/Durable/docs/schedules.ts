import { Cron, Effect, Layer, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"

const State = Schema.Struct({ date: Schema.String, report: Schema.String })
export class Day extends Shared.Service<Day>()("docs/schedules/Day", { schema: State }) {}

const report = Flow.make({
  name: "report",
  start: Node.make({
    name: "write",
    prep: Day.get,
    exec: (d) => Effect.succeed(`Report for ${d.date}`),
    post: (_, text) => Day.update((d) => ({ ...d, report: text }))
  })
})

// Every day at 08:00 UTC, one run, id `report@2026-12-07T08:00:00.000Z`: however many workers list the schedule,
// exactly one of them starts each tick's run.
export const daily = Durable.schedule(report, {
  name: "report",
  cron: Cron.parseUnsafe("0 8 * * *", "UTC"),
  stores: (tick) => [Day.initial({ date: tick.toISOString().slice(0, 10), report: "" })]
})

// Each worker process: the worker, on the checkpointer every worker shares.
export const WorkerLive = Durable.layerWorker({ flows: [daily] })
export const AppLive = WorkerLive.pipe(Layer.provide(Checkpointer.layerSqlite({ filename: "runs.db" })))
