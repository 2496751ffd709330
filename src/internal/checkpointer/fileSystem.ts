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
 * due/<bucket>/<time>-<name(id)>.json         the `due` index: "look at this run from <time> on" (content: its id)
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
 *
 * A deleted run never comes back: only the first save (version 1) and a claim may create a run's folder. A later
 * save links into `v/` without creating it, so a save into a run deleted meanwhile (its folder renamed away by
 * another process, or removed by hand) is a version conflict; items, answers, lease changes and interrupt marks
 * create their sub-folder only inside an existing run folder. Everything read back is checked: a file that is not
 * JSON of the expected shape, or a snapshot of another run, is `CheckpointError` naming the file.
 *
 * The due index: a folder of entries named by time (15 digits) in buckets of 2^22 ms (about 70 minutes), so `due`
 * lists only the buckets up to now (and one more for `next`), never the runs. Writers only add entries, after the
 * change they announce: a save adds one at the snapshot's `dueAtOf` (a "running" run once per claim, its entry
 * standing while it runs), an answer at its time, the save that ends a child one for its parent. Several entries for
 * one run are fine. Only `due` removes entries, after checking the run against its files (the lease, the latest
 * snapshot, the inbox, the children: `movable`): an entry whose run cannot move is replaced by one at the run's next
 * time, if any, and removed; then the run is read once more, so a change made while we decided (its writer's entry
 * possibly removed with ours) is seen and the entry comes back. So the index may say too much, never too little, and
 * `due` returns only runs that can move. Empty buckets more than two buckets old are removed.
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
  checkingIds,
  checkOptions,
  Checkpointer,
  conflict,
  type Due,
  dueAtOf,
  type DueQuery,
  isEnded,
  kindOf,
  type Lease,
  matches,
  movable,
  noRun,
  type Options,
  page,
  type Renewal,
  type SaveResult,
  type Service,
  type Snapshot,
  statuses,
  tooLarge
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

type LeaseState =
  | { readonly owner: string; readonly expiresAt: number; readonly heartbeatAt?: number | undefined }
  | { readonly owner: null }

const knownStatuses = new Set<string>(statuses)

/** The due index's buckets: 2^22 ms (about 70 minutes) of entry times each. */
const BUCKET_MS = 2 ** 22
const bucketOf = (at: number) => Math.floor(Math.max(0, at) / BUCKET_MS)
const bucketName = (bucket: number) => String(bucket).padStart(10, "0")
const entryName = (at: number, id: string) =>
  `${String(Math.max(0, Math.floor(at))).padStart(15, "0")}-${fileName(id)}.json`
const entryTime = (name: string): number | undefined => {
  const m = /^(\d{15})-.*\.json$/.exec(name)
  return m === null ? undefined : Number(m[1])
}
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/** What is wrong with a snapshot read back for run `id` (version `version` when the file name says it). */
const snapshotProblem = (u: unknown, id: string | undefined, version: number | undefined): string | undefined => {
  if (!isObject(u)) return `it holds ${u === null ? "null" : typeof u}, not a snapshot`
  if (u.format !== 1) return `its format is ${JSON.stringify(u.format)}, not 1`
  if (typeof u.id !== "string") return "it has no run id"
  if (id !== undefined && u.id !== id) return `it is a snapshot of run ${JSON.stringify(u.id)}, not of this run`
  if (!Number.isInteger(u.version) || (version !== undefined && u.version !== version)) {
    return `its version is ${JSON.stringify(u.version)}, not the one its name says`
  }
  if (typeof u.flow !== "string" || typeof u.status !== "string" || !knownStatuses.has(u.status)) {
    return "its flow or status is missing"
  }
  if (!isNumber(u.steps) || !isNumber(u.updatedAt) || !isObject(u.stores) || !Array.isArray(u.waiting)) {
    return "its steps, stores, waiting inputs or time are missing"
  }
  return undefined
}
const leaseProblem = (u: unknown): string | undefined =>
  isObject(u) && (u.owner === null ||
      typeof u.owner === "string" && isNumber(u.expiresAt) && (u.heartbeatAt === undefined || isNumber(u.heartbeatAt)))
    ? undefined
    : "it is not a lease state ({ owner, expiresAt, heartbeatAt } or { owner: null })"
const answerProblem = (u: unknown): string | undefined =>
  isObject(u) && typeof u.key === "string" && "value" in u && "prompt" in u && isNumber(u.answeredAt)
    ? undefined
    : "it is not an answer ({ key, value, prompt, answeredAt })"

const isPlatform = (e: unknown): e is PlatformError.PlatformError =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "PlatformError"
const isTag = (error: PlatformError.PlatformError, tag: PlatformError.SystemErrorTag) => error.reason._tag === tag

/** @internal */
export const make = Effect.fnUntraced(function*(options: FileSystemOptions) {
  const { keep, maxStateBytes } = checkOptions("Checkpointer.layerFileSystem", options)
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
  const dueDir = path.join(root, "due")
  yield* fs.makeDirectory(dueDir, { recursive: true })
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
  /** A file's JSON, checked by `problem` (what is wrong with it, if anything); `undefined` when there is no file. */
  const readJson = <A>(file: string, problem: (value: unknown) => string | undefined) =>
    orMissing(
      Effect.flatMap(fs.readFileString(file), (text) => {
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch (cause) {
          // Never from this module's writes (they are linked whole); a file edited or damaged by hand.
          return Effect.fail(
            new CheckpointError({ reason: "storage failed", detail: `unreadable JSON in ${file}: ${String(cause)}` })
          )
        }
        const wrong = problem(value)
        return wrong === undefined
          ? Effect.succeed(value as A)
          : Effect.fail(new CheckpointError({ reason: "storage failed", detail: `${file}: ${wrong}` }))
      }),
      undefined
    )
  const readSnapshot = (file: string, id: string | undefined, version: number | undefined) =>
    readJson<Snapshot>(file, (u) => snapshotProblem(u, id, version))
  const anything = () => undefined

  const syncPath = (file: string) =>
    Effect.scoped(Effect.flatMap(fs.open(file, { flag: "r" }), (handle) => handle.sync))

  /** Encodes a value to write, refused when larger than `maxStateBytes`. */
  const encode = (what: string, id: string, value: unknown): Effect.Effect<Uint8Array, CheckpointError> => {
    const bytes = encoder.encode(JSON.stringify(value))
    const large = tooLarge(what, id, bytes.length, maxStateBytes)
    return large === undefined ? Effect.succeed(bytes) : Effect.fail(large)
  }

  /** Writes a fresh temp file and returns its path. */
  const writeTemp = (bytes: Uint8Array): Effect.Effect<string, PlatformError.PlatformError> => {
    const file = path.join(tmpDir, `${tag}-${++counter}.tmp`)
    if (!fsync) return Effect.as(fs.writeFile(file, bytes, { flag: "wx" }), file)
    return Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(file, { flag: "wx" })
      yield* handle.writeAll(bytes)
      yield* handle.sync
      return file
    }))
  }

  /** Makes `dir`, whose parent must exist: `false` when the parent is gone (a deleted run). */
  const makeIn = (dir: string) =>
    fs.makeDirectory(dir).pipe(
      Effect.as(true),
      Effect.catchIf((e) => isTag(e, "AlreadyExists"), () => Effect.succeed(true)),
      Effect.catchIf((e) => isTag(e, "NotFound"), () => Effect.succeed(false))
    )

  /**
   * Links a temp file to `target`: "exists" when `target` exists, "gone" when its folder is missing and may not be
   * made. `create` says which folders may be made: none, the target's folder inside an existing parent, or the whole
   * tree (a new run). The temp file is removed, unless `removeTemp` is false and the link succeeded (the caller
   * removes it then, alongside other work).
   */
  const linkInto = (
    temp: string,
    target: string,
    create: "none" | "folder" | "tree",
    removeTemp = true
  ): Effect.Effect<"linked" | "exists" | "gone", PlatformError.PlatformError> => {
    const attempt = fs.link(temp, target).pipe(
      Effect.as("linked" as const),
      Effect.catchIf((e) => isTag(e, "AlreadyExists"), () => Effect.succeed("exists" as const))
    )
    const folder = path.dirname(target)
    const made = create === "tree"
      ? Effect.as(fs.makeDirectory(folder, { recursive: true }), true)
      : create === "folder"
      ? makeIn(folder)
      : Effect.succeed(false)
    const linked = attempt.pipe(
      Effect.catchIf(
        (e) => isTag(e, "NotFound"),
        () =>
          Effect.flatMap(made, (ok) =>
            ok
              ? Effect.catchIf(attempt, (e) => isTag(e, "NotFound"), () => Effect.succeed("gone" as const))
              : Effect.succeed("gone" as const))
      ),
      Effect.tap((result) => result === "linked" && fsync ? syncPath(folder) : Effect.void)
    )
    const removed = Effect.ignore(fs.remove(temp, { force: true }))
    if (removeTemp) return Effect.ensuring(linked, removed)
    return Effect.tap(Effect.onError(linked, () => removed), (result) => result === "linked" ? Effect.void : removed)
  }

  const writeOnce = (target: string, bytes: Uint8Array, create: "folder" | "tree") =>
    Effect.flatMap(writeTemp(bytes), (temp) => linkInto(temp, target, create))

  const latestVersion = (id: string) =>
    Effect.map(numbers(path.join(runDir(id), "v")), (ns) => ns.length === 0 ? undefined : ns[ns.length - 1])

  const load = (id: string): Effect.Effect<Snapshot | undefined, CheckpointError | PlatformError.PlatformError> =>
    Effect.gen(function*() {
      const dir = path.join(runDir(id), "v")
      // The latest is never pruned, but a delete (or a stalled save undoing itself) can race us: re-list then.
      for (let attempt = 0; attempt < 5; attempt++) {
        const ns = yield* numbers(dir)
        if (ns.length === 0) return undefined
        const n = ns[ns.length - 1]!
        const s = yield* readSnapshot(path.join(dir, versionName(n)), id, n)
        if (s !== undefined) return s
      }
      return undefined
    })

  /** The version this layer saved last, per run: saving the next one needs no look at the folder first. */
  const savedHere = new Map<string, number>()

  const interruptFile = (id: string) => path.join(runDir(id), "interrupt")

  const save = (snapshot: Snapshot): Effect.Effect<SaveResult, CheckpointError | PlatformError.PlatformError> =>
    Effect.gen(function*() {
      const { id, version: n } = snapshot
      const dir = path.join(runDir(id), "v")
      const fail = Effect.flatMap(latestVersion(id), (latest) => Effect.fail(conflict(id, n, latest)))
      if (!Number.isInteger(n) || n < 1) return yield* fail
      // n − 1 must exist. When this layer wrote it, it does unless the run was deleted meanwhile (then `v/` is gone
      // and the link below fails); the link is the compare-and-set either way.
      if (n > 1 && savedHere.get(id) !== n - 1 && !(yield* fs.exists(path.join(dir, versionName(n - 1))))) {
        return yield* fail
      }
      const bytes = yield* encode("snapshot", id, snapshot)
      const file = path.join(dir, versionName(n))
      const temp = yield* writeTemp(bytes)
      // Only version 1 makes the run's folder: a later version with no folder to go to belongs to a deleted run.
      const linked = yield* linkInto(temp, file, n === 1 ? "tree" : "none", false)
      if (linked !== "linked") {
        savedHere.delete(id)
        return yield* fail
      }
      // Stale: version n + keep exists, so our slot had been pruned before we linked it (we stalled while others
      // saved `keep` versions); closer versions above ours are successors built on it, and our save stands. The
      // check, the interrupt mark, the temp file's removal and the pruning of version n − keep are independent: run
      // them together.
      const [stale, interrupt] = yield* Effect.all([
        fs.exists(path.join(dir, versionName(n + keep))),
        fs.exists(interruptFile(id)),
        Effect.ignore(fs.remove(temp, { force: true })),
        n - keep >= 1 ? fs.remove(path.join(dir, versionName(n - keep)), { force: true }) : Effect.void
      ], { concurrency: "unbounded" })
      if (stale) {
        savedHere.delete(id)
        yield* fs.remove(file, { force: true })
        return yield* fail
      }
      savedHere.set(id, n)
      yield* indexSaved(snapshot)
      // Once every `keep` saves, a full sweep removes what single prunes missed (a crash between link and prune).
      if (n % keep === 0) {
        for (const old of yield* numbers(dir)) {
          if (old > n - keep) break
          yield* fs.remove(path.join(dir, versionName(old)), { force: true })
        }
      }
      return { interrupt }
    })

  const readAnswers = (id: string) =>
    Effect.gen(function*() {
      const dir = path.join(runDir(id), "inbox")
      const out: Array<Answer> = []
      for (const name of yield* list(dir)) {
        const answer = yield* readJson<Answer>(path.join(dir, name), (u) =>
          answerProblem(u) ??
            (`${fileName((u as Answer).key)}.json` === name ? undefined : "it is the answer of another key"))
        if (answer !== undefined) out.push(answer)
      }
      return out.sort((a, b) => a.answeredAt - b.answeredAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    })

  // The due index ----------------------------------------------------------------------------------------------
  /** Runs this layer gave a "running" entry since it last claimed them or saved them otherwise. */
  const markedRunning = new Set<string>()
  /** The entry time this layer last gave each run that waits (a timer or a deadline). */
  const markedAt = new Map<string, number>()

  /** Adds the entry "look at run `id` from `at` on" (an existing one is as good). */
  const mark = (id: string, at: number) =>
    Effect.flatMap(
      writeTemp(encoder.encode(JSON.stringify({ id }))),
      (temp) => linkInto(temp, path.join(dueDir, bucketName(bucketOf(at)), entryName(at, id)), "tree")
    )

  /** The entries a save adds, after its version is linked. */
  const indexSaved = (snapshot: Snapshot) =>
    Effect.gen(function*() {
      const { id } = snapshot
      const at = dueAtOf(snapshot)
      if (snapshot.status === "running") {
        // One entry per claim: it stands while the run runs (`due` keeps a running run's entries).
        if (!markedRunning.has(id)) {
          yield* mark(id, at!)
          markedRunning.add(id)
        }
      } else {
        markedRunning.delete(id)
        if (at !== undefined && markedAt.get(id) !== at) {
          yield* mark(id, at)
          markedAt.set(id, at)
        }
      }
      if (snapshot.parent !== undefined && isEnded(snapshot.status)) yield* mark(snapshot.parent, snapshot.updatedAt)
    })

  /** Whether run `id` can move at `now` as its files say, and its latest snapshot (`held`: a live owner has it). */
  const truth = (id: string, now: number) =>
    Effect.gen(function*() {
      const { state } = yield* leaseNow(id)
      if (state.owner !== null && state.expiresAt > now) return { held: true as const }
      const snapshot = yield* load(id)
      if (snapshot === undefined) return { held: false as const, snapshot, can: false }
      const inputs = snapshot.waiting.some((w) => w.answered !== true && kindOf(w) === "input")
      const answers = inputs ? yield* readAnswers(id) : []
      const can = yield* movable(snapshot, now, answers, (child) => load(child))
      return { held: false as const, snapshot, can }
    })

  const due = (query: DueQuery) =>
    Effect.gen(function*() {
      const { limit, now } = query
      const wanted = query.flows === undefined ? undefined : new Set(query.flows)
      const ids: Array<string> = []
      const seen = new Set<string>()
      let next: number | undefined
      const nowBucket = bucketOf(now)
      const buckets = (yield* list(dueDir)).filter((b) => /^\d{10}$/.test(b)).sort()
      scan: for (const bucket of buckets) {
        const dir = path.join(dueDir, bucket)
        const names = (yield* list(dir)).sort()
        if (names.length === 0) {
          // Nothing writes into a bucket this old any more (entries are written at about their writer's now).
          if (Number(bucket) < nowBucket - 1) yield* Effect.ignore(fs.remove(dir, { recursive: true }))
          continue
        }
        for (const name of names) {
          const at = entryTime(name)
          if (at === undefined) continue
          if (at > now) {
            next = at
            break scan
          }
          if (ids.length >= limit) break scan
          const file = path.join(dir, name)
          const entry = yield* readJson<{ readonly id: string }>(
            file,
            (u) => isObject(u) && typeof u.id === "string" ? undefined : "it is not a due entry ({ id })"
          )
          if (entry === undefined || seen.has(entry.id)) continue
          const { id } = entry
          seen.add(id)
          const found = yield* truth(id, now)
          // Held: its owner runs it (the entry stands until it stops). Another flow's: another worker's business.
          if (found.held) continue
          if (found.snapshot !== undefined && wanted !== undefined && !wanted.has(found.snapshot.flow)) continue
          if (found.can) {
            ids.push(id)
            continue
          }
          // Not movable: keep what the run still needs (a later time; its parent's wake-up, should the save that
          // ended it have stopped before marking), drop this entry, and look once more.
          const s = found.snapshot
          if (s !== undefined) {
            if (s.parent !== undefined && isEnded(s.status)) yield* mark(s.parent, s.updatedAt)
            const later = dueAtOf(s)
            if (later !== undefined) yield* mark(id, later)
          }
          yield* fs.remove(file, { force: true })
          const again = yield* truth(id, now)
          if (!again.held && again.can) {
            yield* mark(id, now)
            if (wanted === undefined || wanted.has(again.snapshot!.flow)) ids.push(id)
          }
        }
      }
      return next === undefined ? { ids } : { ids, next }
    })

  // Leases ----------------------------------------------------------------------------------------------------
  const leaseDir = (id: string) => path.join(runDir(id), "lease")
  const leaseNow = (id: string) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < 100; attempt++) {
        const ns = yield* numbers(leaseDir(id))
        if (ns.length === 0) return { counter: 0, state: { owner: null } as LeaseState }
        const c = ns[ns.length - 1]!
        const state = yield* readJson<LeaseState>(path.join(leaseDir(id), versionName(c)), leaseProblem)
        if (state !== undefined) return { counter: c, state }
      }
      return yield* Effect.fail(
        new CheckpointError({ reason: "storage failed", detail: `lease of ${leaseDir(id)} kept changing` })
      )
    })
  /**
   * Links `state` as counter c + 1: whether it is now the current state. Only a claim (`tree`) may make the run's
   * folder; a renewal or release into a run deleted meanwhile links nothing, and the next read finds no lease.
   */
  const leaseNext = (id: string, c: number, state: LeaseState, create: "folder" | "tree") =>
    Effect.gen(function*() {
      const dir = leaseDir(id)
      const bytes = encoder.encode(JSON.stringify(state))
      if ((yield* writeOnce(path.join(dir, versionName(c + 1)), bytes, create)) !== "linked") return false
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
    create: "folder" | "tree",
    decide: (state: LeaseState) => { readonly write: LeaseState; readonly result: A } | { readonly done: A }
  ) =>
    Effect.gen(function*() {
      while (true) {
        const { counter: c, state } = yield* leaseNow(id)
        const decision = decide(state)
        if ("done" in decision) return decision.done
        if (yield* leaseNext(id, c, decision.write, create)) return decision.result
      }
    })
  // Lease files written before heartbeats were recorded have none: 0 says "unknown".
  const leaseOf = (state: LeaseState): Lease | undefined =>
    state.owner === null
      ? undefined
      : { owner: state.owner, expiresAt: state.expiresAt, heartbeatAt: state.heartbeatAt ?? 0 }

  const wrap = <A>(
    what: string,
    file: string,
    effect: Effect.Effect<A, CheckpointError | PlatformError.PlatformError>
  ) => Effect.catchTag(effect, "PlatformError", (e) => Effect.fail(storage(what, file)(e)))

  const service: Service = {
    load: (id) => wrap("load", runDir(id), load(id)),
    loadVersion: (id, version) =>
      wrap("load", runDir(id), readSnapshot(path.join(runDir(id), "v", versionName(version)), id, version)),
    save: (snapshot) => wrap("save", runDir(snapshot.id), save(snapshot)),
    history: (id, { before, limit }) =>
      wrap(
        "history",
        runDir(id),
        Effect.gen(function*() {
          const ns = (yield* numbers(path.join(runDir(id), "v"))).filter((n) => before === undefined || n < before)
          const out: Array<Snapshot> = []
          for (let i = ns.length - 1; i >= 0 && out.length < limit; i--) {
            const s = yield* readSnapshot(path.join(runDir(id), "v", versionName(ns[i]!)), id, ns[i]!)
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
                if (ns.length === 0) return undefined
                const n = ns[ns.length - 1]!
                // The folder's name says whose snapshots it holds: one copied in from another run is refused.
                return yield* readJson<Snapshot>(path.join(dir, versionName(n)), (u) =>
                  snapshotProblem(u, undefined, n) ??
                    (fileName((u as Snapshot).id) === folder
                      ? undefined
                      : `it is a snapshot of run ${JSON.stringify((u as Snapshot).id)}, not of this folder's run`))
              }),
            { concurrency: 8 }
          )
          for (const s of loaded) if (s !== undefined && matches(s, query)) all.push(s)
          return yield* page(all, query)
        })
      ),
    putItem: (id, scope, index, value) => {
      const items = path.join(runDir(id), "items")
      const file = path.join(items, fileName(scope), `${index}.json`)
      return wrap(
        "put item",
        file,
        Effect.gen(function*() {
          const temp = yield* writeTemp(yield* encode("item", id, value))
          const rename = fs.rename(temp, file)
          // The folders are made inside an existing run folder only: a deleted run does not come back for an item.
          const folders = Effect.flatMap(
            makeIn(items),
            (ok) => ok ? makeIn(path.dirname(file)) : Effect.succeed(false)
          )
          const renamed = yield* rename.pipe(
            Effect.as(true),
            Effect.catchIf(
              (e) => isTag(e, "NotFound"),
              () => Effect.flatMap(folders, (ok) => ok ? Effect.as(rename, true) : Effect.succeed(false))
            ),
            Effect.tap((ok) => ok ? Effect.void : Effect.ignore(fs.remove(temp, { force: true }))),
            Effect.tapError(() => Effect.ignore(fs.remove(temp, { force: true })))
          )
          if (!renamed) return yield* Effect.fail(noRun(id, "item"))
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
            const value = yield* readJson<Json>(path.join(dir, `${n}.json`), anything)
            if (value !== undefined) out.set(n, value)
          }
          return out
        })
      )
    },
    countItems: (id, scope) => {
      const dir = path.join(runDir(id), "items", fileName(scope))
      return wrap("count items", dir, Effect.map(numbers(dir), (ns) => ns.length))
    },
    putAnswer: (id, answer) => {
      const file = path.join(runDir(id), "inbox", `${fileName(answer.key)}.json`)
      return wrap(
        "put answer",
        file,
        Effect.flatMap(
          encode("answer", id, answer),
          (bytes) =>
            Effect.flatMap(
              writeOnce(file, bytes, "folder"),
              (result): Effect.Effect<boolean, CheckpointError | PlatformError.PlatformError> =>
                result === "gone"
                  ? Effect.fail(noRun(id, "answer"))
                  : result === "linked"
                  // After the answer: `due` checks the inbox, so the entry never comes before what it announces.
                  ? Effect.as(mark(id, answer.answeredAt), true)
                  : Effect.succeed(false)
            )
        )
      )
    },
    answers: (id) => wrap("read answers", path.join(runDir(id), "inbox"), readAnswers(id)),
    removeAnswer: (id, key) => {
      const file = path.join(runDir(id), "inbox", `${fileName(key)}.json`)
      return wrap("remove answer", file, fs.remove(file, { force: true }))
    },
    claim: (id, { expiresAt, force, now, owner }) =>
      wrap(
        "claim",
        leaseDir(id),
        Effect.tap(
          leaseLoop(id, "tree", (state) =>
            !force && state.owner !== null && state.owner !== owner && state.expiresAt > now
              ? { done: leaseOf(state) }
              : { write: { owner, expiresAt, heartbeatAt: now }, result: undefined }),
          // Ours: the claimer's first "running" save gives the run a fresh entry.
          (held) =>
            Effect.sync(() =>
              held === undefined && markedRunning.delete(id)
            )
        )
      ),
    renew: (id, { expiresAt, now, owner }) =>
      wrap(
        "renew",
        leaseDir(id),
        Effect.gen(function*() {
          const renewed = yield* leaseLoop(
            id,
            "folder",
            (state): { done: Renewal } | { write: LeaseState; result: undefined } =>
              state.owner !== owner
                ? { done: { _tag: "Lost", lease: leaseOf(state) } }
                : { write: { owner, expiresAt, heartbeatAt: now }, result: undefined }
          )
          if (renewed !== undefined) {
            return renewed
          }
          return { _tag: "Renewed", interrupt: yield* fs.exists(interruptFile(id)) } as const
        })
      ),
    release: (id, owner) =>
      wrap(
        "release",
        leaseDir(id),
        leaseLoop(id, "folder", (state) =>
          state.owner !== owner ? { done: undefined } : { write: { owner: null }, result: undefined })
      ),
    lease: (id) =>
      wrap(
        "read lease",
        leaseDir(id),
        Effect.map(
          Effect.all([leaseNow(id), fs.exists(interruptFile(id))], { concurrency: "unbounded" }),
          ([{ state }, interrupt]) => ({ lease: leaseOf(state), interrupt })
        )
      ),
    requestInterrupt: (id) => {
      const file = interruptFile(id)
      // Inside an existing run folder only: marking a deleted run does not bring it back.
      return wrap(
        "request interrupt",
        file,
        orMissing(fs.writeFile(file, new Uint8Array()), undefined)
      )
    },
    delete: (id, options) => {
      savedHere.delete(id)
      markedRunning.delete(id)
      markedAt.delete(id)
      const dir = runDir(id)
      const trash = path.join(trashDir, `${tag}-${++counter}`)
      // Renamed away first, so the run disappears at once and a crash mid-removal leaves only trash behind. With a
      // version, the check and the rename are two steps: `Durable.prune` holds the run's lease across them, so no
      // owner saves in between.
      const remove = orMissing(
        Effect.as(Effect.andThen(fs.rename(dir, trash), fs.remove(trash, { recursive: true })), true),
        true
      )
      return wrap(
        "delete",
        dir,
        options?.version === undefined
          ? remove
          : Effect.flatMap(latestVersion(id), (latest) => latest === options.version ? remove : Effect.succeed(false))
      )
    },
    due: (query) => wrap("due", dueDir, due(query) as Effect.Effect<Due, CheckpointError | PlatformError.PlatformError>)
  }
  return checkingIds("Checkpointer.layerFileSystem", service)
})

/** @internal */
export const layer = (
  options: FileSystemOptions
): Layer.Layer<Checkpointer, PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> => {
  // Checked when the layer is made, so a bad option fails at once, not at startup.
  checkOptions("Checkpointer.layerFileSystem", options)
  return Layer.effect(Checkpointer, make(options))
}
