/**
 * The flow of the cluster example, and everything runners and clients must agree on: the workflow (its name and
 * store schemas), the input, and the sharding settings.
 *
 * A report is written in three steps: `outline` picks the sections, `sections` writes each one (a `Flow.batch`, two at
 * a time), `review` asks a human to approve it, and `publish` marks it published. The same node code runs under
 * `Durable.run`; here every node step is an `Activity` of an effect/workflow `Workflow`.
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Durable, Flow, Node, Shared } from "effect-pocketflow"
import * as ClusterWorkflowEngine from "effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

const Report = Schema.Struct({
  topic: Schema.String,
  titles: Schema.Array(Schema.String),
  sections: Schema.Record(Schema.String, Schema.String),
  note: Schema.String,
  published: Schema.Boolean
})
export class ReportStore extends Shared.Service<ReportStore>()("examples/cluster/Report", { schema: Report }) {}

class Section extends Context.Service<Section, { readonly title: string }>()("examples/cluster/Section") {}

/** The reviewer's answer; the prompt is the report's topic. */
export const Approval = Durable.input("approval", {
  answer: Schema.Struct({ ok: Schema.Boolean, note: Schema.String }),
  prompt: Schema.String
})

/** Which process ran a step: the example prints it to show runs spread over the runners. */
const who = () => process.env.RUNNER_NAME ?? "?"

const outline = Node.make({
  name: "outline",
  prep: ReportStore.get,
  exec: (s) => Effect.succeed([`Why ${s.topic}`, `How ${s.topic} works`, `${s.topic} in production`]),
  post: (_, titles) => ReportStore.update((s) => ({ ...s, titles }))
})

const write = Node.make({
  name: "write",
  prep: Effect.service(Section),
  exec: ({ title }) => Effect.as(Effect.sleep("200 millis"), `${title}: written by runner ${who()}.`),
  post: ({ title }, text) => ReportStore.update((s) => ({ ...s, sections: { ...s.sections, [title]: text } }))
})

const sections = Flow.batch({
  name: "sections",
  flow: write,
  params: Section,
  prep: Effect.map(ReportStore.get, (s) => s.titles.map((title) => ({ title }))),
  concurrency: 2
})

const review = Node.make({
  name: "review",
  prep: ReportStore.get,
  exec: (s) => Approval.ask(s.topic),
  post: (_, answer) =>
    Effect.as(
      ReportStore.update((s) => ({ ...s, note: answer.note })),
      answer.ok ? "approved" as const : "rejected" as const
    )
})

const publish = Node.make({
  name: "publish",
  post: () => ReportStore.update((s) => ({ ...s, published: true }))
})

export const flow = Flow.make({ name: "report", start: outline }).pipe(
  Flow.next(outline, sections),
  Flow.next(sections, review),
  Flow.on(review, "approved", publish),
  Flow.end(review, "rejected")
)

/** The input key of the review's ask: `<step id>/<input>#<n>`, as `Durable.run` names it too. */
export const reviewKey = "report/review#1/approval#1"

export const report = Durable.toWorkflow(flow, { name: "report", stores: [ReportStore] })

/**
 * Sharding settings for a laptop demo: storage polled every 200 ms and peers checked every 2 s. The effect/cluster
 * defaults (10 s and 1 min) suit production, where messages mostly arrive by socket; see docs/scale-out.md.
 */
const sharding = {
  entityMessagePollInterval: Duration.millis(200),
  runnerHealthCheckInterval: Duration.seconds(2)
}

const postgres = (url: string) => PgClient.layer({ url: Redacted.make(url) })

/** A runner on 127.0.0.1:`port`: the report workflow is registered here and its runs execute here. */
export const runnerLayer = (url: string, port: number) => {
  const address = Option.some(RunnerAddress.make("127.0.0.1", port))
  return report.layer.pipe(
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: { ...sharding, runnerAddress: address, runnerListenAddress: address }
      })
    ),
    Layer.provide(postgres(url))
  )
}

/** A client: starts, polls and answers runs, and runs nothing itself. */
export const clientLayer = (url: string) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig: sharding })),
    Layer.provide(postgres(url))
  )
