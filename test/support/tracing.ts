/** Test helpers shared by the suites that look at spans and at concurrency. */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Tracer from "effect/Tracer"

/** A tracer that keeps every span it makes, in start order. */
export const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

/** Counts the effects running under `track` and remembers the highest count seen. */
export const makeGauge = Effect.gen(function*() {
  const running = yield* Ref.make(0)
  const max = yield* Ref.make(0)
  const track = <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.acquireUseRelease(
      Ref.updateAndGet(running, (n) => n + 1).pipe(Effect.tap((n) => Ref.update(max, (m) => Math.max(m, n)))),
      () => self,
      () => Ref.update(running, (n) => n - 1)
    )
  return { track, max: Ref.get(max), running: Ref.get(running) }
})
