/** Helpers for the `Durable.toWorkflow` tests: waiting for a run's result, reading it, and the same run locally. */
import { assert } from "@effect/vitest"
import { Cause, type Duration, Effect, Exit, Option } from "effect"
import type { Workflow, WorkflowEngine } from "effect/workflow"
import { Checkpointer, Durable, type Flow, type Shared } from "../../src/index.ts"

type Polled = Effect.Effect<Option.Option<Workflow.Result<any, any>>, never, WorkflowEngine.WorkflowEngine>

interface Pollable {
  readonly poll: (id: string) => Polled
}

export const isComplete = (r: Workflow.Result<any, any>) => r._tag === "Complete"

/**
 * Polls (real time) every `every`, at most `times` times, until the run has a result that satisfies `done`
 * (by default: complete).
 */
export const settle = (
  wf: Pollable,
  id: string,
  done: (r: Workflow.Result<any, any>) => boolean = isComplete,
  poll: { readonly every: Duration.Input; readonly times: number } = { every: "2 millis", times: 2000 }
) =>
  Effect.gen(function*() {
    for (let i = 0; i < poll.times; i++) {
      const result = yield* wf.poll(id)
      if (Option.isSome(result) && done(result.value)) return result.value
      yield* Effect.sleep(poll.every)
    }
    return yield* Effect.die(new Error(`run ${id} never settled`))
  })

/** What a run that completed successfully returned: the flow's last action and the encoded stores. */
export const completed = (result: Workflow.Result<any, any>) => {
  assert.strictEqual(result._tag, "Complete")
  const exit = (result as Workflow.Complete<any, any>).exit
  assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
  return (exit as Exit.Success<{ action: string; stores: Record<string, unknown> }>).value
}

/** The final state of the same flow under `Durable.run` on the memory checkpointer, for comparison. */
export const locally = <S>(flow: Flow.Flow<any, any, any>, initial: Shared.Initial<any, S>) =>
  Durable.run(flow as never, { id: "local", stores: [initial] }).pipe(
    Effect.andThen(Durable.state("local", initial.store)),
    Effect.provide(Checkpointer.layerMemory)
  )
