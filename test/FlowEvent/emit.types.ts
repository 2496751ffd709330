/**
 * Type-level guarantees of `Flow.emit`, checked by `tsc` (not run by vitest).
 */
import type { Effect } from "effect"
import type { Flow } from "../../src/index.ts"
import { check, type Equals } from "../support/types.ts"

// Flow.emit is an Effect<void> with no error and no requirement.
check<Equals<typeof Flow.emit, (data: unknown) => Effect.Effect<void>>>()
