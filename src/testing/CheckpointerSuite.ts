/**
 * The checkpointer conformance suite: every rule of the contract in `Checkpointer`'s module documentation as a
 * check (a name and an Effect that dies when the rule is broken). Run the checks against a home-made checkpointer
 * with any test runner to check it keeps the same rules as the shipped ones; with `@effect/vitest`:
 * `for (const c of CheckpointerSuite.checks(make)) it.effect(c.name, () => c.run)`. Checks use fresh run ids (and a
 * fresh flow name per listing check), so a shared, non-empty store is fine.
 *
 * @since 0.2.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Checkpointer from "../Checkpointer.ts"
import type { CheckpointError } from "../Errors.ts"
import type { Json } from "../internal/json.ts"

/**
 * How the suite builds the checkpointer under test: a layer for the given options (the suite asks for the defaults,
 * for `keep: 3` and for `maxStateBytes: 4096`). Layers built from one factory should share their storage.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import type { CheckpointerSuite } from "effect-pocketflow/testing"
 *
 * const make: CheckpointerSuite.MakeLayer<never> = (options) =>
 *   Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory(options))
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export type MakeLayer<E> = (options: Checkpointer.Options) => Layer.Layer<Checkpointer.Checkpointer, E>

/**
 * One conformance check: run `run` (it provides the checkpointer itself); it dies with a message naming the broken
 * rule.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { CheckpointerSuite } from "effect-pocketflow/testing"
 *
 * const runAll = (checks: ReadonlyArray<CheckpointerSuite.Check<never>>) => Effect.forEach(checks, (c) => c.run)
 * ```
 * @category models
 * @stability stable
 * @since 0.2.0
 */
export interface Check<E> {
  readonly name: string
  readonly run: Effect.Effect<void, E>
}

/**
 * The conformance checks for the checkpointer that `make` builds (with the default options, with `keep: 3`, and with
 * `maxStateBytes: 4096`).
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { CheckpointerSuite } from "effect-pocketflow/testing"
 *
 * const make = (options: Checkpointer.Options) =>
 *   Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory(options))
 * for (const check of CheckpointerSuite.checks(make)) it.effect(check.name, () => check.run)
 * ```
 * @category testing
 * @stability stable
 * @since 0.2.0
 */
export const checks = <E>(make: MakeLayer<E>): ReadonlyArray<Check<E>> => {
  const out: Array<Check<E>> = []
  const group = (
    label: string,
    layer: Layer.Layer<Checkpointer.Checkpointer, E>,
    add: (it: {
      readonly effect: (name: string, body: () => Effect.Effect<void, unknown, Checkpointer.Checkpointer>) => void
    }) => void
  ) =>
    add({
      effect: (name, body) =>
        out.push({ name: `${label}: ${name}`, run: Effect.provide(Effect.orDie(Effect.suspend(body)), layer) })
    })
  const prefix = `suite-${Math.random().toString(36).slice(2, 10)}`
  let n = 0
  const fresh = (label: string) => `${prefix}/${label}#${++n}`
  const service = Checkpointer.Checkpointer

  {
    group("default keep", make({}), (it) => {
      it.effect("load of an unknown run is undefined; save then load returns the snapshot as saved", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("Ünïcode run/with ? odd : chars")
          assert.isUndefined(yield* c.load(id))
          assert.isUndefined(yield* c.loadVersion(id, 1))
          const s1 = snapshot(id, 1, {
            status: "suspended",
            waiting: [waiting("a/b#1/approve#1", 99)],
            deadline: 99,
            stores: { main: { nested: [1, "two", null, true, { x: 1.5 }] } }
          })
          yield* c.save(s1)
          assert.deepStrictEqual(yield* c.load(id), s1)
          assert.deepStrictEqual(yield* c.loadVersion(id, 1), s1)
          const s2 = snapshot(id, 2, { status: "done", action: "finish", steps: 3 })
          yield* c.save(s2)
          assert.deepStrictEqual(yield* c.load(id), s2)
          assert.deepStrictEqual(yield* c.loadVersion(id, 1), s1)
          assert.isUndefined(yield* c.loadVersion(id, 3))
        }))

      it.effect("ids differing only in case, by a slash or in a long tail are different runs", () =>
        Effect.gen(function*() {
          const base = fresh("case")
          const long = "x".repeat(300)
          const ids = [`${base}-Run`, `${base}-run`, `${base}-a/b`, `${base}-a%2Fb`, `${base}-${long}1`]
          ids.push(`${base}-${long}2`, `${base}-..`, `${base}-.`)
          const checkpointer = yield* service
          for (const [i, id] of ids.entries()) yield* checkpointer.save(snapshot(id, 1, { steps: i }))
          for (const [i, id] of ids.entries()) {
            const loaded = yield* checkpointer.load(id)
            assert.strictEqual(loaded?.id, id)
            assert.strictEqual(loaded?.steps, i)
          }
        }))

      it.effect("save is compare-and-set: only version latest + 1 is stored, anything else is a version conflict", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("cas")
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 2))), "version conflict")
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 0))), "version conflict")
          assert.isUndefined(yield* c.load(id))
          const first = snapshot(id, 1, { steps: 1 })
          yield* c.save(first)
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 1, { steps: 99 }))), "version conflict")
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 3))), "version conflict")
          assert.deepStrictEqual(yield* c.load(id), first)
          yield* c.save(snapshot(id, 2, { steps: 2 }))
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 2, { steps: 99 }))), "version conflict")
          assert.strictEqual((yield* c.load(id))?.steps, 2)
          assert.strictEqual((yield* c.loadVersion(id, 1))?.steps, 1)
        }))

      it.effect("concurrent saves of one version: exactly one wins, the stored snapshot is the winner's", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("race")
          yield* c.save(snapshot(id, 1))
          const exits = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => i),
            (i) => Effect.exit(c.save(snapshot(id, 2, { steps: i }))),
            { concurrency: "unbounded" }
          )
          const winners = exits.flatMap((exit, i) => Exit.isSuccess(exit) ? [i] : [])
          assert.strictEqual(winners.length, 1)
          assert.strictEqual((yield* c.load(id))?.steps, winners[0])
        }))

      it.effect("history pages newest first, going back in time with `before`", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("history")
          assert.deepStrictEqual(yield* c.history(id, { limit: 5 }), [])
          for (let v = 1; v <= 7; v++) yield* c.save(snapshot(id, v))
          const versions = (page: ReadonlyArray<Checkpointer.Snapshot>) => page.map((s) => s.version)
          assert.deepStrictEqual(versions(yield* c.history(id, { limit: 3 })), [7, 6, 5])
          assert.deepStrictEqual(versions(yield* c.history(id, { limit: 3, before: 5 })), [4, 3, 2])
          assert.deepStrictEqual(versions(yield* c.history(id, { limit: 3, before: 2 })), [1])
          assert.deepStrictEqual(versions(yield* c.history(id, { limit: 3, before: 1 })), [])
          assert.deepStrictEqual(versions(yield* c.history(id, { limit: 100 })), [7, 6, 5, 4, 3, 2, 1])
        }))

      it.effect("list returns each run's latest snapshot, filtered by status, flow and deadline", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-list")
          const other = fresh("flow-other")
          const a = fresh("a")
          const b = fresh("b")
          const d = fresh("d")
          yield* c.save(snapshot(a, 1, { flow, status: "running", updatedAt: 10 }))
          yield* c.save(snapshot(a, 2, { flow, status: "suspended", deadline: 50, updatedAt: 20 }))
          yield* c.save(snapshot(b, 1, { flow, status: "suspended", deadline: 500, updatedAt: 30 }))
          yield* c.save(snapshot(d, 1, { flow: other, status: "suspended", deadline: 5, updatedAt: 40 }))
          const ids = (r: { readonly runs: ReadonlyArray<Checkpointer.Snapshot> }) => r.runs.map((s) => s.id)
          const all = yield* c.list({ flow })
          assert.deepStrictEqual(ids(all), [b, a])
          assert.deepStrictEqual(all.runs.map((s) => s.version), [1, 2])
          assert.isUndefined(all.cursor)
          assert.deepStrictEqual(ids(yield* c.list({ flow, status: "running" })), [])
          assert.deepStrictEqual(ids(yield* c.list({ flow, status: "suspended" })), [b, a])
          assert.deepStrictEqual(ids(yield* c.list({ flow, deadlineBefore: 100 })), [a])
          assert.deepStrictEqual(ids(yield* c.list({ flow, deadlineBefore: 50 })), [])
          assert.deepStrictEqual(ids(yield* c.list({ flow: other })), [d])
          yield* c.save(snapshot(b, 2, { flow, status: "done", deadline: 1, updatedAt: 60 }))
          assert.deepStrictEqual(ids(yield* c.list({ flow, deadlineBefore: 100 })), [a])
          assert.deepStrictEqual(ids(yield* c.list({ flow, status: "done" })), [b])
        }))

      it.effect("list pages with limit and cursor, newest updatedAt first then by id, stable as runs are added", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-pages")
          const ids = Array.from({ length: 7 }, (_, i) => `${fresh("p")}-${i}`)
          // Two runs share each updatedAt, so ties are ordered by id.
          for (const [i, id] of ids.entries()) {
            yield* c.save(snapshot(id, 1, { flow, updatedAt: 1000 + Math.floor(i / 2) }))
          }
          const expected = [...ids].sort((x, y) => {
            const ux = Math.floor(ids.indexOf(x) / 2)
            const uy = Math.floor(ids.indexOf(y) / 2)
            return uy - ux || (x < y ? -1 : 1)
          })
          const seen: Array<string> = []
          let cursor: string | undefined
          let pages = 0
          do {
            const page = yield* c.list({ flow, limit: 3, cursor })
            seen.push(...page.runs.map((s) => s.id))
            cursor = page.cursor
            pages++
            // A run added after the first page is newer than every cursor: it never shifts later pages.
            if (pages === 1) yield* c.save(snapshot(fresh("late"), 1, { flow, updatedAt: 5000 }))
          } while (cursor !== undefined && pages < 10)
          assert.deepStrictEqual(seen, expected)
          assert.strictEqual(pages, 3)
          assert.strictEqual((yield* c.list({ flow, limit: 100 })).runs.length, 8)
        }))

      it.effect("items: one record per (scope, index), a later put replaces it, scopes are separate", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("items")
          yield* c.save(snapshot(id, 1))
          assert.strictEqual((yield* c.items(id, "batch/a")).size, 0)
          assert.strictEqual(yield* c.countItems(id, "batch/a"), 0)
          yield* c.putItem(id, "batch/a", 0, { text: "zero" })
          yield* c.putItem(id, "batch/a", 2, [1, 2, 3])
          yield* c.putItem(id, "batch/a", 10, null)
          yield* c.putItem(id, "batch/B", 0, "other scope")
          yield* c.putItem(id, "batch/a", 2, "replaced")
          const items = yield* c.items(id, "batch/a")
          assert.deepStrictEqual(
            [...items.entries()].sort((x, y) => x[0] - y[0]),
            [[0, { text: "zero" }], [2, "replaced"], [10, null]]
          )
          assert.deepStrictEqual([...(yield* c.items(id, "batch/B")).entries()], [[0, "other scope"]])
          assert.strictEqual((yield* c.items(id, "batch/b")).size, 0)
          assert.strictEqual(yield* c.countItems(id, "batch/a"), 3, "countItems counts a scope's records")
          assert.strictEqual(yield* c.countItems(id, "batch/B"), 1)
          assert.strictEqual(yield* c.countItems(id, "batch/b"), 0)
        }))

      it.effect("putAnswer writes once per key; removeAnswer frees the key", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("inbox")
          yield* c.save(snapshot(id, 1))
          const first: Checkpointer.Answer = {
            key: "f/review#1/ok#1",
            value: { ok: true },
            prompt: "Publish?",
            answeredAt: 1
          }
          assert.deepStrictEqual(yield* c.answers(id), [])
          assert.isTrue(yield* c.putAnswer(id, first))
          assert.isFalse(yield* c.putAnswer(id, { ...first, value: { ok: false }, answeredAt: 2 }))
          const second: Checkpointer.Answer = { key: "f/review#1/ok#2", value: 7, prompt: { q: 1 }, answeredAt: 3 }
          assert.isTrue(yield* c.putAnswer(id, second))
          assert.deepStrictEqual(sortAnswers(yield* c.answers(id)), [first, second])
          yield* c.removeAnswer(id, first.key)
          yield* c.removeAnswer(id, "no such key")
          assert.deepStrictEqual(yield* c.answers(id), [second])
          const again = { ...first, value: "again", answeredAt: 4 }
          assert.isTrue(yield* c.putAnswer(id, again))
          assert.deepStrictEqual(sortAnswers(yield* c.answers(id)), [second, again])
        }))

      it.effect("concurrent putAnswer of one key: exactly one is written", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("inbox-race")
          yield* c.save(snapshot(id, 1))
          const results = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => i),
            (i) => c.putAnswer(id, { key: "k", value: i, prompt: null, answeredAt: i }),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.filter((won) => won).length, 1)
          assert.deepStrictEqual((yield* c.answers(id)).map((a) => a.value), [results.indexOf(true)])
        }))

      it.effect("claim: free, expired or ours is taken; another owner's live lease is returned; force takes it", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("lease")
          // A lease records its owner's last claim or renewal as `heartbeatAt` (the `now` passed).
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 0, expiresAt: 100, force: false }))
          assert.deepStrictEqual(yield* c.claim(id, { owner: "b", now: 50, expiresAt: 150, force: false }), {
            owner: "a",
            expiresAt: 100,
            heartbeatAt: 0
          })
          assert.deepStrictEqual(yield* c.claim(id, { owner: "b", now: 99, expiresAt: 150, force: false }), {
            owner: "a",
            expiresAt: 100,
            heartbeatAt: 0
          })
          // Ours again: extended.
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 60, expiresAt: 200, force: false }))
          assert.deepStrictEqual(yield* c.claim(id, { owner: "b", now: 150, expiresAt: 300, force: false }), {
            owner: "a",
            expiresAt: 200,
            heartbeatAt: 60
          })
          // Expired: taken.
          assert.isUndefined(yield* c.claim(id, { owner: "b", now: 200, expiresAt: 300, force: false }))
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 201, expiresAt: 400 }), {
            _tag: "Lost",
            lease: { owner: "b", expiresAt: 300, heartbeatAt: 200 }
          })
          // Forced while live.
          assert.isUndefined(yield* c.claim(id, { owner: "c", now: 210, expiresAt: 500, force: true }))
          assert.deepStrictEqual(yield* c.renew(id, { owner: "b", now: 211, expiresAt: 600 }), {
            _tag: "Lost",
            lease: { owner: "c", expiresAt: 500, heartbeatAt: 210 }
          })
        }))

      it.effect("concurrent claims of a free lease: exactly one owner holds it", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("lease-race")
          const results = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => i),
            (i) => c.claim(id, { owner: `o${i}`, now: 0, expiresAt: 1000, force: false }),
            { concurrency: "unbounded" }
          )
          const winners = results.flatMap((r, i) => r === undefined ? [i] : [])
          assert.strictEqual(winners.length, 1)
          for (const r of results) {
            if (r !== undefined) assert.deepStrictEqual(r, { owner: `o${winners[0]}`, expiresAt: 1000, heartbeatAt: 0 })
          }
          assert.deepStrictEqual(yield* c.renew(id, { owner: `o${winners[0]}`, now: 1, expiresAt: 2000 }), {
            _tag: "Renewed",
            interrupt: false
          })
        }))

      it.effect("renew extends a lease we hold; release frees it (only for its owner)", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("renew")
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 0, expiresAt: 100 }), {
            _tag: "Lost",
            lease: undefined
          })
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 0, expiresAt: 100, force: false }))
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 90, expiresAt: 300 }), {
            _tag: "Renewed",
            interrupt: false
          })
          // Past the first expiry, before the renewed one: still held.
          assert.deepStrictEqual(yield* c.claim(id, { owner: "b", now: 200, expiresAt: 400, force: false }), {
            owner: "a",
            expiresAt: 300,
            heartbeatAt: 90
          })
          yield* c.release(id, "b")
          assert.deepStrictEqual(yield* c.claim(id, { owner: "b", now: 200, expiresAt: 400, force: false }), {
            owner: "a",
            expiresAt: 300,
            heartbeatAt: 90
          })
          yield* c.release(id, "a")
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 201, expiresAt: 500 }), {
            _tag: "Lost",
            lease: undefined
          })
          assert.isUndefined(yield* c.claim(id, { owner: "b", now: 201, expiresAt: 400, force: false }))
        }))

      it.effect("requestInterrupt marks the run: its owner's next renew reports it", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("interrupt")
          yield* c.save(snapshot(id, 1))
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 0, expiresAt: 100, force: false }))
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 1, expiresAt: 100 }), {
            _tag: "Renewed",
            interrupt: false
          })
          yield* c.requestInterrupt(id)
          assert.deepStrictEqual(yield* c.renew(id, { owner: "a", now: 2, expiresAt: 100 }), {
            _tag: "Renewed",
            interrupt: true
          })
        }))

      it.effect("delete removes versions, items, answers, lease and marks; the id can start over", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-delete")
          const id = fresh("delete")
          yield* c.save(snapshot(id, 1, { flow }))
          yield* c.save(snapshot(id, 2, { flow }))
          yield* c.putItem(id, "s", 0, 1)
          yield* c.putAnswer(id, { key: "k", value: 1, prompt: null, answeredAt: 0 })
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 0, expiresAt: 1000, force: false }))
          yield* c.requestInterrupt(id)
          yield* c.delete(id)
          yield* c.delete(fresh("never existed"))
          assert.isUndefined(yield* c.load(id))
          assert.isUndefined(yield* c.loadVersion(id, 1))
          assert.deepStrictEqual(yield* c.history(id, { limit: 10 }), [])
          assert.strictEqual((yield* c.items(id, "s")).size, 0)
          assert.deepStrictEqual(yield* c.answers(id), [])
          assert.deepStrictEqual((yield* c.list({ flow })).runs, [])
          assert.isUndefined(yield* c.claim(id, { owner: "b", now: 1, expiresAt: 1000, force: false }))
          assert.deepStrictEqual(yield* c.renew(id, { owner: "b", now: 2, expiresAt: 1000 }), {
            _tag: "Renewed",
            interrupt: false
          })
          const again = snapshot(id, 1, { flow, steps: 42 })
          yield* c.save(again)
          assert.deepStrictEqual(yield* c.load(id), again)
        }))

      it.effect("save reports the interrupt mark; requestInterrupt of a run that does not exist creates nothing", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("interrupt-save")
          assert.deepStrictEqual(yield* c.save(snapshot(id, 1)), { interrupt: false })
          yield* c.requestInterrupt(id)
          assert.deepStrictEqual(yield* c.save(snapshot(id, 2)), { interrupt: true }, "a save after the mark")
          const ghost = fresh("interrupt-ghost")
          yield* c.requestInterrupt(ghost)
          assert.isUndefined(yield* c.load(ghost))
          assert.deepStrictEqual(yield* c.lease(ghost), { lease: undefined, interrupt: false })
        }))

      it.effect("lease reads the lease as recorded (with its last heartbeat) and the interrupt mark", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("lease-read")
          assert.deepStrictEqual(yield* c.lease(id), { lease: undefined, interrupt: false })
          yield* c.save(snapshot(id, 1))
          assert.isUndefined(yield* c.claim(id, { owner: "a", now: 10, expiresAt: 100, force: false }))
          assert.deepStrictEqual(yield* c.lease(id), {
            lease: { owner: "a", expiresAt: 100, heartbeatAt: 10 },
            interrupt: false
          })
          yield* c.renew(id, { owner: "a", now: 40, expiresAt: 130 })
          yield* c.requestInterrupt(id)
          // Still recorded once expired (its owner stopped without releasing it): readers tell that from `expiresAt`.
          assert.deepStrictEqual(yield* c.lease(id), {
            lease: { owner: "a", expiresAt: 130, heartbeatAt: 40 },
            interrupt: true
          })
          yield* c.release(id, "a")
          assert.deepStrictEqual(yield* c.lease(id), { lease: undefined, interrupt: true })
        }))

      it.effect("putItem and putAnswer into a run that does not exist (never saved, or deleted) are refused", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-ghost")
          const never = fresh("never-saved")
          const answer: Checkpointer.Answer = { key: "k", value: 1, prompt: null, answeredAt: 0 }
          assert.strictEqual(yield* conflictReason(c.putItem(never, "s", 0, 1)), "version conflict")
          assert.strictEqual(yield* conflictReason(Effect.asVoid(c.putAnswer(never, answer))), "version conflict")
          const deleted = fresh("deleted")
          yield* c.save(snapshot(deleted, 1, { flow }))
          yield* c.delete(deleted)
          assert.strictEqual(yield* conflictReason(c.putItem(deleted, "s", 0, 1)), "version conflict")
          assert.strictEqual(yield* conflictReason(Effect.asVoid(c.putAnswer(deleted, answer))), "version conflict")
          for (const id of [never, deleted]) {
            assert.isUndefined(yield* c.load(id))
            assert.strictEqual((yield* c.items(id, "s")).size, 0)
            assert.deepStrictEqual(yield* c.answers(id), [])
          }
          assert.deepStrictEqual((yield* c.list({ flow })).runs, [])
        }))

      it.effect("a save into a run deleted meanwhile is a version conflict and brings nothing back", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-deleted")
          const id = fresh("deleted-save")
          yield* c.save(snapshot(id, 1, { flow }))
          yield* c.save(snapshot(id, 2, { flow }))
          yield* c.delete(id)
          assert.strictEqual(
            yield* conflictReason(Effect.asVoid(c.save(snapshot(id, 3, { flow })))),
            "version conflict"
          )
          assert.isUndefined(yield* c.load(id))
          assert.deepStrictEqual(yield* c.history(id, { limit: 10 }), [])
          assert.deepStrictEqual((yield* c.list({ flow })).runs, [])
        }))

      it.effect("delete with a version removes the run only while that is its latest version", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("delete-if")
          assert.isFalse(yield* c.delete(id, { version: 1 }), "no run: nothing to compare")
          yield* c.save(snapshot(id, 1))
          yield* c.save(snapshot(id, 2))
          assert.isFalse(yield* c.delete(id, { version: 1 }), "moved on since version 1")
          assert.strictEqual((yield* c.load(id))?.version, 2)
          assert.isTrue(yield* c.delete(id, { version: 2 }))
          assert.isUndefined(yield* c.load(id))
          assert.isTrue(yield* c.delete(id), "an unconditional delete")
        }))

      it.effect("an invalid run id dies with a TypeError naming the method and the id", () =>
        Effect.gen(function*() {
          const c = yield* service
          const cut = "report-\uD83D"
          const long = "x".repeat(513)
          const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, CheckpointError>]> = [
            ["load", c.load(cut)],
            ["save", c.save(snapshot(cut, 1))],
            ["save", c.save(snapshot("", 1))],
            ["claim", c.claim(long, { owner: "a", now: 0, expiresAt: 1, force: false })],
            ["putItem", c.putItem("\uDC00x", "s", 0, 1)],
            ["delete", c.delete(cut)]
          ]
          for (const [method, call] of calls) {
            const exit = yield* Effect.exit(call)
            const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
            assert.isTrue(defect instanceof TypeError, `${method} of an invalid id dies with a TypeError`)
            assert.isTrue(String((defect as Error).message).includes(method), `the TypeError names ${method}`)
          }
          assert.isUndefined(yield* c.load("report-\uD83C\uDF89"), "a well-formed id is fine")
        }))

      it.effect("due: running runs nobody holds, earliest first, up to limit; a live lease hides a run", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-due-running")
          const flows = [flow]
          const [a, b, d] = [fresh("due-a"), fresh("due-b"), fresh("due-d")]
          yield* c.save(snapshot(a, 1, { flow, status: "running", updatedAt: 20 }))
          yield* c.save(snapshot(b, 1, { flow, status: "running", updatedAt: 10 }))
          yield* c.save(snapshot(d, 1, { flow, status: "running", updatedAt: 30 }))
          assert.deepStrictEqual((yield* c.due({ now: 100, limit: 10, flows })).ids, [b, a, d])
          assert.deepStrictEqual((yield* c.due({ now: 100, limit: 2, flows })).ids, [b, a], "limit")
          assert.deepStrictEqual((yield* c.due({ now: 100, limit: 10, flows: [fresh("flow-none")] })).ids, [])
          assert.isUndefined(yield* c.claim(a, { owner: "x", now: 100, expiresAt: 200, force: false }))
          assert.deepStrictEqual((yield* c.due({ now: 150, limit: 10, flows })).ids, [b, d], "held by a live owner")
          assert.deepStrictEqual((yield* c.due({ now: 200, limit: 10, flows })).ids, [b, a, d], "its lease expired")
          yield* c.release(a, "x")
          assert.deepStrictEqual((yield* c.due({ now: 150, limit: 10, flows })).ids, [b, a, d], "released")
          yield* c.save(snapshot(d, 2, { flow, status: "done", updatedAt: 160 }))
          yield* c.delete(b)
          assert.deepStrictEqual((yield* c.due({ now: 170, limit: 10, flows })).ids, [a], "ended and deleted runs")
        }))

      it.effect("due: a waiting run once answered, or at its timer or deadline; records already over count for nothing", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-due-waiting")
          const flows = [flow]
          // Far in the future, so no other check's run comes before these in `next`.
          const t = 4_000_000_000_000
          const [idle, answered, sleeping, deadline, over] = ["idle", "answered", "sleeping", "deadline", "over"].map(
            fresh
          )
          yield* c.save(snapshot(idle, 1, { flow, status: "suspended", waiting: [waiting("k#1")], updatedAt: t }))
          yield* c.save(snapshot(answered, 1, { flow, status: "suspended", waiting: [waiting("k#1")], updatedAt: t }))
          yield* c.save(snapshot(sleeping, 1, { flow, status: "sleeping", waiting: [timer("s#1", t + 500)] }))
          yield* c.save(
            snapshot(deadline, 1, { flow, status: "suspended", waiting: [waiting("k#1", t + 700)], deadline: t + 700 })
          )
          yield* c.save(
            snapshot(over, 1, {
              flow,
              status: "sleeping",
              waiting: [{ ...timer("s#1", t + 50), answered: true }, timer("s#2", t + 900)]
            })
          )
          const at = (now: number) => c.due({ now, limit: 10, flows })
          const first = yield* at(t + 100)
          assert.deepStrictEqual(first.ids, [], "nothing answered, no time reached")
          assert.strictEqual(first.next, t + 500, "next: the earliest time ahead")
          assert.isTrue(yield* c.putAnswer(answered, { key: "k#1", value: true, prompt: null, answeredAt: t + 100 }))
          assert.deepStrictEqual((yield* at(t + 100)).ids, [answered], "an answer makes it due")
          assert.deepStrictEqual((yield* at(t + 499)).ids, [answered], "a timer is not due before its time")
          assert.deepStrictEqual((yield* at(t + 500)).ids, [answered, sleeping], "a timer is due at its time")
          assert.deepStrictEqual((yield* at(t + 700)).ids, [answered, sleeping, deadline], "an input's deadline")
          assert.deepStrictEqual(
            (yield* at(t + 900)).ids,
            [answered, sleeping, deadline, over],
            "a record already over (answered: true) does not make its run due"
          )
        }))

      it.effect("due: the save that ends a child makes its waiting parent due", () =>
        Effect.gen(function*() {
          const c = yield* service
          const flow = fresh("flow-due-parent")
          const parent = fresh("parent")
          const child = fresh("child")
          yield* c.save(
            snapshot(parent, 1, { flow, status: "waiting", waiting: [childWait("c#1", child)], children: [child] })
          )
          yield* c.save(snapshot(child, 1, { flow: fresh("flow-child"), status: "running", parent, updatedAt: 10 }))
          assert.deepStrictEqual((yield* c.due({ now: 1000, limit: 10, flows: [flow] })).ids, [], "child running")
          yield* c.save(snapshot(child, 2, { flow: fresh("flow-child"), status: "done", parent, updatedAt: 20 }))
          assert.deepStrictEqual((yield* c.due({ now: 1000, limit: 10, flows: [flow] })).ids, [parent])
          assert.deepStrictEqual((yield* c.list({ parent })).runs.map((s) => s.id), [child], "list by parent")
        }))

      it.effect("a cursor no list returned is CheckpointError \"invalid cursor\"", () =>
        Effect.gen(function*() {
          const c = yield* service
          for (const cursor of ["garbage", "%E0%A4%A", encodeURIComponent(JSON.stringify({ at: 1 })), "[1]"]) {
            const error = yield* Effect.flip(c.list({ cursor }))
            assert.strictEqual(error.reason, "invalid cursor", `cursor ${JSON.stringify(cursor)}`)
          }
        }))
    })

    group("keep: 3", make({ keep: 3 }), (it) => {
      it.effect("only the newest `keep` versions are kept; saving goes on", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("keep")
          for (let v = 1; v <= 5; v++) yield* c.save(snapshot(id, v, { steps: v }))
          assert.isUndefined(yield* c.loadVersion(id, 1))
          assert.isUndefined(yield* c.loadVersion(id, 2))
          assert.strictEqual((yield* c.loadVersion(id, 3))?.steps, 3)
          assert.deepStrictEqual((yield* c.history(id, { limit: 10 })).map((s) => s.version), [5, 4, 3])
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 2))), "version conflict")
          assert.strictEqual(yield* conflictReason(c.save(snapshot(id, 5))), "version conflict")
          yield* c.save(snapshot(id, 6, { steps: 6 }))
          assert.strictEqual((yield* c.load(id))?.steps, 6)
          assert.deepStrictEqual((yield* c.history(id, { limit: 10 })).map((s) => s.version), [6, 5, 4])
        }))
    })

    group("maxStateBytes: 4096", make({ maxStateBytes: 4096 }), (it) => {
      it.effect("a snapshot, item or answer over maxStateBytes is refused (\"state too large\"), nothing written", () =>
        Effect.gen(function*() {
          const c = yield* service
          const id = fresh("large")
          const big = "x".repeat(5000)
          yield* c.save(snapshot(id, 1, { stores: { main: "small" } }))
          const error = yield* Effect.flip(c.save(snapshot(id, 2, { stores: { main: big } })))
          assert.strictEqual(error.reason, "state too large")
          assert.isTrue(error.detail.includes("4096"), `the detail names the limit: ${error.detail}`)
          assert.strictEqual((yield* c.load(id))?.version, 1)
          const item = yield* Effect.flip(c.putItem(id, "s", 0, big))
          assert.strictEqual(item.reason, "state too large")
          assert.strictEqual(yield* c.countItems(id, "s"), 0)
          const answer = yield* Effect.flip(c.putAnswer(id, { key: "k", value: big, prompt: null, answeredAt: 0 }))
          assert.strictEqual(answer.reason, "state too large")
          assert.deepStrictEqual(yield* c.answers(id), [])
          // Just under the limit still fits.
          yield* c.save(snapshot(id, 2, { stores: { main: "x".repeat(3000) } }))
          assert.strictEqual((yield* c.load(id))?.version, 2)
        }))
    })
  }
  return out
}

/** The assertions the checks make, with messages that say what a conforming checkpointer does. */
class ConformanceError extends Error {
  override readonly name = "ConformanceError"
}
const show = (u: unknown) => JSON.stringify(u, (_k, v) => v === undefined ? "<undefined>" : v)
/** JSON-like values compared structurally, key order ignored (checkpoints are JSON). */
const equal = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (a instanceof Map && b instanceof Map) return equal(Array.from(a.entries()), Array.from(b.entries()))
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  return ka.length === kb.length &&
    ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
const fail = (message: string | undefined, detail: string): never => {
  throw new ConformanceError(message === undefined ? detail : `${message}: ${detail}`)
}
const assert = {
  deepStrictEqual: (actual: unknown, expected: unknown, message?: string) => {
    if (!equal(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`)
  },
  strictEqual: (actual: unknown, expected: unknown, message?: string) => {
    if (actual !== expected) fail(message, `expected ${show(expected)}, got ${show(actual)}`)
  },
  isUndefined: (actual: unknown, message?: string) => {
    if (actual !== undefined) fail(message, `expected undefined, got ${show(actual)}`)
  },
  isTrue: (actual: unknown, message?: string) => {
    if (actual !== true) fail(message, `expected true, got ${show(actual)}`)
  },
  isFalse: (actual: unknown, message?: string) => {
    if (actual !== false) fail(message, `expected false, got ${show(actual)}`)
  }
}

const conflictReason = (effect: Effect.Effect<void, CheckpointError>) =>
  Effect.map(Effect.flip(effect), (e) => e.reason)

const sortAnswers = (answers: ReadonlyArray<Checkpointer.Answer>) =>
  [...answers].sort((a, b) => a.answeredAt - b.answeredAt)

const waiting = (key: string, deadline?: number): Checkpointer.Waiting => ({
  key,
  input: "approve",
  path: "f/review#1",
  prompt: { question: "Publish?" },
  token: `token:${key}`,
  answerSchema: { type: "boolean" },
  deadline
})

const timer = (key: string, until: number): Checkpointer.Waiting => ({
  key,
  kind: "timer",
  input: "sleep",
  path: "f/nap#1",
  prompt: null,
  token: `token:${key}`,
  answerSchema: null,
  until
})

const childWait = (key: string, child: string): Checkpointer.Waiting => ({
  key,
  kind: "child",
  input: "child",
  path: "f/spawn#1",
  prompt: null,
  token: `token:${key}`,
  answerSchema: null,
  child
})

const snapshot = (
  id: string,
  version: number,
  fields: Partial<Omit<Checkpointer.Snapshot, "id" | "version" | "stores">> & {
    readonly stores?: { readonly [key: string]: Json }
  } = {}
): Checkpointer.Snapshot => ({
  format: 1,
  id,
  flow: "suite",
  version,
  status: "running",
  steps: version,
  position: { path: ["a", "b"], visits: { a: 1 } },
  stores: {},
  waiting: [],
  updatedAt: version,
  ...fields
})
