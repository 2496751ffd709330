import { Effect, Stream } from "effect"
import { Flow, FlowEvent, Node } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import { LanguageModel } from "effect/ai"

const answer = Node.make({
  name: "answer",
  exec: () =>
    LanguageModel.streamText({ prompt: "What is a flow?" }).pipe(
      Stream.filter((part) => part.type === "text-delta"),
      Stream.runForEach((part) => Flow.emit(part.delta)) // one Custom event per delta
    )
})
const chat = Flow.make({ name: "chat", start: answer })

// The subscriber sees each delta as the model streams it.
export const tokens = Flow.events(chat).pipe(
  Stream.filter(FlowEvent.is("Custom")),
  Stream.map((event) => String(event.data)),
  Stream.tap((token) => Effect.sync(() => process.stdout.write(token))),
  Stream.runCollect,
  Effect.provide(TestLanguageModel.layer(["A flow is a graph of nodes."], { chunkSize: 5 }))
)
// ["A flo", "w is ", "a gra", "ph of", " node", "s."]
