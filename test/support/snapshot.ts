/** A snapshot to save by hand, for the checkpointers' own tests (no vitest here: child processes use it too). */
import type * as Checkpointer from "../../src/Checkpointer.ts"

/** Version `version` of run `id`, running, with empty stores; `fields` replace any of its fields. */
export const snapshot = (
  id: string,
  version: number,
  fields?: Partial<Checkpointer.Snapshot>
): Checkpointer.Snapshot => ({
  format: 1,
  id,
  flow: "f",
  version,
  status: "running",
  steps: version,
  position: null,
  stores: {},
  waiting: [],
  updatedAt: version,
  ...fields
})
