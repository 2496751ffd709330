/**
 * What the viewer knows about the runs a program drives in-process: each run's flow (its diagram and a way to
 * continue it after an answer) and its live event log. The standalone viewer has an empty one.
 */
import * as Effect from "effect/Effect"

/** One line of a run's event log, as the page shows it. */
export interface LogLine {
  readonly at: number
  readonly tag: string
  readonly text: string
}

/** A flow the program runs in-process: its Mermaid text and how to continue one of its runs. */
export interface Entry {
  readonly diagram: string
  /** Continues (or starts) the run `id` of this flow in the background, its events going to the log. */
  readonly continue: (id: string) => Effect.Effect<void>
}

/** Most lines kept per run: the log is for watching, the checkpoints are the record. */
const MAX_LINES = 500

export class Live {
  private readonly entries = new Map<string, Entry>()
  private readonly logs = new Map<string, Array<LogLine>>()

  register(id: string, entry: Entry): void {
    this.entries.set(id, entry)
    if (!this.logs.has(id)) this.logs.set(id, [])
  }

  entry(id: string): Entry | undefined {
    return this.entries.get(id)
  }

  push(id: string, line: LogLine): void {
    let log = this.logs.get(id)
    if (log === undefined) this.logs.set(id, log = [])
    log.push(line)
    if (log.length > MAX_LINES) log.splice(0, log.length - MAX_LINES)
  }

  log(id: string): ReadonlyArray<LogLine> | undefined {
    return this.logs.get(id)
  }
}
