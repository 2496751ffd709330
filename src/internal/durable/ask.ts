/**
 * `ask`: the `Durable.Run` service and the answer tokens. The service is the same for every engine: it finds the step
 * running in the fiber, gives the wait its key (`cursor.inputKey`: an input's name, `sleep` or `child`, numbered in
 * one sequence per name within the step) and lets the step's engine answer it.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type CheckpointError, type ChildFailed, InputTimeout } from "../../Errors.ts"
import type * as Checkpointer from "../checkpointer/service.ts"
import { ctors } from "../events.ts"
import type { Json } from "../json.ts"
import * as Cursor from "../walk/cursor.ts"
import type { RunState } from "./snapshot.ts"
import {
  type AskOptions,
  type ChildOutcome,
  type ChildRequest,
  CurrentStep,
  type InputDef,
  type Step,
  suspend,
  type Wake
} from "./step.ts"

/**
 * The service `ask` needs: `Durable.run` provides it to the steps it runs; `Durable.layerAnswers` provides one that
 * answers inline, for tests and terminal programs running a plain `Flow.run`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable } from "effect-pocketflow"
 *
 * const Ok = Durable.input("ok", { answer: Schema.Boolean })
 * const asked: Effect.Effect<boolean, never, Durable.Run> = Ok.ask()
 * ```
 * @category human input
 * @stability stable
 * @since 0.2.0
 */
export class Run extends Context.Service<Run, {
  readonly ask: (
    input: InputDef,
    prompt: unknown,
    options: AskOptions | undefined
  ) => Effect.Effect<unknown, InputTimeout>
  /** A durable timer (`Durable.sleep`, `Durable.sleepUntil`). @since 0.4.0 */
  readonly sleep: (wake: Wake) => Effect.Effect<void>
  /** A child run (`Durable.child`). @since 0.4.0 */
  readonly child: (request: ChildRequest) => Effect.Effect<ChildOutcome, ChildFailed | CheckpointError>
}>()("effect-pocketflow/Durable/Run") {}

/** What a wait is called in messages: an input, a timer or a child. */
export type Waited =
  | { readonly _tag: "input"; readonly name: string }
  | { readonly _tag: "sleep" }
  | { readonly _tag: "child"; readonly id: string }

/** `Durable input "x"`, `Durable.sleep`, `Durable.child "id"`: a wait as messages name it. */
export const describe = (what: Waited): string =>
  what._tag === "input"
    ? `Durable input ${JSON.stringify(what.name)} was asked`
    : what._tag === "sleep"
    ? "Durable.sleep was called"
    : `Durable.child ${JSON.stringify(what.id)} was called`

/** The step running in the fiber, or the defect `outside` explains (a wait where no step runs). */
const inStep = <A, E>(
  outside: (what: Waited) => string,
  what: Waited,
  f: (step: Step) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => {
    const step = fiber.getRef(CurrentStep)
    return step === undefined ? Effect.die(new Error(outside(what))) : f(step)
  })

/** `Durable.Run` for a durable engine; `outside` explains a wait where no step runs (a defect). */
export const service = (outside: (what: Waited) => string): Run["Service"] => ({
  ask: (input, prompt, options) =>
    inStep(outside, { _tag: "input", name: input.name }, (step) => {
      const key = Cursor.inputKey(step.id, input.name, Cursor.askSuffix(step.counters, input.name, options?.key))
      return step.ask(step, input, key, prompt, options)
    }),
  sleep: (wake) =>
    inStep(
      outside,
      { _tag: "sleep" },
      (step) =>
        step.sleep(step, Cursor.inputKey(step.id, "sleep", Cursor.askSuffix(step.counters, "sleep", undefined)), wake)
    ),
  child: (request) =>
    inStep(outside, { _tag: "child", id: request.id }, (step) =>
      step.child(
        step,
        Cursor.inputKey(step.id, "child", Cursor.askSuffix(step.counters, "child", undefined)),
        request
      ))
})

/**
 * The inputs declared in this process, by name, with their answer JSON Schema as text: `Durable.answer` by token
 * decodes with the input's own schema when it finds the declaration (a JSON Schema cannot carry filters or brands).
 * Inputs are declared once, at module level, like schemas: the set stays small.
 */
const inputs = new Map<string, Array<{ readonly def: InputDef; readonly schema: string }>>()

export const declare = (def: InputDef): void => {
  let same = inputs.get(def.name)
  if (same === undefined) inputs.set(def.name, same = [])
  same.push({ def, schema: JSON.stringify(def.answerSchema) })
}

/** The inputs declared in this process as `name` with this answer JSON Schema. */
export const declared = (name: string, answerSchema: Json): ReadonlyArray<InputDef> => {
  const same = inputs.get(name)
  if (same === undefined) return []
  const schema = JSON.stringify(answerSchema)
  return same.filter((d) => d.schema === schema).map((d) => d.def)
}

/** A token names the run and the key; it is opaque to users. */
export const tokenOf = (id: string, key: string): string => Buffer.from(JSON.stringify([id, key])).toString("base64url")

export const parseToken = (token: string): readonly [string, string] | undefined => {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
    return Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" &&
        typeof parsed[1] === "string"
      ? [parsed[0], parsed[1]]
      : undefined
  } catch {
    return undefined
  }
}

const sameJson = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b)

/**
 * How `Durable.run` answers an ask: the answer in the run's inbox for this key and prompt, or a waiting record and a
 * suspension. An answer given for another prompt is stale: it leaves the inbox and the run asks again.
 */
export const inbox = (run: RunState): Step["ask"] => (step, input, key, prompt, options) => {
  const promptJson = (input.prompt === undefined ? null : Schema.encodeSync(input.prompt)(prompt)) as Json
  /** Records the waiting input and suspends (or fails with `InputTimeout` past its deadline), after `before`. */
  const wait = (now: number, before: Effect.Effect<void>): Effect.Effect<never, InputTimeout> => {
    const carried = run.carried.get(key)
    const deadline = carried !== undefined && sameJson(carried.prompt, promptJson)
      ? carried.deadline
      : options?.timeout === undefined
      ? undefined
      : now + options.timeout
    if (deadline !== undefined && now >= deadline) {
      return Effect.andThen(before, Effect.fail(new InputTimeout({ id: run.id, key, input: input.name })))
    }
    const waiting: { -readonly [K in keyof Checkpointer.Waiting]: Checkpointer.Waiting[K] } = {
      key,
      input: input.name,
      path: step.path,
      prompt: promptJson,
      token: tokenOf(run.id, key),
      answerSchema: input.answerSchema
    }
    if (deadline !== undefined) waiting.deadline = deadline
    run.waiting.set(key, waiting)
    return Effect.andThen(before, suspend(step))
  }
  return Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<unknown, InputTimeout> => {
    const answer = run.answers.get(key)
    if (answer === undefined) return wait(now, Effect.void)
    // Leaves the inbox (the key can be answered again) before the run waits.
    const drop = Effect.suspend(() => {
      run.answers.delete(key)
      return Effect.ignore(run.cp.removeAnswer(run.id, key))
    })
    if (!sameJson(answer.prompt, promptJson)) {
      // The step asked a different question this time: that answer was for the old prompt.
      run.emit?.(ctors.AnswerStale({ path: step.path, runs: [], key, input: input.name }))
      return wait(now, drop)
    }
    return Effect.catch(
      Schema.decodeUnknownEffect(input.answer)(answer.value),
      // Written by a program that could check only the JSON Schema (filters and brands are not in it): the answer
      // leaves the inbox and the run waits for another, rather than failing for good on one bad answer.
      (error) => {
        run.emit?.(ctors.AnswerRejected({ path: step.path, runs: [], key, input: input.name, error: error.message }))
        const warn = Effect.logWarning(
          `Durable run ${JSON.stringify(run.id)}: the answer to ${key} does not decode with the schema of input ` +
            `${JSON.stringify(input.name)}; it was removed and the run waits for another: ${error.message}`
        )
        return wait(now, Effect.andThen(drop, warn))
      }
    )
  })
}
