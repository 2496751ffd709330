/**
 * Display helpers built on `Flow.events`, used by the demo: a live progress line for batches and an
 * indented trace of a run. On a terminal the progress line redraws in place; anywhere else (a pipe, a
 * file, CI) every update is a plain line, with no ANSI codes and no carriage returns.
 */
import { Flow, FlowEvent, type Node } from "effect-pocketflow"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** Where a display writes, and whether it may redraw (a terminal). */
export interface Output {
  readonly tty: boolean
  readonly write: (text: string) => void
}

/** The process's stdout; redraws only when it is a terminal. */
export const stdout: Output = {
  tty: process.stdout.isTTY === true,
  write: (text) => void process.stdout.write(text)
}

/** An output that records what is written, for tests. */
export const memory = (tty: boolean): Output & { readonly text: () => string } => {
  const chunks: Array<string> = []
  return { tty, write: (text) => void chunks.push(text), text: () => chunks.join("") }
}

/** `[██████░░░░░░]`, `width` cells wide. */
export const bar = (done: number, total: number, width = 24): string => {
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`
}

/** One progress line: `map-reduce/summarize [████░░] 3/6  2.5/s`. */
export const progressLine = (path: string, done: number, total: number, elapsedMillis: number): string => {
  const rate = elapsedMillis <= 0 ? 0 : done / (elapsedMillis / 1000)
  return `${path} ${bar(done, total)} ${done}/${total}  ${rate.toFixed(1)}/s`
}

/**
 * Runs `flow` and shows a progress line for each of its batches (`Node.batch` or `Flow.batch`) while
 * it runs: redrawn in place on a terminal, one plain line per update elsewhere. The rate is items per
 * second since the batch started, by the `Clock`.
 */
export const withProgress = <A extends string, E, R>(
  flow: Node.Node<A, E, R>,
  output: Output = stdout
): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    const started = new Map<string, number>()
    let open = false
    return Flow.events(flow).pipe(
      Stream.runForEach((event) =>
        event._tag !== "BatchProgress" ? Effect.void : Effect.map(Clock.currentTimeMillis, (now) => {
          const key = `${event.path}#${event.runs.join(".")}`
          if (event.done === 0) started.set(key, now)
          const line = progressLine(event.path, event.done, event.total, now - (started.get(key) ?? now))
          if (!output.tty) return output.write(`${line}\n`)
          // Terminal: redraw the current line; finish it with a newline when the batch is complete.
          output.write(`\r\x1b[2K${line}`)
          open = event.done < event.total
          if (!open) output.write("\n")
        })
      ),
      Effect.ensuring(Effect.sync(() => open && output.tty ? output.write("\n") : undefined))
    )
  })

const ms = (d: Duration.Duration) => {
  const millis = Duration.toMillis(d)
  return millis >= 10 ? `${Math.round(millis)}ms` : `${Math.round(millis * 10) / 10}ms`
}

/**
 * Runs `flow` and returns everything `Flow.events` reported (the run fails as the flow does).
 */
export const collect = <A extends string, E, R>(
  flow: Node.Node<A, E, R>
): Effect.Effect<ReadonlyArray<FlowEvent.FlowEvent>, E, R> =>
  Effect.map(Stream.runCollect(Flow.events(flow)), (events) => Array.from(events))

/**
 * An indented tree of a run: the root flow, then each node a flow ran, nested by path, with its action
 * and duration; retries and fallbacks under their node, batch runs marked with their index.
 *
 * ```text
 * agent → default (12ms)
 *   decide → search (3ms)
 *   search → default (0.4ms)
 * ```
 */
export const traceTree = (events: ReadonlyArray<FlowEvent.FlowEvent>): ReadonlyArray<string> => {
  const lines: Array<string> = []
  const open = new Map<string, number>()
  const depthOf = (path: string) => path.split("/").length - 1
  const key = (event: FlowEvent.FlowEvent) => `${event.path}#${event.runs.join(".")}`
  const label = (event: { readonly path: string; readonly runs: ReadonlyArray<number> }, name: string) => {
    const run = event.runs.length === 0 ? "" : ` #${event.runs[event.runs.length - 1]}`
    return `${"  ".repeat(depthOf(event.path))}${name}${run}`
  }
  for (const event of events) {
    switch (event._tag) {
      case "FlowStarted":
        if (event.path.includes("/")) break // a nested flow already has its NodeStarted line
        open.set(key(event), lines.push(label(event, event.flow)) - 1)
        break
      case "NodeStarted":
        open.set(key(event), lines.push(label(event, event.node)) - 1)
        break
      case "FlowFinished":
      case "NodeFinished":
      case "FlowFailed":
      case "NodeFailed": {
        if (event._tag.startsWith("Flow") && event.path.includes("/")) break
        const at = open.get(key(event))
        if (at === undefined) break
        open.delete(key(event))
        const outcome = "action" in event ? `→ ${event.action}` : "✗ failed"
        lines[at] = `${lines[at]} ${outcome} (${ms(event.duration)})`
        break
      }
      case "RetryScheduled":
        lines.push(
          `${"  ".repeat(depthOf(event.path) + 1)}↻ attempt ${event.attempt} failed, retry in ${ms(event.delay)}`
        )
        break
      case "FallbackUsed":
        lines.push(`${"  ".repeat(depthOf(event.path) + 1)}↳ fallback`)
        break
      case "UnmatchedAction":
        lines.push(`${"  ".repeat(depthOf(event.path) + 1)}! ${event.node} returned "${event.action}": no edge`)
        break
      case "EventsDropped":
        lines.push(`(${event.count} events dropped)`)
        break
      default:
        break
    }
  }
  return lines
}

/** `FlowEvent.format` for every event: a plain log of the run. */
export const log = (events: ReadonlyArray<FlowEvent.FlowEvent>): ReadonlyArray<string> => events.map(FlowEvent.format)
