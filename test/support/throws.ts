/** Helpers for the checks that happen when a node or flow is made: what a call throws, and what it must say. */
import { assert } from "@effect/vitest"

/** What `f` throws; fails the test when it does not throw. */
export const thrown = (f: () => unknown): Error => {
  try {
    f()
  } catch (error) {
    return error as Error
  }
  assert.fail("expected a throw")
}

/** Checks that `f` throws a `type` whose message includes every one of `parts`, and returns the error. */
export const expectThrow = (
  f: () => unknown,
  type: typeof TypeError | typeof RangeError,
  ...parts: ReadonlyArray<string>
) => {
  const error = thrown(f)
  assert.instanceOf(error, type)
  for (const part of parts) assert.include(error.message, part)
  return error
}

/** Plain JavaScript callers get no type checks: these casts stand for them. */
export const js = (u: unknown): never => u as never
