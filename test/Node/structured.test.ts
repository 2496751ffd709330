/**
 * `Node.structured`: a typed object from the model; a reply that does not decode goes back to the model with the
 * decode error (repair), up to `repair` re-asks; then `StructuredOutputFailed` with the last reply.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Flow, Node, Shared } from "../../src/index.ts"
import { TestLanguageModel } from "../../src/testing.ts"

const Contact = Schema.Struct({ name: Schema.String, email: Schema.String })
class Store
  extends Shared.Service<Store, { readonly contact: typeof Contact.Type | undefined }>()("structured/Store")
{}

const extract = (repair?: number) =>
  Node.structured({
    name: "extract",
    schema: Contact,
    prompt: Effect.succeed("Extract the contact: Ada, ada@example.com"),
    ...(repair === undefined ? {} : { repair }),
    post: (contact) => Store.set({ contact }).pipe(Node.as("found"))
  })

const run = (node: ReturnType<typeof extract>, replies: ReadonlyArray<TestLanguageModel.Reply>) =>
  Effect.all({
    action: Flow.run(Flow.make({ name: "f", start: node })),
    state: Store.get,
    calls: TestLanguageModel.calls
  }).pipe(Effect.provide(TestLanguageModel.layer(replies)), Effect.provide(Store.layer({ contact: undefined })))

const good = JSON.stringify({ name: "Ada", email: "ada@example.com" })

describe("Node.structured", () => {
  it.effect("decodes the model's object and gives it to post", () =>
    Effect.gen(function*() {
      const { action, calls, state } = yield* run(extract(), [good])
      assert.strictEqual(action, "found")
      assert.deepStrictEqual(state.contact, { name: "Ada", email: "ada@example.com" })
      assert.strictEqual(calls.length, 1)
    }))

  it.effect("repair succeeds on the second try: the bad reply and its decode error went back to the model", () =>
    Effect.gen(function*() {
      const { calls, state } = yield* run(extract(), [JSON.stringify({ name: "Ada" }), good])
      assert.deepStrictEqual(state.contact, { name: "Ada", email: "ada@example.com" })
      assert.strictEqual(calls.length, 2)
      const second = calls[1]!.prompt.content
      assert.deepStrictEqual(second.map((m) => m.role), ["user", "assistant", "user"])
      assert.include(calls[1]!.text, "{\"name\":\"Ada\"}")
      assert.include(calls[1]!.text, "That reply does not match the required schema")
      assert.include(calls[1]!.text, "email")
    }))

  it.effect("fails with StructuredOutputFailed and the last reply after `repair` re-asks", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run(extract(2), ["not JSON", "{\"name\": 1}", "still {wrong"]))
      assert.strictEqual(error._tag, "StructuredOutputFailed")
      if (error._tag !== "StructuredOutputFailed") return
      assert.strictEqual(error.node, "extract")
      assert.strictEqual(error.text, "still {wrong")
      assert.isAbove(error.error.length, 0)
    }))

  it.effect("repair: 0 asks once", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run(extract(0), ["nope", good]))
      assert.strictEqual(error._tag, "StructuredOutputFailed")
    }))

  it("checks its options when it is made", () => {
    assert.throws(() => extract(-1), /option "repair" must be a non-negative integer/)
    assert.throws(
      () => Node.structured({ name: "x", schema: "nope" as never, prompt: Effect.succeed("") }),
      /option "schema" must be an effect\/Schema/
    )
  })
})
