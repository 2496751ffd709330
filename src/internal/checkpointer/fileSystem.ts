/**
 * The file-system checkpointer: plain files, safe across processes without locks.
 *
 * Layout under `directory`:
 * ```
 * runs/<name(id)>/v/<version>.json           one snapshot per version (12-digit, zero-padded)
 * runs/<name(id)>/items/<name(scope)>/<i>.json one finished batch item
 * runs/<name(id)>/inbox/<name(key)>.json      one answer
 * runs/<name(id)>/lease/<counter>.json        the lease's states, the highest counter is the current one
 * runs/<name(id)>/interrupt                   present once an interrupt was requested
 * tmp/                                        files being written (same file system, so they can be linked)
 * trash/                                      run folders being deleted
 * ```
 * `name(s)` is `s` percent-encoded (every byte but `[A-Za-z0-9_-]`, cut to 80 characters) plus `~` and a 64-bit
 * FNV-1a hash of the exact string: ids differing only in case get different folders on case-insensitive file
 * systems, and long ids stay under the 255-byte name limit.
 *
 * Why hard links: every write goes to a fresh temp file (fsync'd when asked), which is then `link`ed to its final
 * name. `link` fails when the name exists, atomically, on every local file system and across processes: that is
 * the compare-and-set. A reader sees either no file or a complete one, so a crash never tears a checkpoint.
 *
 * Versions: saving n checks that n − 1 exists (n > 1), links n (fails if n exists), then lists the folder: a
 * version n + keep or above, with ours still there, means our n filled a slot already pruned (we were stalled
 * between the check and the link while others saved `keep` versions), so ours is removed again and the save is a
 * conflict; closer versions above ours are successors built on it. The same listing prunes versions older than the
 * newest `keep`. `load` lists `v/` and reads the highest name only.
 *
 * Leases: each change (claim, renew, release) reads the highest counter c and its state, decides, and links
 * c + 1. Two processes deciding on the same c race for the same name: one link fails and that process re-reads.
 * After linking, a counter above c + 1 on disk means our slot had been pruned and reused stale: we re-read and
 * decide again. So a claim returns "ours" only when its state was the latest one when linked: two processes never
 * both hold a lease. The eight newest lease files are kept.
 *
 * Items are replaced by temp file + rename (a put is idempotent); answers are linked (written once per key).
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Path from "effect/Path"
import type * as PlatformError from "effect/PlatformError"
import * as Random from "effect/Random"
import { CheckpointError } from "../../Errors.ts"
import type { Json } from "../json.ts"
import {
  type Answer,
  checkKeep,
  Checkpointer,
  conflict,
  type Lease,
  matches,
  type Options,
  page,
  type Renewal,
  type Service,
  type Snapshot
} from "./service.ts"

/** Options of `Checkpointer.layerFileSystem`. */
export interface FileSystemOptions extends Options {
  /** The folder holding one folder per run; created when missing. */
  readonly directory: string
  /** fsync each written file and its folder before linking it into place (default false). */
  readonly fsync?: boolean | undefined
}

const MASK = (1n << 64n) - 1n
const PRIME = 0x100000001b3n
const encoder = new TextEncoder()

/** A 64-bit FNV-1a hash of the UTF-8 bytes, 16 hex digits. */
const hash = (s: string): string => {
  let h = 0xcbf29ce484222325n
  for (const byte of encoder.encode(s)) h = ((h ^ BigInt(byte)) * PRIME) & MASK
  return h.toString(16).padStart(16, "0")
}

/** A file name for any string (see the module doc). */
export const fileName = (s: string): string => {
  let out = ""
  for (const byte of encoder.encode(s)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_-]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0")
    if (out.length >= 80) break
  }
  return `${out}~${hash(s)}`
}

const versionName = (n: number) => `${String(n).padStart(12, "0")}.json`
const numberOf = (name: string): number | undefined => {
  const m = /^(\d+)\.json$/.exec(name)
  return m === null ? undefined : Number(m[1])
}

type LeaseState = { readonly owner: string; readonly expiresAt: number } | { readonly owner: null }

const isPlatform = (e: unknown): e is PlatformError.PlatformError =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "PlatformError"
const isTag = (error: PlatformError.PlatformError, tag: PlatformError.SystemErrorTag) => error.reason._tag === tag

/** @internal */
export const make = Effect.fnUntraced(function*(options: FileSystemOptions) {
  const keep = checkKeep("Checkpointer.layerFileSystem", options.keep)
  const fsync = options.fsync ?? false
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const root = path.resolve(options.directory)
  const runsDir = path.join(root, "runs")
  const tmpDir = path.join(root, "tmp")
  const trashDir = path.join(root, "trash")
  yield* fs.makeDirectory(runsDir, { recursive: true })
  yield* fs.makeDirectory(tmpDir, { recursive: true })
  yield* fs.makeDirectory(trashDir, { recursive: true })
  // Temp names: random per layer (Math.random-backed by default) plus a counter; "wx" guards the rest.
  const tag = [yield* Random.nextInt, yield* Random.nextInt].map((n) => Math.abs(n).toString(36)).join("")
  let counter = 0

  const storage = (what: string, file: string) => (error: PlatformError.PlatformError) =>
    new CheckpointError({ reason: "storage failed", detail: `${what} ${file}: ${error.message}` })
  const runDir = (id: string) => path.join(runsDir, fileName(id))
  const orMissing = <A, E>(effect: Effect.Effect<A, E | PlatformError.PlatformError>, missing: A) =>
    Effect.catchIf(
      effect,
      (e): e is PlatformError.PlatformError => isPlatform(e) && isTag(e, "NotFound"),
      () => Effect.succeed(missing)
    )
  const list = (dir: string) => orMissing(fs.readDirectory(dir), [] as Array<string>)
  const numbers = (dir: string) =>
    Effect.map(list(dir), (names) => {
      const out: Array<number> = []
      for (const name of names) {
        const n = numberOf(name)
        if (n !== undefined) out.push(n)
      }
      return out.sort((a, b) => a - b)
    })
  const readJson = <A>(file: string) =>
    orMissing(
      Effect.flatMap(fs.readFileString(file), (text) =>
        Effect.try({
          try: () => JSON.parse(text) as A,
          // Never from this module's writes (they are linked whole); a file edited or damaged by hand.
          catch: (cause) =>
            new CheckpointError({ reason: "storage failed", detail: `unreadable JSON in ${file}: ${String(cause)}` })
        })),
      undefined
    )

  const syncPath = (file: string) =>
    Effect.scoped(Effect.flatMap(fs.open(file, { flag: "r" }), (handle) => handle.sync))

  /** Writes a fresh temp file and returns its path. */
  const writeTemp = (value: unknown): Effect.Effect<string, PlatformError.PlatformError> => {
    const file = path.join(tmpDir, `${tag}-${++counter}.tmp`)
    const bytes = encoder.encode(JSON.stringify(value))
    if (!fsync) return Effect.as(fs.writeFile(file, bytes, { flag: "wx" }), file)
    return Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(file, { flag: "wx" })
      yield* handle.writeAll(bytes)
      yield* handle.sync
      return file
    }))
  }

  /**
   * Links a temp file to `target` (its folder created): `false` when `target` exists. The temp file is removed,
   * unless `removeTemp` is false and the link succeeded (the caller removes it then, alongside other work).
   */
  const linkInto = (
    temp: string,
    target: string,
    removeTemp = true
  ): Effect.Effect<boolean, PlatformError.PlatformError> => {
    const attempt = fs.link(temp, target).pipe(
      Effect.as(true),
      Effect.catchIf((e) => isTag(e, "AlreadyExists"), () => Effect.succeed(false))
    )
    const linked = attempt.pipe(
      Effect.catchIf(
        (e) => isTag(e, "NotFound"),
        () => Effect.andThen(fs.makeDirectory(path.dirname(target), { recursive: true }), attempt)
      ),
      Effect.tap((linked) => linked && fsync ? syncPath(path.dirname(target)) : Effect.void)
    )
    const removed = Effect.ignore(fs.remove(temp, { force: true }))
    if (removeTemp) return Effect.ensuring(linked, removed)
    return Effect.tap(Effect.onError(linked, () => removed), (ok) => ok ? Effect.void : removed)
  }

  const writeOnce = (target: string, value: unknown) =>
    Effect.flatMap(writeTemp(value), (temp) => linkInto(temp, target))

  const latestVersion = (id: string) =>
    Effect.map(numbers(path.join(runDir(id), "v")), (ns) => ns.length === 0 ? undefined : ns[ns.length - 1])

  const load = (id: string): Effect.Effect<Snapshot | undefined, CheckpointError | PlatformError.PlatformError> =>
    Effect.gen(function*() {
      const dir = path.join(runDir(id), "v")
      // The latest is never pruned, but a delete (or a stalled save undoing itself) can race us: re-list then.
      for (let attempt = 0; attempt < 5; attempt++) {
        const ns = yield* numbers(dir)
        if (ns.length === 0) return undefined
        const s = yield* readJson<Snapshot>(path.join(dir, versionName(ns[ns.length - 1]!)))
        if (s !== undefined) return s
      }
      return undefined
    })

  /** The version this layer saved last, per run: saving the next one needs no look at the folder first. */
  const savedHere = new Map<string, number>()

  const save = (snapshot: Snapshot): Effect.Effect<void, CheckpointError | PlatformError.PlatformError> =>
    Effect.gen(function*() {
      const { id, version: n } = snapshot
      const dir = path.join(runDir(id), "v")
      const fail = Effect.flatMap(latestVersion(id), (latest) => Effect.fail(conflict(id, n, latest)))
      if (!Number.isInteger(n) || n < 1) return yield* fail
      // n − 1 must exist. When this layer wrote it, it does unless the run was deleted meanwhile; the link below
      // is the compare-and-set either way.
      if (n > 1 && savedHere.get(id) !== n - 1 && !(yield* fs.exists(path.join(dir, versionName(n - 1))))) {
        return yield* fail
      }
      const file = path.join(dir, versionName(n))
      const temp = yield* writeTemp(snapshot)
      const linked = yield* linkInto(temp, file, false)
      if (!linked) {
        savedHere.delete(id)
        return yield* fail
      }
      // Stale: version n + keep exists, so our slot had been pruned before we linked it (we stalled while others
      // saved `keep` versions); closer versions above ours are successors built on it, and our save stands. The
      // check, the temp file's removal and the pruning of version n − keep are independent: run them together.
      const [stale] = yield* Effect.all([
        fs.exists(path.join(dir, versionName(n + keep))),
        Effect.ignore(fs.remove(temp, { force: true })),
        n - keep >= 1 ? fs.remove(path.join(dir, versionName(n - keep)), { force: true }) : Effect.void
      ], { concurrency: "unbounded" })
      if (stale) {
        savedHere.delete(id)
        yield* fs.remove(file, { force: true })
        return yield* fail
      }
      savedHere.set(id, n)
      // Once every `keep` saves, a full sweep removes what single prunes missed (a crash between link and prune).
      if (n % keep === 0) {
        for (const old of yield* numbers(dir)) {
          if (old > n - keep) break
          yield* fs.remove(path.join(dir, versionName(old)), { force: true })
        }
      }
    })

  // Leases ----------------------------------------------------------------------------------------------------
  const leaseDir = (id: string) => path.join(runDir(id), "lease")
  const leaseNow = (id: string) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < 100; attempt++) {
        const ns = yield* numbers(leaseDir(id))
        if (ns.length === 0) return { counter: 0, state: { owner: null } as LeaseState }
        const c = ns[ns.length - 1]!
        const state = yield* readJson<LeaseState>(path.join(leaseDir(id), versionName(c)))
        if (state !== undefined) return { counter: c, state }
      }
      return yield* Effect.fail(
        new CheckpointError({ reason: "storage failed", detail: `lease of ${leaseDir(id)} kept changing` })
      )
    })
  /** Links `state` as counter c + 1: whether it is now the current state. */
  const leaseNext = (id: string, c: number, state: LeaseState) =>
    Effect.gen(function*() {
      const dir = leaseDir(id)
      if (!(yield* writeOnce(path.join(dir, versionName(c + 1)), state))) return false
      const ns = yield* numbers(dir)
      if (ns[ns.length - 1]! > c + 1) return false
      for (const old of ns) {
        if (old > c + 1 - 8) break
        yield* fs.remove(path.join(dir, versionName(old)), { force: true })
      }
      return true
    })
  /** Re-reads and decides until a decision is linked or needs no write. */
  const leaseLoop = <A>(
    id: string,
    decide: (state: LeaseState) => { readonly write: LeaseState; readonly result: A } | { readonly done: A }
  ) =>
    Effect.gen(function*() {
      while (true) {
        const { counter: c, state } = yield* leaseNow(id)
        const decision = decide(state)
        if ("done" in decision) return decision.done
        if (yield* leaseNext(id, c, decision.write)) return decision.result
      }
    })
  const leaseOf = (state: LeaseState): Lease | undefined =>
    state.owner === null ? undefined : { owner: state.owner, expiresAt: state.expiresAt }

  const wrap = <A>(
    what: string,
    file: string,
    effect: Effect.Effect<A, CheckpointError | PlatformError.PlatformError>
  ) => Effect.catchTag(effect, "PlatformError", (e) => Effect.fail(storage(what, file)(e)))

  const service: Service = {
    load: (id) => wrap("load", runDir(id), load(id)),
    loadVersion: (id, version) =>
      wrap("load", runDir(id), readJson<Snapshot>(path.join(runDir(id), "v", versionName(version)))),
    save: (snapshot) => wrap("save", runDir(snapshot.id), save(snapshot)),
    history: (id, { before, limit }) =>
      wrap(
        "history",
        runDir(id),
        Effect.gen(function*() {
          const ns = (yield* numbers(path.join(runDir(id), "v"))).filter((n) => before === undefined || n < before)
          const out: Array<Snapshot> = []
          for (let i = ns.length - 1; i >= 0 && out.length < limit; i--) {
            const s = yield* readJson<Snapshot>(path.join(runDir(id), "v", versionName(ns[i]!)))
            if (s !== undefined) out.push(s)
          }
          return out
        })
      ),
    list: (query) =>
      wrap(
        "list",
        runsDir,
        Effect.gen(function*() {
          const folders = yield* list(runsDir)
          const all: Array<Snapshot> = []
          const loaded = yield* Effect.forEach(
            folders,
            (folder) =>
              Effect.gen(function*() {
                const dir = path.join(runsDir, folder, "v")
                const ns = yield* numbers(dir)
                return ns.length === 0
                  ? undefined
                  : yield* readJson<Snapshot>(path.join(dir, versionName(ns[ns.length - 1]!)))
              }),
            { concurrency: 8 }
          )
          for (const s of loaded) if (s !== undefined && matches(s, query)) all.push(s)
          return page(all, query)
        })
      ),
    putItem: (id, scope, index, value) => {
      const file = path.join(runDir(id), "items", fileName(scope), `${index}.json`)
      return wrap(
        "put item",
        file,
        Effect.gen(function*() {
          const temp = yield* writeTemp(value)
          const rename = fs.rename(temp, file)
          yield* rename.pipe(
            Effect.catchIf(
              (e) => isTag(e, "NotFound"),
              () => Effect.andThen(fs.makeDirectory(path.dirname(file), { recursive: true }), rename)
            ),
            Effect.tapError(() => Effect.ignore(fs.remove(temp, { force: true })))
          )
          if (fsync) yield* syncPath(path.dirname(file))
        })
      )
    },
    items: (id, scope) => {
      const dir = path.join(runDir(id), "items", fileName(scope))
      return wrap(
        "read items",
        dir,
        Effect.gen(function*() {
          const out = new Map<number, Json>()
          for (const n of yield* numbers(dir)) {
            const value = yield* readJson<Json>(path.join(dir, `${n}.json`))
            if (value !== undefined) out.set(n, value)
          }
          return out
        })
      )
    },
    putAnswer: (id, answer) => {
      const file = path.join(runDir(id), "inbox", `${fileName(answer.key)}.json`)
      return wrap("put answer", file, writeOnce(file, answer))
    },
    answers: (id) => {
      const dir = path.join(runDir(id), "inbox")
      return wrap(
        "read answers",
        dir,
        Effect.gen(function*() {
          const out: Array<Answer> = []
          for (const name of yield* list(dir)) {
            const answer = yield* readJson<Answer>(path.join(dir, name))
            if (answer !== undefined) out.push(answer)
          }
          return out.sort((a, b) => a.answeredAt - b.answeredAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        })
      )
    },
    removeAnswer: (id, key) => {
      const file = path.join(runDir(id), "inbox", `${fileName(key)}.json`)
      return wrap("remove answer", file, fs.remove(file, { force: true }))
    },
    claim: (id, { expiresAt, force, now, owner }) =>
      wrap(
        "claim",
        leaseDir(id),
        leaseLoop(id, (state) =>
          !force && state.owner !== null && state.owner !== owner && state.expiresAt > now
            ? { done: leaseOf(state) }
            : { write: { owner, expiresAt }, result: undefined })
      ),
    renew: (id, { expiresAt, owner }) =>
      wrap(
        "renew",
        leaseDir(id),
        Effect.gen(function*() {
          const renewed = yield* leaseLoop(id, (state): { done: Renewal } | { write: LeaseState; result: undefined } =>
            state.owner !== owner
              ? { done: { _tag: "Lost", lease: leaseOf(state) } }
              : { write: { owner, expiresAt }, result: undefined })
          if (renewed !== undefined) {
            return renewed
          }
          return { _tag: "Renewed", interrupt: yield* fs.exists(path.join(runDir(id), "interrupt")) } as const
        })
      ),
    release: (id, owner) =>
      wrap(
        "release",
        leaseDir(id),
        leaseLoop(id, (state) =>
          state.owner !== owner ? { done: undefined } : { write: { owner: null }, result: undefined })
      ),
    requestInterrupt: (id) => {
      const file = path.join(runDir(id), "interrupt")
      return wrap(
        "request interrupt",
        file,
        Effect.andThen(fs.makeDirectory(runDir(id), { recursive: true }), fs.writeFile(file, new Uint8Array()))
      )
    },
    delete: (id) => {
      savedHere.delete(id)
      const dir = runDir(id)
      const trash = path.join(trashDir, `${tag}-${++counter}`)
      // Renamed away first, so the run disappears at once and a crash mid-removal leaves only trash behind.
      return wrap(
        "delete",
        dir,
        orMissing(Effect.andThen(fs.rename(dir, trash), fs.remove(trash, { recursive: true })), undefined)
      )
    }
  }
  return service
})

/** @internal */
export const layer = (
  options: FileSystemOptions
): Layer.Layer<Checkpointer, PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> => {
  // Checked when the layer is made, so a bad option fails at once, not at startup.
  checkKeep("Checkpointer.layerFileSystem", options.keep)
  return Layer.effect(Checkpointer, make(options))
}
