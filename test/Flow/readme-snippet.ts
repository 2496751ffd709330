import { Effect } from "effect"
import { Flow, Node, Shared } from "effect-pocketflow"

class Notes extends Shared.Service<Notes, { readonly notes: ReadonlyArray<string> }>()("app/Notes") {}
const note = (text: string) => Notes.update((s) => ({ notes: [...s.notes, text] }))

const searchWeb = Node.make({
  name: "searchWeb",
  exec: () => Effect.succeed(3).pipe(Effect.delay("200 millis")),
  post: (_, hits) => note(`web: ${hits} hits`).pipe(Node.as(hits > 0 ? "found" : "empty"))
})
const searchPapers = Node.make({
  name: "searchPapers",
  exec: () => Effect.succeed(1).pipe(Effect.delay("100 millis")),
  post: (_, hits) => note(`papers: ${hits} hits`)
})

// Both searches at once; post sees their actions in branch order: ["found" | "empty", "default"].
const research = Flow.parallel({
  name: "research",
  branches: [searchWeb, searchPapers],
  post: ([web]) => Node.action(web === "found" ? "write" : "give-up")
})
// research: Node<"write" | "give-up", never, Notes>

const write = Node.make({ name: "write", prep: Notes.get, exec: (s) => Effect.succeed(s.notes.join("; ")) })
export const essay = Flow.make({ name: "essay", start: research }).pipe(Flow.on(research, "write", write))

export const program = Flow.run(essay).pipe(
  Effect.andThen(Notes.get),
  Effect.provide(Notes.layer({ notes: [] }))
)
// { notes: ["papers: 1 hits", "web: 3 hits"] } after 200 ms, not 300
