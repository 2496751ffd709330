/**
 * Issue 17, operator item (a) in the viewer: a run's JSON (`GET /runs/<id>`, the server's API) carries what `Durable.get` returns —
 * answered keys, the lease, batch item counts — and the page shows them: an answered input says it waits for a program
 * (no form), a run in flight names its owner and last heartbeat, an abandoned lease says so, a durable batch shows its
 * saved items. In a real headless Chromium when there is one (as test/viewer/browser.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { Checkpointer, Durable, Flow, Node } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { existsSync } from "node:fs"
import { request } from "node:http"
import { type Browser, chromium } from "playwright-core"

const CHROMIUM = "/usr/bin/chromium"
const hasChromium = existsSync(CHROMIUM)

const get = (port: number, path: string, cookie: string) =>
  Effect.callback<{ readonly status: number; readonly body: string }>((resume) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { cookie } }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
    })
    req.on("error", (error) => resume(Effect.die(error)))
    req.end()
  })

const layer = Viewer.layer({ announce: false, token: "details-token-0123456789" }).pipe(
  Layer.provideMerge(Checkpointer.layerMemory)
)

const Approval = Durable.input("approval", { answer: Schema.Boolean, prompt: Schema.String })

/** Two runs: `answered` waits at two inputs, one answered; `busy` is in flight, its batch holding at item "c". */
const setup = Effect.gen(function*() {
  const viewer = yield* Viewer.Viewer
  const asks = Node.make({
    name: "asks",
    exec: () =>
      Effect.all([Approval.ask("left?", { key: "left" }), Approval.ask("right?", { key: "right" })], {
        concurrency: 2
      })
  })
  const o = yield* Durable.run(Flow.make({ name: "asks", start: asks }), { id: "answered", stores: [] })
  const keys = o._tag === "Suspended" ? o.waiting.map((w) => w.key) : []
  assert.strictEqual(keys.length, 2)
  yield* Durable.answer({ id: "answered", input: Approval, key: keys[0]!, value: true })

  const holding = yield* Deferred.make<void>()
  const batch = Node.batch({
    name: "batch",
    prep: Effect.succeed(["a", "b", "c", "d"]),
    exec: (s: string) =>
      s === "c" ? Effect.andThen(Deferred.succeed(holding, undefined), Effect.never) : Effect.succeed(s),
    resultSchema: Schema.String
  })
  const busy = yield* Effect.forkChild(
    Durable.run(Flow.make({ name: "busy", start: batch }), { id: "busy", stores: [], lease: "1 hour" })
  )
  yield* Deferred.await(holding)
  const cookie = `pocketflow_viewer_${viewer.port}=${viewer.token}`
  return { viewer, keys, busy, cookie }
})

describe("viewer: answered keys, lease and batch progress", () => {
  it.live("the run JSON carries answered keys, the lease with its last heartbeat, and item counts", () =>
    Effect.gen(function*() {
      const { busy, cookie, keys, viewer } = yield* setup
      const answered = JSON.parse((yield* get(viewer.port, "/runs/answered", cookie)).body)
      assert.deepStrictEqual(answered.answered, [keys[0]])
      assert.strictEqual(answered.lease, undefined)
      const now = yield* Clock.currentTimeMillis
      const running = JSON.parse((yield* get(viewer.port, "/runs/busy", cookie)).body)
      assert.match(running.lease.owner, /^owner-/)
      assert.isAtMost(running.lease.heartbeatAt, now)
      assert.isAbove(running.lease.expiresAt, now + 3_000_000)
      assert.deepStrictEqual(running.items, { "busy/batch#1": { done: 2, total: 4 } })
      yield* Fiber.interrupt(busy)
    }).pipe(Effect.provide(layer)))

  it.live.skipIf(!hasChromium)("the page shows them", () =>
    Effect.gen(function*() {
      const { busy, keys, viewer } = yield* setup
      const browser = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox"] })),
        (b: Browser) => Effect.promise(() => b.close())
      )
      const page = yield* Effect.promise(() => browser.newPage())
      yield* Effect.promise(() => page.goto(viewer.url))

      yield* Effect.promise(() => page.goto(`http://127.0.0.1:${viewer.port}/#/run/answered`))
      const answeredCard = page.locator(`[data-key="${keys[0]}"]`)
      yield* Effect.promise(() => answeredCard.locator("[data-testid=\"answered-key\"]").waitFor())
      assert.include(yield* Effect.promise(() => answeredCard.innerText()), "waiting for a program to continue")
      assert.strictEqual(yield* Effect.promise(() => answeredCard.locator("form").count()), 0)
      // The other input still takes an answer.
      assert.strictEqual(yield* Effect.promise(() => page.locator(`[data-key="${keys[1]}"] form`).count()), 1)

      yield* Effect.promise(() => page.goto(`http://127.0.0.1:${viewer.port}/#/run/busy`))
      const lease = page.locator("[data-testid=\"lease\"]")
      yield* Effect.promise(() => lease.waitFor())
      const leaseText = yield* Effect.promise(() => lease.innerText())
      assert.match(leaseText, /^held by owner-\S+ until .+, last heartbeat /)
      const items = page.locator("[data-testid=\"items\"] [data-scope=\"busy/batch#1\"]")
      yield* Effect.promise(() => items.waitFor())
      assert.include(yield* Effect.promise(() => items.innerText()), "2 of 4 items saved")

      // An owner that stops without releasing (a crash): its lease expires, and the page calls the run abandoned.
      const cp = yield* Checkpointer.Checkpointer
      yield* Fiber.interrupt(busy)
      const past = (yield* Clock.currentTimeMillis) - 60_000
      yield* cp.claim("busy", { owner: "owner-crashed", now: past - 10_000, expiresAt: past, force: true })
      yield* Effect.promise(() =>
        page.locator("[data-testid=\"lease\"]", { hasText: "abandoned by owner-crashed" }).waitFor()
      )
    }).pipe(Effect.provide(layer), Effect.scoped), 60_000)
})
