/**
 * The file-system checkpointer's own rules (its contract is checked in conformance.test.ts): its layout on disk, and
 * what it does when another writer moves under it.
 */
import { NodeServices } from "@effect/platform-node"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Layer, type PlatformError } from "effect"
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Checkpointer, Durable } from "../../src/index.ts"
import { snapshot } from "../support/snapshot.ts"

const root = mkdtempSync(join(tmpdir(), "pocketflow-fs-suite-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The checkpointer on `directory` over a file system whose `link` is `link` (given the real one): another writer. */
const racing = (
  directory: string,
  link: (fs: FileSystem.FileSystem, from: string, to: string) => Effect.Effect<void, PlatformError.PlatformError>
) =>
  Checkpointer.layerFileSystem({ directory }).pipe(
    Layer.provide(Layer.effect(
      FileSystem.FileSystem,
      Effect.map(FileSystem.FileSystem, (fs) => ({ ...fs, link: (from: string, to: string) => link(fs, from, to) }))
    )),
    Layer.provide(NodeServices.layer)
  )

describe("file-system checkpointer, on disk", () => {
  const layer = (directory: string, keep?: number) =>
    Checkpointer.layerFileSystem({ directory, keep }).pipe(Layer.provide(NodeServices.layer))

  it.effect("a run's folder is its percent-encoded id plus a hash; versions are files named by number", () =>
    Effect.gen(function*() {
      const directory = join(root, "layout")
      const c = yield* Checkpointer.Checkpointer
      yield* c.save(snapshot("Run/1", 1))
      yield* c.save(snapshot("run/1", 1))
      const folders = readdirSync(join(directory, "runs")).sort()
      assert.strictEqual(folders.length, 2)
      assert.match(folders[0]!, /^Run%2F1~[0-9a-f]{16}$/)
      assert.match(folders[1]!, /^run%2F1~[0-9a-f]{16}$/)
      assert.deepStrictEqual(readdirSync(join(directory, "runs", folders[0]!, "v")), ["000000000001.json"])
      // Nothing is left in tmp/ after a write.
      assert.deepStrictEqual(readdirSync(join(directory, "tmp")), [])
    }).pipe(Effect.provide(layer(join(root, "layout")))))

  it.effect("a save that fills a slot already pruned (a stalled writer) is undone and reported as a conflict", () =>
    Effect.gen(function*() {
      const directory = join(root, "stalled")
      const c = yield* Checkpointer.Checkpointer
      for (let v = 1; v <= 5; v++) yield* c.save(snapshot("r", v))
      const versions = join(directory, "runs", readdirSync(join(directory, "runs"))[0]!, "v")
      assert.deepStrictEqual(readdirSync(versions), ["000000000003.json", "000000000004.json", "000000000005.json"])
      // What a writer that checked for version 1 before it was pruned sees: version 1 there, 2 free.
      writeFileSync(join(versions, "000000000001.json"), JSON.stringify(snapshot("r", 1)))
      const error = yield* Effect.flip(c.save(snapshot("r", 2)))
      assert.strictEqual(error.reason, "version conflict")
      assert.isFalse(readdirSync(versions).includes("000000000002.json"))
      assert.strictEqual((yield* c.load("r"))?.version, 5)
    }).pipe(Effect.provide(layer(join(root, "stalled"), 3))))

  it.effect("storage failures are CheckpointError \"storage failed\" naming the path", () =>
    Effect.gen(function*() {
      const directory = join(root, "broken")
      const c = yield* Checkpointer.Checkpointer
      yield* c.save(snapshot("r", 1))
      const folder = join(directory, "runs", readdirSync(join(directory, "runs"))[0]!)
      // A file where the items folder should be.
      writeFileSync(join(folder, "items"), "")
      const error = yield* Effect.flip(c.putItem("r", "scope", 0, 1))
      assert.strictEqual(error.reason, "storage failed")
      assert.include(error.detail, folder)
    }).pipe(Effect.provide(layer(join(root, "broken")))))

  it.effect("a save stands when another writer builds the next version on it before the save returns", () =>
    Effect.gen(function*() {
      const directory = join(root, "successor")
      // The file system as another process would see it: right after our link of version 2, version 3 appears.
      const layer = racing(
        directory,
        (fs, from, to) =>
          Effect.tap(fs.link(from, to), () =>
            to.endsWith("000000000002.json")
              ? fs.writeFileString(join(dirname(to), "000000000003.json"), JSON.stringify(snapshot("r", 3)))
              : Effect.void)
      )
      yield* Effect.gen(function*() {
        const c = yield* Checkpointer.Checkpointer
        yield* c.save(snapshot("r", 1))
        yield* c.save(snapshot("r", 2))
        assert.strictEqual((yield* c.loadVersion("r", 2))?.version, 2)
        assert.strictEqual((yield* c.load("r"))?.version, 3)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("a claim linked into a lease slot pruned meanwhile (a stalled claimer) does not take the lease", () =>
    Effect.gen(function*() {
      const directory = join(root, "stalled-lease")
      // While our claim stalls between reading "free" and linking counter 1, another owner claims and renews nine
      // times; counter 1 has been pruned, so our link succeeds in its empty slot.
      let stalled = false
      const layer = racing(directory, (fs, from, to) =>
        Effect.andThen(
          !stalled && to.endsWith(join("lease", "000000000001.json"))
            ? Effect.gen(function*() {
              stalled = true
              yield* fs.makeDirectory(dirname(to), { recursive: true })
              for (let counter = 2; counter <= 10; counter++) {
                const name = `${String(counter).padStart(12, "0")}.json`
                yield* fs.writeFileString(
                  join(dirname(to), name),
                  JSON.stringify({ owner: "b", expiresAt: 500, heartbeatAt: 7 })
                )
              }
            })
            : Effect.void,
          fs.link(from, to)
        ))
      yield* Effect.gen(function*() {
        const c = yield* Checkpointer.Checkpointer
        const held = yield* c.claim("r", { owner: "a", now: 0, expiresAt: 100, force: false })
        assert.deepStrictEqual(held, { owner: "b", expiresAt: 500, heartbeatAt: 7 })
        assert.deepStrictEqual(yield* c.renew("r", { owner: "a", now: 1, expiresAt: 100 }), {
          _tag: "Lost",
          lease: { owner: "b", expiresAt: 500, heartbeatAt: 7 }
        })
      }).pipe(Effect.provide(layer))
    }))

  it("a keep that is not a positive integer is refused when the layer is made", () => {
    assert.throws(() => Checkpointer.layerFileSystem({ directory: root, keep: 0 }), /keep must be a positive integer/)
    assert.throws(() => Checkpointer.layerFileSystem({ directory: root, keep: 1.5 }), /keep must be a positive integer/)
  })

  it.effect("a damaged version file (edited by hand) is CheckpointError \"storage failed\", not a defect", () =>
    Effect.gen(function*() {
      const directory = join(root, "damaged")
      const c = yield* Checkpointer.Checkpointer
      yield* c.save(snapshot("r", 1))
      const versions = join(directory, "runs", readdirSync(join(directory, "runs"))[0]!, "v")
      writeFileSync(join(versions, "000000000001.json"), "{\"format\":1,\"id\":")
      const error = yield* Effect.flip(c.load("r"))
      assert.strictEqual(error.reason, "storage failed")
      assert.include(error.detail, "000000000001.json")
    }).pipe(Effect.provide(layer(join(root, "damaged")))))

  // Issue 17, defect 1: the layer remembers the version it saved last and skips looking for it; a run deleted by
  // another writer (another layer on the same directory is another process) must not come back at the next save.
  it.effect("a save after another writer deleted the run is a version conflict and makes no folder again", () =>
    Effect.gen(function*() {
      const directory = join(root, "deleted")
      const owner = layer(directory)
      const other = layer(directory)
      yield* Effect.gen(function*() {
        const c = yield* Checkpointer.Checkpointer
        yield* c.save(snapshot("r", 1))
        yield* c.save(snapshot("r", 2))
      }).pipe(Effect.provide(owner))
      yield* Effect.flatMap(Checkpointer.Checkpointer, (c) => c.delete("r")).pipe(Effect.provide(other))
      yield* Effect.gen(function*() {
        const c = yield* Checkpointer.Checkpointer
        const error = yield* Effect.flip(c.save(snapshot("r", 3)))
        assert.strictEqual(error.reason, "version conflict")
        // Nothing else an owner writes between saves brings the folder back either.
        assert.strictEqual((yield* Effect.flip(c.putItem("r", "batch", 0, 1))).reason, "version conflict")
        assert.deepStrictEqual(yield* c.renew("r", { owner: "me", now: 0, expiresAt: 1 }), {
          _tag: "Lost",
          lease: undefined
        })
        yield* c.release("r", "me")
        yield* c.requestInterrupt("r")
        assert.isUndefined(yield* c.load("r"))
      }).pipe(Effect.provide(owner))
      assert.deepStrictEqual(readdirSync(join(directory, "runs")), [])
    }))

  // Issue 17, defect 9: what is read from disk is checked for shape and run id.
  describe("files of the wrong shape are CheckpointError naming the file", () => {
    const runFolder = (directory: string) => join(directory, "runs", readdirSync(join(directory, "runs"))[0]!)

    it.effect("a latest version holding null", () =>
      Effect.gen(function*() {
        const directory = join(root, "null-version")
        yield* Effect.gen(function*() {
          const c = yield* Checkpointer.Checkpointer
          yield* c.save(snapshot("r", 1))
          writeFileSync(join(runFolder(directory), "v", "000000000002.json"), "null")
          const error = yield* Effect.flip(Durable.get("r"))
          assert.strictEqual(error.reason, "storage failed")
          assert.include(error.detail, "000000000002.json")
          assert.include(error.detail, "null")
          assert.strictEqual((yield* Effect.flip(c.history("r", { limit: 5 }))).reason, "storage failed")
          assert.strictEqual((yield* Effect.flip(c.list({}))).reason, "storage failed")
        }).pipe(Effect.provide(layer(directory)))
      }))

    it.effect("another run's snapshot copied into a run's folder", () =>
      Effect.gen(function*() {
        const directory = join(root, "copied")
        yield* Effect.gen(function*() {
          const c = yield* Checkpointer.Checkpointer
          yield* c.save(snapshot("victim", 1))
          yield* c.save(snapshot("other", 1))
          yield* c.save(snapshot("other", 2))
          const folders = readdirSync(join(directory, "runs"))
          const victim = join(directory, "runs", folders.find((f) => f.startsWith("victim"))!)
          const other = join(directory, "runs", folders.find((f) => f.startsWith("other"))!)
          copyFileSync(join(other, "v", "000000000002.json"), join(victim, "v", "000000000002.json"))
          const error = yield* Effect.flip(c.load("victim"))
          assert.strictEqual(error.reason, "storage failed")
          assert.include(error.detail, join(victim, "v", "000000000002.json"))
          assert.include(error.detail, "snapshot of run \"other\"")
          assert.strictEqual((yield* Effect.flip(c.list({}))).reason, "storage failed")
        }).pipe(Effect.provide(layer(directory)))
      }))

    it.effect("a lease file holding null, an answer of the wrong shape", () =>
      Effect.gen(function*() {
        const directory = join(root, "null-lease")
        yield* Effect.gen(function*() {
          const c = yield* Checkpointer.Checkpointer
          yield* c.save(snapshot("r", 1))
          assert.isUndefined(yield* c.claim("r", { owner: "a", now: 0, expiresAt: 10, force: false }))
          const leases = join(runFolder(directory), "lease")
          writeFileSync(join(leases, readdirSync(leases).sort().at(-1)!), "null")
          const error = yield* Effect.flip(c.claim("r", { owner: "b", now: 0, expiresAt: 10, force: false }))
          assert.strictEqual(error.reason, "storage failed")
          assert.include(error.detail, leases)
          assert.isTrue(yield* c.putAnswer("r", { key: "k", value: 1, prompt: null, answeredAt: 0 }))
          const inbox = join(runFolder(directory), "inbox")
          writeFileSync(join(inbox, readdirSync(inbox)[0]!), JSON.stringify({ key: 7 }))
          const answers = yield* Effect.flip(c.answers("r"))
          assert.strictEqual(answers.reason, "storage failed")
          assert.include(answers.detail, inbox)
        }).pipe(Effect.provide(layer(directory)))
      }))
  })
})
