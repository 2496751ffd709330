/**
 * The run viewer in a real headless Chromium (Debian's `chromium`, driven by playwright-core): the example's approval
 * flow suspends under `Viewer.run`; the page lists it, draws it waiting at `review` with the draft as the prompt,
 * refuses a bad answer with the decode error (nothing lost), takes a good one and shows the run done. Screenshots of
 * each view go to test-artifacts/viewer/ (and to docs/viewer.png with UPDATE_DOCS_SCREENSHOT=1).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Checkpointer, Durable } from "effect-pocketflow"
import { Viewer } from "effect-pocketflow/viewer"
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import type { Page } from "playwright-core"
import * as example from "../../examples/viewer.ts"
import { CHROMIUM, hasChromium, launch, p } from "../support/chromium.ts"

if (!hasChromium) console.log(`viewer browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`)

const root = resolve(import.meta.dirname, "../..")
const artifacts = join(root, "test-artifacts", "viewer")

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "pocketflow-viewer-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const shot = (page: Page, name: string) =>
  Effect.promise(async () => {
    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
  })

describe.skipIf(!hasChromium)("viewer in Chromium", () => {
  it.live(
    "lists a suspended run, shows it waiting, refuses a bad answer, takes a good one and shows it done",
    () =>
      Effect.gen(function*() {
        const browser = yield* launch
        const dir = yield* tempDir
        yield* Effect.gen(function*() {
          const viewer = yield* Viewer.Viewer
          const outcome = yield* Viewer.run(example.flow, { id: "release-1", stores: [example.initial] })
          assert.strictEqual(outcome._tag, "Suspended")

          const page = yield* p(() => browser.newPage({ viewport: { width: 1280, height: 900 } }))
          const requests: Array<string> = []
          page.on("request", (request) => requests.push(request.url()))
          // Script errors only: the refused answer's 400 is logged by Chromium as a failed resource, by design.
          const scriptErrors: Array<string> = []
          page.on("pageerror", (error) => scriptErrors.push(error.message))
          page.on("console", (message) => {
            if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
              scriptErrors.push(message.text())
            }
          })
          const notFound: Array<string> = []
          page.on("response", (response) => {
            if (response.status() === 404) notFound.push(response.url())
          })

          // The printed URL trades the token for the cookie and drops it from the address bar.
          yield* p(() => page.goto(viewer.url))
          assert.strictEqual(page.url(), `http://127.0.0.1:${viewer.port}/`)
          const row = page.locator("tr[data-run=\"release-1\"]")
          yield* p(() => row.locator("[data-testid=\"status\"]", { hasText: "suspended" }).waitFor())
          assert.include(yield* p(() => row.innerText()), "release")
          yield* shot(page, "1-runs")

          // The filter keeps suspended runs and hides them under "done".
          yield* p(() => page.selectOption("[data-testid=\"status-filter\"]", "done"))
          yield* p(() => page.locator("text=No runs.").waitFor())
          yield* p(() => page.selectOption("[data-testid=\"status-filter\"]", "suspended"))
          yield* p(() => row.waitFor())
          // The list refreshes itself: a run started now shows up without a reload.
          yield* Viewer.run(example.flow, { id: "release-2", stores: [example.initial] })
          yield* p(() => page.locator("tr[data-run=\"release-2\"]").waitFor())

          // One run: the diagram with review highlighted as waiting, draft visited, the prompt and the form.
          yield* p(() => row.locator("a").click())
          const waitingNode = page.locator("#diagram svg g.node.waiting", { hasText: "review" })
          yield* p(() => waitingNode.waitFor())
          assert.strictEqual(
            yield* p(() => page.locator("#diagram svg g.node.visited", { hasText: "draft" }).count()),
            1
          )
          assert.strictEqual(yield* p(() => page.locator("#diagram svg g.node.waiting").count()), 1)
          const prompt = yield* p(() => page.locator("[data-testid=\"prompt\"]").innerText())
          assert.include(prompt, "durable runs survive crashes")
          assert.include(yield* p(() => page.locator("[data-testid=\"state\"]").innerText()), "\"version\": \"2.1.0\"")
          assert.include(yield* p(() => page.locator("[data-testid=\"events\"]").innerText()), "suspended, waiting for")
          assert.isAtLeast(yield* p(() => page.locator("[data-testid=\"history\"] tr[data-version]").count()), 2)
          yield* shot(page, "2-run-waiting")
          if (process.env.UPDATE_DOCS_SCREENSHOT) {
            copyFileSync(join(artifacts, "2-run-waiting.png"), join(root, "docs/viewer.png"))
          }

          // A bad answer (feedback over 80 characters) is refused with the decode error, and nothing changes.
          yield* p(() => page.check("[data-testid=\"field-approve\"]"))
          yield* p(() => page.fill("[data-testid=\"field-feedback\"]", "x".repeat(100)))
          yield* p(() => page.click("[data-testid=\"submit\"]"))
          const error = page.locator("[data-testid=\"answer-error\"]")
          yield* p(() => error.waitFor())
          assert.include(yield* p(() => error.innerText()), "at most 80")
          yield* shot(page, "3-bad-answer")
          const still = yield* Durable.get("release-1")
          assert.strictEqual(Option.getOrThrow(still).status, "suspended")
          const cp = yield* Checkpointer.Checkpointer
          assert.deepStrictEqual(yield* cp.answers("release-1"), [])

          // A good answer continues the run in this process until it is done.
          yield* p(() => page.fill("[data-testid=\"field-feedback\"]", "Ship it."))
          yield* p(() => page.click("[data-testid=\"submit\"]"))
          yield* p(() =>
            page.locator(".meta [data-testid=\"status\"]", { hasText: "done" }).waitFor({ timeout: 15_000 })
          )
          yield* p(() => page.locator("#diagram svg g.node.visited", { hasText: "publish" }).waitFor())
          assert.strictEqual(yield* p(() => page.locator("#diagram svg g.node.waiting").count()), 0)
          assert.include(yield* p(() => page.locator("[data-testid=\"state\"]").innerText()), "\"published\": true")
          assert.include(yield* p(() => page.locator("[data-testid=\"events\"]").innerText()), "publish: finished")
          yield* shot(page, "4-run-done")
          const state = yield* Durable.state("release-1", example.ReleaseStore)
          assert.strictEqual(state.feedback, "Ship it.")
          assert.isTrue(state.published)

          // Fork from the waiting checkpoint: a new run, continued here, waits at review again.
          const { snapshots } = yield* Durable.history("release-1")
          const waitingVersion = snapshots.find((s) => s.status === "suspended")!.version
          yield* p(() => page.locator(`tr[data-version="${waitingVersion}"] [data-testid="fork"]`).click())
          const link = page.locator("[data-testid=\"notice\"] a")
          yield* p(() => link.waitFor())
          const forkId = yield* p(() => link.innerText())
          assert.match(forkId, /^release-1\.fork-v\d+-[0-9a-f]{6}$/)
          yield* p(() => link.click())
          yield* p(() => page.locator("#diagram svg g.node.waiting", { hasText: "review" }).waitFor())
          yield* shot(page, "5-fork")

          // Everything the page loaded came from the viewer itself.
          for (const url of requests) assert.isTrue(url.startsWith(`http://127.0.0.1:${viewer.port}/`), url)
          assert.deepStrictEqual(scriptErrors, [])
          assert.deepStrictEqual(notFound, [])
        }).pipe(Effect.provide(example.layer(dir, { announce: false })))
      }).pipe(Effect.scoped),
    60_000
  )
})
