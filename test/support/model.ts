/** Helpers for flows run on the scripted model of `effect-pocketflow/testing`. */
import { Effect } from "effect"
import { TestLanguageModel } from "effect-pocketflow/testing"

/** Runs `program`, then reads the calls (and their prompts) the scripted model received. */
export const recorded = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.all({ result: program, calls: TestLanguageModel.calls, prompts: TestLanguageModel.prompts })
