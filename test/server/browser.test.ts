/**
 * The server's page in a real headless Chromium: start a run of a hosted flow from the page's "Start a run" form (its
 * fields from the store's JSON Schema), watch the live node (the diagram marks the slow node current while the
 * server's worker runs it; its events stream in), answer the review the run then waits for, and see the run done. No
 * program runs the flow: the server's worker does. Screenshots go to test-artifacts/server/.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node, Shared } from "effect-pocketflow"
import { Server } from "effect-pocketflow/server"
import { mkdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { CHROMIUM, hasChromium, launch, p } from "../support/chromium.ts"

if (!hasChromium) console.log(`server browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`)

const artifacts = join(resolve(import.meta.dirname, "../.."), "test-artifacts", "server")

class Order extends Shared.Service<Order>()("test/server/Order", {
  schema: Schema.Struct({ item: Schema.String, approved: Schema.Boolean })
}) {}
const Approval = Durable.input("approval", {
  answer: Schema.Struct({ approve: Schema.Boolean }),
  prompt: Schema.String
})
/** Slow enough for the page to show it as the live node. */
const prepare = Node.make({ name: "prepare", exec: () => Effect.sleep("3 seconds") })
const review = Node.make({
  name: "review",
  prep: Order.get,
  exec: (o) => Approval.ask(`ship ${o.item}?`),
  post: (_, answer) => Order.update((o) => ({ ...o, approved: answer.approve }))
})
const orders = Flow.make({ name: "orders", start: prepare }).pipe(Flow.next(prepare, review))

const layer = Server.layer({
  announce: false,
  flows: [Durable.register(orders, { stores: [Order] })],
  worker: { poll: "50 millis" }
}).pipe(Layer.provideMerge(Checkpointer.layerMemory))

describe.skipIf(!hasChromium)("server page in Chromium", () => {
  it.live("start a run from the page, watch its live node, answer it, see it done", () =>
    Effect.gen(function*() {
      const browser = yield* launch
      const server = yield* Server.Server
      const page = yield* p(() => browser.newPage({ viewport: { width: 1280, height: 900 } }))
      const scriptErrors: Array<string> = []
      page.on("pageerror", (error) => scriptErrors.push(error.message))
      const shot = (name: string) =>
        p(async () => {
          mkdirSync(artifacts, { recursive: true })
          await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
        })

      yield* p(() => page.goto(server.url))
      yield* p(() => page.locator("[data-testid=\"start-form\"]").waitFor())
      assert.strictEqual(yield* p(() => page.locator("[data-testid=\"start-flow\"]").inputValue()), "orders")
      yield* p(() => page.fill("[data-testid=\"start-id\"]", "order-7"))
      yield* p(() => page.fill("[data-testid=\"field-item\"]", "teapot"))
      yield* shot("1-start")
      yield* p(() => page.click("[data-testid=\"start-submit\"]"))

      // The run page, while the worker is in `prepare`: the live node is marked current, its events stream in.
      yield* p(() => page.locator("#diagram svg g.node.current", { hasText: "prepare" }).waitFor({ timeout: 10_000 }))
      yield* p(() =>
        page.locator("[data-testid=\"events\"]", { hasText: "prepare: started" }).waitFor({ timeout: 10_000 })
      )
      yield* shot("2-live")
      assert.strictEqual(Option.getOrThrow(yield* Durable.get("order-7")).status, "running")

      // Then it waits at review: answer it on the page.
      yield* p(() => page.locator("#diagram svg g.node.waiting", { hasText: "review" }).waitFor({ timeout: 15_000 }))
      assert.include(yield* p(() => page.locator("[data-testid=\"prompt\"]").innerText()), "ship teapot?")
      yield* p(() => page.check("[data-testid=\"field-approve\"]"))
      yield* shot("3-waiting")
      yield* p(() => page.click("[data-testid=\"submit\"]"))
      yield* p(() => page.locator(".meta [data-testid=\"status\"]", { hasText: "done" }).waitFor({ timeout: 15_000 }))
      assert.include(yield* p(() => page.locator("[data-testid=\"state\"]").innerText()), "\"approved\": true")
      assert.include(yield* p(() => page.locator("[data-testid=\"events\"]").innerText()), "flow finished")
      yield* shot("4-done")
      assert.deepStrictEqual(yield* Durable.state("order-7", Order), { item: "teapot", approved: true })
      assert.deepStrictEqual(scriptErrors, [])
    }).pipe(Effect.scoped, Effect.provide(layer)), 90_000)
})
