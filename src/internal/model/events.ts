/**
 * Model events (`Flow.events(flow, { model: true })`, `Durable.events(…, { model: true })`): a run that asks for them
 * gets its `LanguageModel` replaced, for the whole run, by one that reports what each call produced — `ModelDelta`
 * for text (each streamed chunk, or a whole reply), `ToolCalled`, `ToolResult`, and `ModelFinished` with the usage,
 * last — to the observation of the node making the call (the walk puts it in the node's fiber), so nodes call no
 * `Flow.emit`. A run that does not ask for them is not touched: it costs nothing.
 */
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as Response from "effect/ai/Response"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { ctors, type FlowEvent } from "../events.ts"
import { CurrentObservation, type Observation } from "../observation.ts"

/** Whether the running flow reports model events (set for the whole run by `install`). */
export const Reporting = Context.Reference<boolean>("effect-pocketflow/ModelEvents", { defaultValue: () => false })

type Where = { readonly path: string; readonly runs: ReadonlyArray<number>; readonly node: string }

const whereOf = (o: Observation): Where => ({
  path: o.path,
  runs: o.item === undefined ? o.runs : [...o.runs, o.item],
  node: o.owner.name
})

/**
 * Reports the event `make` builds to the observation of the running fiber, when its run reports model events and has
 * a subscriber. For code that produces model events itself (an agent's tool results).
 */
export const report = (make: (where: Where) => FlowEvent): void => {
  const fiber = Fiber.getCurrent()
  if (fiber === undefined || !fiber.getRef(Reporting)) return
  const o = fiber.getRef(CurrentObservation)
  if (o?.emit !== undefined) o.emit(make(whereOf(o)))
}

/** Reports the parts of a reply, the finish part last (a reply's tool results come after its finish part). */
const reportParts = (parts: ReadonlyArray<Response.AnyPart>): void => {
  let finish: Response.FinishPart | undefined
  for (const part of parts) {
    if (part.type === "finish") finish = part
    else reportPart(part)
  }
  if (finish !== undefined) reportFinish(finish)
}

const reportFinish = (finish: Response.FinishPart) => report((w) => ctors.ModelFinished({ ...w, usage: finish.usage }))

const reportPart = (part: Response.AnyPart): void => {
  switch (part.type) {
    case "text":
      if (part.text.length > 0) report((w) => ctors.ModelDelta({ ...w, text: part.text }))
      return
    case "text-delta":
      if (part.delta.length > 0) report((w) => ctors.ModelDelta({ ...w, text: part.delta }))
      return
    case "tool-call":
      report((w) => ctors.ToolCalled({ ...w, name: part.name, params: part.params }))
      return
    case "tool-result":
      if (!part.preliminary) report((w) => ctors.ToolResult({ ...w, name: part.name, result: part.encodedResult }))
      return
  }
}

type Reply = Effect.Effect<{ readonly content: ReadonlyArray<Response.AnyPart> }, unknown, unknown>

/** A reply that reports its parts once it arrives. */
const reported = (reply: Reply): Reply =>
  Effect.tap(reply, (response) => Effect.sync(() => reportParts(response.content)))

/** A `LanguageModel` that reports what each of `model`'s calls produced. */
const reporting = (model: LanguageModel.LanguageModel): LanguageModel.LanguageModel => ({
  ...model,
  generateText: ((options: any) => reported(model.generateText(options) as Reply)) as any,
  generateObject: ((options: any) => reported(model.generateObject(options) as Reply)) as any,
  streamText: ((options: any) =>
    Stream.suspend(() => {
      // The finish part is held back to the end of the stream: tool results may follow it.
      let finish: Response.FinishPart | undefined
      return (model.streamText(options) as Stream.Stream<Response.AnyPart, unknown, unknown>).pipe(
        Stream.tap((part) =>
          Effect.sync(() => {
            if (part.type === "finish") finish = part
            else reportPart(part)
          })
        ),
        Stream.onEnd(Effect.sync(() => {
          if (finish !== undefined) reportFinish(finish)
        }))
      )
    })) as any
})

/** Runs `self` (a run with a subscriber) reporting model events: its `LanguageModel`, if it has one, reports them. */
export const install = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.updateContext(self, (context: Context.Context<R>) => {
    const model = Context.getOption(context, LanguageModel.LanguageModel)
    const reported = Context.add(context, Reporting, true)
    return model._tag === "Some" ? Context.add(reported, LanguageModel.LanguageModel, reporting(model.value)) : reported
  })
