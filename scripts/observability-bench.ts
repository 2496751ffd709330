/**
 * Per-step cost of a flow with and without observation: `npm exec tsx scripts/observability-bench.ts`.
 *
 * One flow loops a trivial node N times (N = 100k steps per run); each scenario runs it a few times and
 * reports the best per-step time. Set `POCKETFLOW_SRC` to another checkout's `src/index.ts` to compare.
 */
import * as Effect from "effect/Effect"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"

const src = process.env.POCKETFLOW_SRC ?? "../src/index.ts"
const { Flow, Node } = await import(src) as typeof import("../src/index.ts")

const N = 100_000
const ROUNDS = 7

let i = 0
const tick = Node.make({
  name: "tick",
  post: () => Effect.suspend(() => (++i < N ? Node.action("again") : Node.action("done")))
})
const stop = Node.make({ name: "stop" })
const loop = Flow.make({ name: "loop", start: tick }).pipe(Flow.on(tick, "again", tick), Flow.on(tick, "done", stop))

/** A tracer that makes real spans and keeps none (what an exporter does before batching). */
let spans = 0
const countingTracer = Tracer.make({
  span: (options) => {
    spans++
    return new Tracer.NativeSpan(options)
  }
})

const scenarios: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
  ["Flow.run, no tracer, no subscriber", Flow.run(loop)],
  ["Flow.run, tracer installed (spans)", Flow.run(loop).pipe(Effect.withTracer(countingTracer))],
  [
    "Flow.run, tracer installed, TracerEnabled=false",
    Flow.run(loop).pipe(Effect.withTracer(countingTracer), Effect.provideService(References.TracerEnabled, false))
  ],
  // Skipped when comparing with a checkout that predates Flow.events.
  ...(typeof Flow.events !== "function" ? [] : [
    ["Flow.events subscriber (runDrain), no tracer", Stream.runDrain(Flow.events(loop))],
    [
      "Flow.events subscriber + tracer (spans)",
      Stream.runDrain(Flow.events(loop)).pipe(Effect.withTracer(countingTracer))
    ]
  ] as const)
]

const time = (program: Effect.Effect<unknown, unknown>) =>
  Effect.runPromise(Effect.suspend(() => {
    i = 0
    spans = 0
    const start = performance.now()
    return Effect.map(program, () => performance.now() - start)
  }))

console.log(`N = ${N} steps per run, best of ${ROUNDS} runs (after a warm-up run)`)
for (const [name, program] of scenarios) {
  await time(program)
  const times: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) times.push(await time(program))
  const best = Math.min(...times)
  const median = times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!
  console.log(
    `${name.padEnd(50)} ${((best * 1e6) / N).toFixed(0).padStart(6)} ns/step (median ${
      ((median * 1e6) / N).toFixed(0)
    } ns), spans per run: ${spans}`
  )
}
