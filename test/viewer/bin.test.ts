/**
 * `effect-pocketflow view --dir <directory>` / `--postgres <url>`: the standalone viewer in its own process, over
 * runs a program left on the file-system or SQL checkpointer. It needs none of the app's code: the diagram comes from
 * `Viewer.record`, the form from the waiting record's JSON Schema; an answer lands in the run's inbox for the program
 * to continue.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Durable } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { resolve } from "node:path"
import * as example from "../../examples/viewer.ts"
import { runBin, startBin } from "../support/bin.ts"
import { forEachCheckpointer, type Place } from "../support/checkpointers.ts"

const root = resolve(import.meta.dirname, "../..")

/** How the bin opens each checkpointer it supports, on the storage of the program. */
const binArgs: Readonly<Record<string, (place: Place) => ReadonlyArray<string>>> = {
  "file system": (place) => ["--dir", place.directory],
  Postgres: (place) => ["--postgres", place.postgres ?? "", "--table", place.name]
}

forEachCheckpointer("effect-pocketflow view", ({ kind, storage }) => {
  it.live("serves the stored runs, with the saved diagram, and takes an answer", () =>
    Effect.gen(function*() {
      const made = storage("viewer_bin")
      const layer = Layer.merge(Layer.orDie(made.layer()), example.model)
      yield* Effect.provide(Effect.ignore(Durable.delete("rel-1")), layer)
      // The program: a run that suspends, with its diagram saved for the standalone viewer.
      const outcome = yield* Effect.provide(
        Effect.tap(Durable.run(example.flow, { id: "rel-1", stores: [example.initial] }), () =>
          Viewer.record(example.flow, "rel-1")),
        layer
      )
      assert.strictEqual(outcome._tag, "Suspended")
      const answerToken = outcome._tag === "Suspended" ? outcome.waiting[0]!.token : ""

      const { url } = yield* startBin(["view", ...binArgs[kind.name]!(made.place), "--port", "0"], "Run viewer")
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/)
      const base = url.slice(0, url.indexOf("/?token="))
      const auth = { authorization: `Bearer ${url.slice(url.indexOf("token=") + 6)}` }
      const get = (path: string) =>
        Effect.promise(() =>
          fetch(base + path, { headers: auth }).then((r) => r.json() as Promise<any>)
        )

      const runs = yield* get("/runs")
      const rows = runs.runs.map((r: { id: string; status: string; live: boolean }) => [r.id, r.status, r.live])
      // Not live: nothing in this server runs the release flow.
      assert.deepStrictEqual(rows, [["rel-1", "suspended", false]])
      const diagram = yield* get("/runs/rel-1/diagram")
      assert.deepStrictEqual(diagram.waiting, ["review"])
      const one = yield* get("/runs/rel-1")
      const schema = one.waiting[0].answerSchema.schema
      assert.deepStrictEqual(Object.keys(schema.properties), ["approve", "feedback"])
      const mermaidJs = yield* Effect.promise(() => fetch(`${base}/mermaid.min.js`).then((r) => r.text()))
      assert.isAbove(mermaidJs.length, 100_000)

      const answer = yield* Effect.promise(() =>
        fetch(`${base}/answers`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ token: answerToken, value: { approve: true, feedback: "from the viewer" } })
        }).then((r) => r.json())
      )
      assert.deepStrictEqual(answer, { id: "rel-1", key: "release/review#1/review#1", continued: false })

      // The program continues the run with the answer the standalone viewer stored.
      const end = yield* Effect.provide(Durable.run(example.flow, { id: "rel-1", stores: [example.initial] }), layer)
      assert.strictEqual(end._tag, "Done")
      const state = yield* Effect.provide(Durable.state("rel-1", example.ReleaseStore), layer)
      assert.strictEqual(state.feedback, "from the viewer")
      assert.isTrue(Option.isSome(yield* Effect.provide(Durable.get("rel-1"), layer)))
    }).pipe(Effect.scoped), 60_000)
}, (kind) => kind.name in binArgs)

describe("effect-pocketflow view", () => {
  it.live("refuses bad arguments with its usage", () =>
    Effect.gen(function*() {
      const unknown = yield* runBin(["veiw"])
      assert.strictEqual(unknown.code, 1)
      assert.include(unknown.output, "USAGE")
      const both = yield* runBin(["view", "--dir", root, "--postgres", "postgres://localhost/x"])
      assert.strictEqual(both.code, 1)
      assert.include(both.output, "USAGE")
      assert.include(both.output, "exactly one of --sqlite, --dir and --postgres")
      const neither = yield* runBin(["view"])
      assert.strictEqual(neither.code, 1)
      assert.include(neither.output, "exactly one of --sqlite, --dir and --postgres")
    }), 60_000)

  it.live("refuses an empty or non-loopback --host unless --allow-remote is given", () =>
    Effect.gen(function*() {
      // An unbindable address first: a bin that does not refuse fails there rather than listening everywhere.
      for (const host of [["--host", "192.168.1.20"], ["--host="], ["--host", "0.0.0.0"]]) {
        const refused = yield* runBin(["view", "--dir", root, ...host])
        assert.strictEqual(refused.code, 1, host.join(" "))
        assert.include(refused.output, "refuses to listen there")
        assert.include(refused.output, "add --allow-remote")
        assert.include(refused.output, "USAGE")
        assert.notInclude(refused.output, "Run viewer:")
      }
    }), 60_000)
})
