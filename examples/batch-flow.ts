/**
 * `batch-flow`: run a two-node sub-flow once per file. PocketFlow's per-run `params` dict becomes a
 * typed `FileParams` service: `Flow.batch` provides it to each run, so the sub-flow's nodes read
 * `yield* FileParams` and the batch's own requirements no longer mention it.
 *
 * Per file: `measure` counts lines and words, then `summarize` asks the model for a one-line summary.
 * After the batch, `index` writes a table of contents from the results in the shared store.
 *
 * Run it with `npm run example -- batch-flow`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** The parameters of one run of the per-file sub-flow. */
export class FileParams extends Context.Service<FileParams, { readonly file: string }>()(
  "examples/batch-flow/FileParams"
) {}

/** What the sub-flow learns about one file. */
export interface FileReport {
  readonly lines: number
  readonly words: number
  readonly summary: string | undefined
}

/** The batch flow's shared state: the files by name, a report per file, and the final index. */
export interface BatchState {
  readonly files: Readonly<Record<string, string>>
  readonly reports: Readonly<Record<string, FileReport>>
  readonly index: string | undefined
}

/** The shared store of the batch-flow example. */
export class BatchStore extends Shared.Service<BatchStore, BatchState>()("examples/batch-flow/Store") {}

/** The example's input: three small documentation files. */
export const files: Readonly<Record<string, string>> = {
  "intro.md": "effect-pocketflow rebuilds PocketFlow on Effect.\nNodes, flows and batches become typed programs.",
  "install.md": "Install effect and effect-pocketflow with npm.\nBoth are ESM packages.\nNode 22 or newer is needed.",
  "retries.md": "Retries are schedules from effect.\nA fallback replaces the result after the last failed attempt."
}

// Both nodes of a run read their file through FileParams, so runs never see each other's file even
// when they execute concurrently.
const currentFile = Effect.gen(function*() {
  const { file } = yield* FileParams
  const { files } = yield* BatchStore.get
  return { file, text: files[file] ?? "" }
})

const setReport = (file: string, f: (report: FileReport) => FileReport) =>
  BatchStore.update((s) => ({
    ...s,
    reports: { ...s.reports, [file]: f(s.reports[file] ?? { lines: 0, words: 0, summary: undefined }) }
  }))

/** Counts the lines and words of the current file. */
export const measure = Node.make({
  name: "measure",
  prep: currentFile,
  exec: ({ text }) =>
    Effect.succeed({ lines: text.split("\n").length, words: text.split(/\s+/).filter((w) => w.length > 0).length }),
  post: ({ file }, counts) => setReport(file, (r) => ({ ...r, ...counts }))
})

/** Asks the model for a one-line summary of the current file. */
export const summarize = Node.make({
  name: "summarize",
  prep: currentFile,
  exec: ({ file, text }) => ask(`Summarize the file in one line.\nFile: ${file}\n\n${text}`),
  post: ({ file }, summary) => setReport(file, (r) => ({ ...r, summary }))
})

/** The sub-flow run once per file: measure → summarize. */
export const perFile = Flow.make({ name: "per-file", start: measure }).pipe(Flow.next(measure, summarize))

/** Runs `perFile` for every file in the store, two files at a time. */
export const allFiles = Flow.batch({
  name: "all-files",
  flow: perFile,
  params: FileParams,
  prep: BatchStore.get.pipe(Effect.map((s) => Object.keys(s.files).map((file) => ({ file })))),
  concurrency: 2
})

/** Writes a table of contents from the per-file reports, in file order. */
export const index = Node.make({
  name: "index",
  prep: BatchStore.get,
  exec: (s) =>
    Effect.succeed(
      Object.keys(s.files)
        .map((file) => {
          const r = s.reports[file]
          return `${file} (${r?.lines ?? 0} lines, ${r?.words ?? 0} words): ${r?.summary ?? "?"}`
        })
        .join("\n")
    ),
  post: (_s, index) => BatchStore.update((s) => ({ ...s, index })).pipe(Node.as("done"))
})

/** all-files → index. */
export const flow = Flow.make({ name: "docs", start: allFiles }).pipe(Flow.next(allFiles, index))

/** The offline model summarizes a file by its first line, so each summary shows which file it came from. */
export const model = TestLanguageModel.layer(({ text }) =>
  text.startsWith("Summarize the file") ? text.split("\n\n")[1]?.split("\n")[0] ?? "" : undefined
)

/** The offline model and a fresh store holding the files. */
export const layer = Layer.mergeAll(model, BatchStore.layer({ files, reports: {}, index: undefined }))

/** Runs the flow and returns the final store; the caller provides `layer` or its own. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* BatchStore.get
})

/** Runs the example offline and prints the index it built. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  yield* Console.log(`Processed ${Object.keys(state.reports).length} files with per-file (measure → summarize):`)
  for (const line of (state.index ?? "").split("\n")) yield* Console.log(`  ${line}`)
})
