/**
 * A plain node's program, prep → exec → post, built from its def: `node.raw` for its own def, and the program of the
 * def the walk resolves against a flow's defaults (`defaults.ts`). A leaf module, so both can build it.
 */
import * as Effect from "effect/Effect"
import type { StepDef } from "../node.ts"

/** A plain node's program: prep → exec → post. */
export const step = (def: StepDef): Effect.Effect<unknown, unknown, unknown> => {
  const { exec, post, prep } = def
  const run = post === undefined
    ? (p: unknown) => Effect.as(exec(p), undefined)
    : (p: unknown) => Effect.flatMap(exec(p), (x) => post(p, x))
  return prep === undefined ? Effect.suspend(() => run(undefined)) : Effect.flatMap(prep, run)
}
