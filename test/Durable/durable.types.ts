/**
 * Type-level guarantees of durable runs, checked by `tsc` (type-checked through tsconfig's "test" include, not run by
 * vitest). Each `// @ts-expect-error` marks a line that must not compile: if the guarantee broke, the line would
 * compile and tsc would report the unused directive.
 */
import { Context, Effect, Option, Schema } from "effect"
import { Checkpointer, Durable, type Errors, Flow, Node, Shared } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

const State = Schema.Struct({ n: Schema.Number })
class Saved extends Shared.Service<Saved>()("types/durable/Saved", { schema: State }) {}
class Other extends Shared.Service<Other>()("types/durable/Other", { schema: Schema.Struct({ s: Schema.String }) }) {}
class Plain extends Shared.Service<Plain, { readonly n: number }>()("types/durable/Plain") {}
class Llm extends Context.Service<Llm, { readonly complete: (p: string) => Effect.Effect<string> }>()("types/Llm") {}

const Approval = Durable.input("approval", { answer: Schema.Struct({ ok: Schema.Boolean }), prompt: Schema.String })
const Confirm = Durable.input("confirm", { answer: Schema.Boolean })

// ---------------------------------------------------------------------------------------------------
// stores with a schema: state inferred; a store without one cannot be listed in `stores`
// ---------------------------------------------------------------------------------------------------

check<Equals<Shared.StateOf<typeof Saved>, { readonly n: number }>>()
// @ts-expect-error the initial state must match the schema
Saved.initial({ n: "one" })

const counting = Node.make({ name: "counting", post: () => Saved.update((s) => ({ n: s.n + 1 })) })
const countFlow = Flow.make({ name: "count", start: counting })

// @ts-expect-error a store declared without a schema has no `initial`
Durable.run(countFlow, { id: "x", stores: [Plain.initial({ n: 0 })] })
// @ts-expect-error nor can it be listed by hand as an Initial
Durable.run(countFlow, { id: "x", stores: [{ _tag: "Initial", store: Plain, state: { n: 0 } }] })
// @ts-expect-error nor listed in resume's `stores`
Durable.resume(countFlow, { id: "x", stores: [Plain] })
const plainEdit = { _tag: "Edit", store: Plain, edit: (s: { readonly n: number }) => s } as const
// @ts-expect-error nor edited by a fork
Durable.fork({ from: "x", version: 1, to: "y", stores: [plainEdit] })

// ---------------------------------------------------------------------------------------------------
// listed stores leave R; unlisted ones stay for the caller to provide
// ---------------------------------------------------------------------------------------------------

const listed = Durable.run(countFlow, { id: "x", stores: [Saved.initial({ n: 0 })] })
check<Equals<Effect.Services<typeof listed>, Checkpointer.Checkpointer>>()
check<Equals<Effect.Success<typeof listed>, Durable.Outcome<"default">>>()
check<Equals<Effect.Error<typeof listed>, Errors.CheckpointError | Errors.RunLocked | Errors.RunFailed>>()

const resumed = Durable.resume(countFlow, { id: "x", stores: [Saved] })
check<Equals<Effect.Services<typeof resumed>, Checkpointer.Checkpointer>>()
check<Equals<Effect.Error<typeof resumed>, Errors.CheckpointError | Errors.RunLocked | Errors.RunNotFound>>()

const both = Node.make({
  name: "both",
  prep: Effect.zip(Saved.get, Other.get),
  exec: () => Effect.flatMap(Effect.service(Llm), (llm) => llm.complete("hi"))
})
const bothFlow = Flow.make({ name: "both", start: both })
const partly = Durable.run(bothFlow, { id: "x", stores: [Saved.initial({ n: 0 })] })
check<Equals<Effect.Services<typeof partly>, Other | Llm | Checkpointer.Checkpointer>>()
const fully = Durable.run(bothFlow, { id: "x", stores: [Saved.initial({ n: 0 }), Other.initial({ s: "" })] })
check<Equals<Effect.Services<typeof fully>, Llm | Checkpointer.Checkpointer>>()

// ---------------------------------------------------------------------------------------------------
// a node calling `ask` needs Durable.Run; Durable.run provides it, a plain Flow.run does not
// ---------------------------------------------------------------------------------------------------

check<Equals<Effect.Services<ReturnType<typeof Confirm.ask>>, Durable.Run>>()
const review = Node.make({
  name: "review",
  exec: () => Approval.ask("Publish?"),
  post: (_, a) => Saved.update((s) => ({ n: a.ok ? s.n + 1 : s.n }))
})
check<Equals<Node.Services<typeof review>, Durable.Run | Saved>>()
const reviewFlow = Flow.make({ name: "f", start: review })

const plain = Flow.run(reviewFlow).pipe(Effect.provide(Saved.layer({ n: 0 })))
check<Equals<Effect.Services<typeof plain>, Durable.Run>>()
const answers = Durable.layerAnswers(Approval, (prompt) => Effect.succeed({ ok: prompt === "" }))
const answered = plain.pipe(Effect.provide(answers))
check<Equals<Effect.Services<typeof answered>, never>>()
// @ts-expect-error a plain Flow.run of a flow that asks cannot run without layerAnswers
Effect.runPromise(plain)
Effect.runPromise(answered)

const durable = Durable.run(reviewFlow, { id: "x", stores: [Saved.initial({ n: 0 })] })
check<Equals<Effect.Services<typeof durable>, Checkpointer.Checkpointer>>()

// ---------------------------------------------------------------------------------------------------
// ask: typed answers and prompts; InputTimeout in E only with `timeout`
// ---------------------------------------------------------------------------------------------------

const untimed = Approval.ask("Publish?")
check<Equals<Effect.Success<typeof untimed>, { readonly ok: boolean }>>()
check<Equals<Effect.Error<typeof untimed>, never>>()
const keyed = Approval.ask("Publish?", { key: "left" })
check<Equals<Effect.Error<typeof keyed>, never>>()
const timed = Approval.ask("Publish?", { timeout: "1 hour" })
check<Equals<Effect.Error<typeof timed>, Errors.InputTimeout>>()
check<Equals<Effect.Error<ReturnType<typeof Confirm.ask>>, never>>()
const confirmTimed = Confirm.ask({ timeout: "1 day" })
check<Equals<Effect.Error<typeof confirmTimed>, Errors.InputTimeout>>()

const timedNode = Node.make({ name: "timed", exec: () => Approval.ask("Publish?", { timeout: "1 hour" }) })
check<Equals<Node.Error<typeof timedNode>, Errors.InputTimeout>>()
const timedRun = Durable.run(Flow.make({ name: "t", start: timedNode }), { id: "x", stores: [] })
type RunErrors = Errors.CheckpointError | Errors.RunLocked | Errors.RunFailed
check<Equals<Effect.Error<typeof timedRun>, Errors.InputTimeout | RunErrors>>()

// @ts-expect-error the prompt is typed by the input's prompt schema
Approval.ask(42)
// @ts-expect-error an input declared without a prompt schema takes no prompt
Confirm.ask("sure?")

// ---------------------------------------------------------------------------------------------------
// answers are typed by the input
// ---------------------------------------------------------------------------------------------------

const answer = Durable.answer({ id: "x", input: Approval, value: { ok: true } })
check<Equals<Effect.Services<typeof answer>, Checkpointer.Checkpointer>>()
check<
  Equals<
    Effect.Error<typeof answer>,
    Errors.NotWaiting | Errors.AlreadyAnswered | Errors.CheckpointError | Schema.SchemaError
  >
>()
// @ts-expect-error the value must be the input's answer type
Durable.answer({ id: "x", input: Approval, value: { ok: "yes" } })
Durable.answer({ token: "t", value: { ok: "any JSON, checked at run time" } })

// ---------------------------------------------------------------------------------------------------
// Durable.get: the snapshot with what an operator needs besides it (issue 17)
// ---------------------------------------------------------------------------------------------------

const got = Durable.get("x")
check<Equals<Effect.Success<typeof got>, Option.Option<Durable.RunDetails>>>()
check<Equals<Effect.Error<typeof got>, Errors.CheckpointError>>()
declare const details: Durable.RunDetails
// Every field of a snapshot is still there.
export const asSnapshot: Durable.Snapshot = details
check<Equals<typeof details.answered, ReadonlyArray<string>>>()
check<Equals<typeof details.lease, Checkpointer.Lease | undefined>>()
check<Equals<(typeof details.items)[string], Durable.ItemCount>>()
check<
  Equals<Checkpointer.Lease, { readonly owner: string; readonly expiresAt: number; readonly heartbeatAt: number }>
>()
// @ts-expect-error details are read-only
details.answered = []
