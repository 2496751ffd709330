/** Registers the conformance checks from `effect-pocketflow/testing` as @effect/vitest tests, as a user would. */
import { describe, it } from "@effect/vitest"
import { CheckpointerSuite } from "effect-pocketflow/testing"

export const checkpointerSuite = <E>(name: string, make: CheckpointerSuite.MakeLayer<E>): void => {
  describe(name, () => {
    for (const check of CheckpointerSuite.checks(make)) it.effect(check.name, () => check.run, 60_000)
  })
}
