/**
 * `digest`: a daily digest that lives on a worker, not in a program that calls it.
 *
 * A cron schedule (`Durable.schedule`, every day at 08:00 UTC) starts one durable run a day, with the day in its id
 * (`digest@2026-12-07T08:00:00.000Z`): however many workers run, each day's run is started once. The run summarizes
 * the day's items with the model, then sleeps durably until the reviewer's deadline (10:00: `Durable.sleepUntil`, a
 * timer in the checkpointer, not in the process), asks the reviewer for approval (`Durable.input`), and once approved
 * starts a child run per subscriber (`Durable.child`), each of which sends one mail. A worker (`Durable.layerWorker`)
 * hosts both flows: it starts the tick's run, wakes it when its timer is due, continues it once the answer is in, runs
 * the children and continues the parent when each child is done.
 *
 * So that the example takes a second rather than a day, its clock is effect's `TestClock`, moved forward by `main`
 * (08:00, 09:59, 10:00, the next morning); the worker, its timers and the schedule run unchanged on it. In production
 * the clock is the real one, and the checkpointer a shared one (`Checkpointer.layerSql`, …) that several worker
 * processes open.
 *
 * Run it with `npm run example -- digest`.
 */
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import type * as LanguageModel from "effect/ai/LanguageModel"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Cron from "effect/Cron"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { ask } from "./model.ts"

/** Who gets the digest. */
export const subscribers = ["ada@example.com", "grace@example.com", "alan@example.com"] as const

/** The day's run: its items, the summary, the reviewer's deadline, and the subscribers still to mail. */
const DigestState = Schema.Struct({
  day: Schema.String,
  items: Schema.Array(Schema.String),
  summary: Schema.String,
  /** The reviewer's deadline (epoch millis): the run waits until then before it asks. */
  deadline: Schema.Number,
  approved: Schema.Boolean,
  pending: Schema.Array(Schema.String),
  delivered: Schema.Array(Schema.String)
})
export class Digest extends Shared.Service<Digest>()("examples/digest/Digest", { schema: DigestState }) {}

/** One subscriber's mail: a child run of its own. */
const MailState = Schema.Struct({ day: Schema.String, to: Schema.String, summary: Schema.String, sent: Schema.Boolean })
export class Mail extends Shared.Service<Mail>()("examples/digest/Mail", { schema: MailState }) {}

/** What the reviewer answers; the prompt is the summary. */
export const Approval = Durable.input("digest-approval", {
  answer: Schema.Struct({ ok: Schema.Boolean }),
  prompt: Schema.String
})

/** The child flow: sends one mail (here: prints it). */
const sendMail = Node.make({
  name: "send",
  prep: Mail.get,
  exec: (m) => Console.log(`      mail to ${m.to}: [${m.day}] ${m.summary}`),
  post: () => Mail.update((m) => ({ ...m, sent: true }))
})
export const mail = Flow.make({ name: "digest-mail", start: sendMail })

const summarize = Node.make({
  name: "summarize",
  prep: Digest.get,
  exec: (d) => ask(`Summarize these items in one sentence for a newsletter:\n${d.items.join("\n")}`),
  post: (_, summary) => Digest.update((d) => ({ ...d, summary }))
})

/** Sleeps until the reviewer's deadline: a durable timer, so a worker restart does not lose it. */
const hold = Node.make({
  name: "hold",
  prep: Digest.get,
  exec: (d) => Durable.sleepUntil(new Date(d.deadline))
})

const review = Node.make({
  name: "review",
  prep: Digest.get,
  exec: (d) => Approval.ask(d.summary),
  post: (d, answer) =>
    Digest.update((s) => ({ ...s, approved: answer.ok })).pipe(
      Effect.as(answer.ok && d.pending.length > 0 ? "send" as const : "skip" as const)
    )
})

/** Mails the next subscriber through a child run, and loops until every subscriber has had it. */
const deliver = Node.make({
  name: "deliver",
  prep: Digest.get,
  exec: (d) =>
    Durable.child(mail, {
      id: `digest-${d.day}/${d.pending[0]}`,
      stores: [Mail.initial({ day: d.day, to: d.pending[0]!, summary: d.summary, sent: false })]
    }),
  post: (d) =>
    Digest.update((s) => ({ ...s, pending: s.pending.slice(1), delivered: [...s.delivered, d.pending[0]!] })).pipe(
      Effect.as(d.pending.length > 1 ? "next" as const : "done" as const)
    )
})

export const digest = Flow.make({ name: "digest", start: summarize, maxSteps: 50 }).pipe(
  Flow.next(summarize, hold),
  Flow.next(hold, review),
  Flow.on(review, "send", deliver),
  Flow.end(review, "skip"),
  Flow.on(deliver, "next", deliver),
  Flow.end(deliver, "done")
)

/** The reviewer's deadline: two hours after the tick. */
const deadlineAfter = 2 * 60 * 60 * 1000

/** The day's items (a real digest would read them from a feed). */
const itemsOf = (day: string) => [
  `${day}: Effect 4.1 ships a new Cron module`,
  `${day}: durable timers survive a worker restart`,
  `${day}: child runs report back to their parent`
]

/** Every day at 08:00 UTC, one run of `digest`, whatever the number of workers. */
export const daily = Durable.schedule(digest, {
  name: "digest",
  cron: Cron.parseUnsafe("0 8 * * *", "UTC"),
  stores: (tick) => {
    const day = tick.toISOString().slice(0, 10)
    return [
      Digest.initial({
        day,
        items: itemsOf(day),
        summary: "",
        deadline: tick.getTime() + deadlineAfter,
        approved: false,
        pending: subscribers,
        delivered: []
      })
    ]
  }
})

export const model = TestLanguageModel.layer(({ text }) =>
  text.startsWith("Summarize") ? "Cron schedules, durable timers and child runs land in one release." : undefined
)

/** The worker: the schedule and the child flow. A minute between polls is plenty for a daily digest. */
export const worker = (report: (line: string) => void) =>
  Durable.layerWorker({
    flows: [daily, Durable.register(mail, { stores: [Mail] })],
    name: "worker-1",
    poll: "1 minute",
    onEvent: (e) => {
      if (e._tag === "Scheduled") report(`worker: started ${e.id} (cron tick)`)
      if (e._tag === "Continued" && !e.id.includes("/")) {
        report(`worker: continued ${e.id}: ${e.outcome?._tag ?? "failed"}`)
      }
    }
  })

/** Prints `line` after the simulated clock's time (`HH:MM`, UTC). */
const log = (line: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (t) => Console.log(`${new Date(t).toISOString().slice(11, 16)} ${line}`))

/** Waits (in real time: the model may be a real one) until run `id` exists and `ok` holds of it. */
const until = (id: string, what: string, ok: (run: Durable.RunDetails) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 3000; i++) {
      const run = yield* Durable.get(id)
      if (Option.isSome(run) && ok(run.value)) return run.value
      yield* TestClock.withLive(Effect.sleep("10 millis"))
    }
    return yield* Effect.die(new Error(`run ${id} never ${what}`))
  })

/** The first tick the example sees: Monday 7 December 2026, 08:00 UTC. */
export const firstTick = new Date("2026-12-07T08:00:00.000Z")

/**
 * A day of the digest, then the next morning's tick, printed as it happens. Returns the first day's final store and
 * its mails' stores.
 */
export const program = Effect.gen(function*() {
  yield* TestClock.setTime(firstTick.getTime())
  return yield* Effect.scoped(Effect.gen(function*() {
    yield* Layer.build(worker((line) => console.log(`      ${line}`)))
    const id = `digest@${firstTick.toISOString()}`
    const sleeping = yield* until(id, "slept", (r) => r.status === "sleeping")
    const wakeAt = new Date(sleeping.waiting.find((w) => w.until !== undefined)!.until!).toISOString()
    yield* log(`${id} is sleeping until ${wakeAt}`)

    yield* TestClock.adjust("119 minutes")
    const early = yield* until(id, "read", () => true)
    yield* log(`${id} is still ${early.status}`)

    yield* TestClock.adjust("1 minute")
    const asking = yield* until(id, "asked", (r) => r.status === "suspended")
    yield* log(`${id} asks the reviewer: ${JSON.stringify(asking.waiting[0]!.prompt)}`)
    yield* Durable.answer({ id, input: Approval, value: { ok: true } })
    yield* log(`the reviewer approves`)

    // The worker sees the answer at its next poll, then runs the children one by one.
    yield* TestClock.adjust("1 minute")
    const done = yield* until(id, "finished", (r) => r.status === "done" || r.status === "failed")
    yield* log(`${id} is ${done.status}; its children: ${(done.children ?? []).join(", ")}`)

    // The next morning's tick starts the next day's run.
    yield* TestClock.adjust("1319 minutes")
    const next = `digest@${new Date(firstTick.getTime() + 86_400_000).toISOString()}`
    yield* until(next, "slept", (r) => r.status === "sleeping")
    yield* log(`${next} is sleeping until its reviewer's deadline`)

    const final = yield* Durable.state(id, Digest)
    const mails = yield* Effect.forEach(done.children ?? [], (child) => Durable.state(child, Mail))
    return { final, mails }
  }))
}).pipe(Effect.provide(Layer.mergeAll(Checkpointer.layerMemory, TestClock.layer())))

/** Runs the example on `languageModel`. */
export const mainOn = (languageModel: Layer.Layer<LanguageModel.LanguageModel, unknown> = model) =>
  Effect.gen(function*() {
    const { final } = yield* Effect.provide(program, languageModel)
    yield* Console.log(`Delivered to: ${final.delivered.join(", ")}`)
  })

export const main = mainOn()
