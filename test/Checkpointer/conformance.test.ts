/**
 * The checkpointer contract, as `CheckpointerSuite.checks` of effect-pocketflow/testing states it, registered as
 * @effect/vitest tests the way a user runs it, on every checkpointer and write path listed in
 * test/support/checkpointer-kinds.ts. Each set of options the checks ask for gets a storage of its own.
 */
import { it } from "@effect/vitest"
import { CheckpointerSuite } from "effect-pocketflow/testing"
import type { Checkpointer } from "../../src/index.ts"
import { everyKind, forEachCheckpointer } from "../support/checkpointers.ts"

forEachCheckpointer("checkpointer conformance", ({ storage }) => {
  const make = (options: Checkpointer.Options) =>
    storage(`suite_keep_${options.keep ?? "default"}_max_${options.maxStateBytes ?? "default"}`).layer(options)
  for (const check of CheckpointerSuite.checks(make)) it.effect(check.name, () => check.run, 60_000)
}, everyKind)
