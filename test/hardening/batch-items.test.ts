/**
 * Issue 7, defect 8: a batch `prep` producing a string (a missing `[ ]`) is an `InvalidBatchItems`
 * defect, for batch nodes and batch flows alike, instead of a batch over its characters.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit } from "effect"
import { Flow, InvalidBatchItems, Node } from "../../src/index.ts"

const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  assert.isTrue(Exit.isFailure(exit) && Exit.hasDies(exit), "expected a defect")
  return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
}

/** A string where the types want items: what a plain JavaScript caller (or an `as`) can do. */
const stringItems = Effect.succeed("a.txt" as unknown as ReadonlyArray<string>)

describe("7.8 a batch prep returning a string", () => {
  it.effect("7.8 a batch node dies with InvalidBatchItems naming the node and flow, running no item", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const node = Node.batch({ name: "files", prep: stringItems, exec: (f) => Effect.sync(() => seen.push(f)) })
      const exit = yield* Effect.exit(Flow.run(Flow.make({ name: "docs", start: node })))
      const defect = defectOf(exit)
      assert.instanceOf(defect, InvalidBatchItems)
      assert.include((defect as InvalidBatchItems).message, "\"files\"")
      assert.include((defect as InvalidBatchItems).message, "\"docs\"")
      assert.include((defect as InvalidBatchItems).message, "string")
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("7.8 a batch flow dies the same way", () =>
    Effect.gen(function*() {
      class File extends Context.Service<File, string>()("hardening/File") {}
      const batch = Flow.batch({ name: "each", flow: Node.make({ name: "one" }), params: File, prep: stringItems })
      const defect = defectOf(yield* Effect.exit(Node.run(batch)))
      assert.instanceOf(defect, InvalidBatchItems)
      assert.strictEqual((defect as InvalidBatchItems).node, "each")
    }))
})
