/**
 * OpenTelemetry export, as docs/observability.md shows it: `Otlp.layerJson` from `effect/observability` sends the
 * spans of a flow run to an OTLP/HTTP endpoint — here a receiver this test starts on 127.0.0.1 — the node's span and,
 * inside it, the model call's span with the GenAI attributes (`gen_ai.*`) the provider sets.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { LanguageModel } from "effect/ai"
import { Otlp } from "effect/observability"
import * as http from "node:http"
import { Flow, Node } from "../../src/index.ts"
import { OpenAi } from "../../src/openai.ts"
import { fakeServer, httpClient, json, listening } from "./fake-server.ts"
import * as F from "./fixtures.ts"

interface OtlpSpan {
  readonly name: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

/** An OTLP/HTTP receiver on 127.0.0.1: keeps the spans posted to /v1/traces (JSON encoding). */
const receiver = Effect.gen(function*() {
  const spans: Array<OtlpSpan> = []
  const paths: Array<string> = []
  const server = http.createServer((req, res) => {
    let raw = ""
    req.setEncoding("utf8")
    req.on("data", (chunk: string) => (raw += chunk))
    req.on("end", () => {
      paths.push(req.url ?? "")
      if (req.url === "/v1/traces") {
        const body = JSON.parse(raw) as {
          resourceSpans: ReadonlyArray<{ scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<OtlpSpan> }> }>
        }
        for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans)
      }
      res.writeHead(200, { "content-type": "application/json" })
      res.end("{}")
    })
  })
  const port = yield* listening(server)
  return { spans, paths, url: `http://127.0.0.1:${port}` }
})

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe("OpenTelemetry export with Otlp", () => {
  it.live("a flow's spans and the model call's gen_ai attributes reach a local OTLP/HTTP endpoint", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const fake = yield* fakeServer([json(F.textCompletion)])
      const model = OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make(F.apiKey), baseUrl: fake.baseUrl })
      const ask = Node.make({ name: "ask", exec: () => LanguageModel.generateText({ prompt: "Capital of France?" }) })
      const flow = Flow.make({ name: "capital", start: ask })
      const Telemetry = Otlp.layerJson({ baseUrl: otlp.url, resource: { serviceName: "otlp-test" } })

      // The exporter flushes what it holds when its layer closes.
      yield* Flow.run(flow).pipe(
        Effect.provide(model),
        Effect.provide(Layer.merge(Telemetry, httpClient).pipe(Layer.provide(httpClient)))
      )

      assert.include(otlp.paths, "/v1/traces")
      const byName = (name: string) => otlp.spans.find((s) => s.name === name)
      const node = byName("ask")
      const call = byName("LanguageModel.generateText")
      assert.isDefined(node)
      assert.isDefined(call)
      assert.strictEqual(attribute(node!, "pocketflow.node"), "ask")
      assert.strictEqual(attribute(node!, "pocketflow.flow"), "capital")
      assert.strictEqual(call!.parentSpanId, node!.spanId)
      assert.strictEqual(attribute(call!, "gen_ai.provider.name"), "openai")
      assert.strictEqual(attribute(call!, "gen_ai.operation.name"), "chat")
      assert.strictEqual(attribute(call!, "gen_ai.request.model"), "gpt-4o-mini")
      assert.strictEqual(attribute(call!, "gen_ai.response.model"), "gpt-4o-mini-2024-07-18")
      assert.strictEqual(Number(attribute(call!, "gen_ai.usage.input_tokens")), 24)
      for (const span of otlp.spans) assert.notInclude(JSON.stringify(span), F.apiKey)
    }))
})
