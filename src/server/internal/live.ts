/**
 * The runs a program drives in-process under the server (`Viewer.run`): each run's diagram and a way to continue it
 * after an answer or a fork given through the API. Runs of the flows the server hosts need none: its worker continues
 * them.
 */
import type * as Effect from "effect/Effect"

export interface Entry {
  readonly diagram: string
  /** Continues (or starts) the run `id` of this flow in the background. */
  readonly continue: (id: string) => Effect.Effect<void>
}

export class Live {
  private readonly entries = new Map<string, Entry>()

  register(id: string, entry: Entry): void {
    this.entries.set(id, entry)
  }

  entry(id: string): Entry | undefined {
    return this.entries.get(id)
  }
}
