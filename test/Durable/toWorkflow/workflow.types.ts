/**
 * Type-level guarantees of `Durable.toWorkflow`, checked by `tsc` (not run by vitest). Each `// @ts-expect-error`
 * marks a line that must not compile.
 */
import { Context, Effect, type Layer, type Option, Schema } from "effect"
import type { Workflow, WorkflowEngine } from "effect/workflow"
import { Durable, Flow, Node, Shared } from "../../../src/index.ts"
import { check, type Equals } from "../../support/types.ts"

class Saved extends Shared.Service<Saved>()("types/wf/Saved", { schema: Schema.Struct({ n: Schema.Number }) }) {}
class Plain extends Shared.Service<Plain, { readonly n: number }>()("types/wf/Plain") {}
class Llm extends Context.Service<Llm, { readonly complete: (p: string) => Effect.Effect<string> }>()("types/wf/Llm") {}
class Boom extends Schema.TaggedError<Boom>()("Boom", { reason: Schema.String }) {}
class Other extends Schema.TaggedError<Other>()("Other", {}) {}

const Ok = Durable.input("ok", { answer: Schema.Boolean })

const step = Node.make({
  name: "step",
  prep: Saved.get,
  exec: (s) => Effect.flatMap(Effect.service(Llm), (llm) => llm.complete(String(s.n))),
  post: (_, text) => Effect.andThen(Saved.set({ n: text.length }), Node.action("done"))
})
const asks = Node.make({ name: "asks", exec: () => Ok.ask(), post: () => Effect.fail(new Boom({ reason: "no" })) })
const flow = Flow.make({ name: "f", start: step }).pipe(Flow.on(step, "done", asks))

const wf = Durable.toWorkflow(flow, { name: "f", stores: [Saved], error: Boom })

// The layer needs the engine and the services the flow uses, not the listed stores nor Durable.Run.
check<Equals<typeof wf.layer, Layer.Layer<never, never, WorkflowEngine.WorkflowEngine | Llm>>>()
// poll: the flow's last action and the encoded stores, or the flow's error.
type Polled = Effect.Success<ReturnType<typeof wf.poll>> extends Option.Option<Workflow.Result<infer S, infer F>> ?
  [S, F]
  : never
check<Equals<Polled[0]["action"], Node.Action<typeof flow>>>()
check<[Polled[1]] extends [Boom] ? [Boom] extends [Polled[1]] ? true : false : false>()

wf.start({ id: "r", stores: [Saved.initial({ n: 0 })] })
// @ts-expect-error the initial state must match the store's schema
wf.start({ id: "r", stores: [Saved.initial({ n: "zero" })] })

wf.answer({ id: "r", input: Ok, key: "f/asks#1/ok#1", value: true })
// @ts-expect-error the answer must match the input's schema
wf.answer({ id: "r", input: Ok, key: "f/asks#1/ok#1", value: "yes" })

// @ts-expect-error a store without a schema cannot be listed
Durable.toWorkflow(flow, { name: "g", stores: [Plain], error: Boom })

const failsTwoWays = Node.make({
  name: "two",
  exec: () => Effect.fail(new Other()),
  post: () => Effect.fail(new Boom({ reason: "x" }))
})
const two = Flow.make({ name: "h", start: failsTwoWays })
// @ts-expect-error the error schema must cover every error of the flow
Durable.toWorkflow(two, { name: "h", stores: [], error: Boom })
// @ts-expect-error a flow that can fail needs an error schema
Durable.toWorkflow(two, { name: "h", stores: [] })
Durable.toWorkflow(two, { name: "h", stores: [], error: Schema.Union([Boom, Other]) })
// a flow that cannot fail needs none
Durable.toWorkflow(Flow.make({ name: "i", start: Node.make({ name: "i" }) }), { name: "i", stores: [] })
