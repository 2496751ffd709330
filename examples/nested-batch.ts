/**
 * `nested-batch`: a batch flow inside a batch flow, with typed parameters. The school batch runs the class
 * batch once per class (providing `ClassParams`); the class batch runs the per-student flow once per student
 * (providing `StudentParams`). A per-student run sees both services, PocketFlow's merged `params`, but as
 * types: a node that reads `StudentParams` cannot be run outside a batch that provides it. Each class batch
 * writes its average when its students are done; a last node writes the school's.
 *
 * Run it with `npm run example -- nested-batch`.
 */
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ask } from "./model.ts"

/** The parameters of one class batch run: which class. */
export class ClassParams extends Context.Service<ClassParams, { readonly className: string }>()(
  "examples/nested-batch/ClassParams"
) {}

/** The parameters of one per-student run: which student (the class comes from `ClassParams`). */
export class StudentParams extends Context.Service<StudentParams, { readonly student: string }>()(
  "examples/nested-batch/StudentParams"
) {}

/** One student's result. */
export interface Report {
  readonly average: number
  readonly comment: string
}

/** The school: grades in, reports and averages out. */
export interface SchoolState {
  readonly grades: Readonly<Record<string, Readonly<Record<string, ReadonlyArray<number>>>>>
  readonly reports: Readonly<Record<string, Readonly<Record<string, Report>>>>
  readonly classAverages: Readonly<Record<string, number>>
  readonly schoolAverage: number | undefined
}

/** The shared store of the nested batch. */
export class SchoolStore extends Shared.Service<SchoolStore, SchoolState>()("examples/nested-batch/School") {}

const mean = (xs: ReadonlyArray<number>) => xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length
const round1 = (x: number) => Math.round(x * 10) / 10

// Which student this run is about, from both parameter services.
const current = Effect.gen(function*() {
  const { className } = yield* ClassParams
  const { student } = yield* StudentParams
  const { grades } = yield* SchoolStore.get
  return { className, student, grades: grades[className]?.[student] ?? [] }
})

/** Averages the current student's grades and asks the model for a one-line comment. */
export const grade = Node.make({
  name: "grade",
  prep: current,
  exec: ({ grades, student }) => {
    const average = round1(mean(grades))
    return ask(`Write a one-line report card comment for ${student}, whose average grade is ${average} out of 10.`)
      .pipe(Effect.map((comment): Report => ({ average, comment })))
  },
  post: ({ className, student }, report) =>
    SchoolStore.update((s) => ({
      ...s,
      reports: { ...s.reports, [className]: { ...s.reports[className], [student]: report } }
    }))
})

/** Runs `grade` for every student of the current class, then writes the class average. */
export const classBatch = Flow.batch({
  name: "class",
  flow: grade,
  params: StudentParams,
  prep: Effect.gen(function*() {
    const { className } = yield* ClassParams
    const { grades } = yield* SchoolStore.get
    return Object.keys(grades[className] ?? {}).map((student) => ({ student }))
  }),
  post: () =>
    Effect.gen(function*() {
      const { className } = yield* ClassParams
      yield* SchoolStore.update((s) => ({
        ...s,
        classAverages: {
          ...s.classAverages,
          [className]: round1(mean(Object.values(s.reports[className] ?? {}).map((r) => r.average)))
        }
      }))
    }),
  concurrency: 2
})

/** Runs the class batch for every class. */
export const schoolBatch = Flow.batch({
  name: "school",
  flow: classBatch,
  params: ClassParams,
  prep: SchoolStore.get.pipe(Effect.map((s) => Object.keys(s.grades).map((className) => ({ className }))))
})

/** Writes the school's average over every student. */
export const summarize = Node.make({
  name: "summarize",
  prep: SchoolStore.get,
  exec: (s) =>
    Effect.succeed(round1(mean(Object.values(s.reports).flatMap((c) => Object.values(c).map((r) => r.average))))),
  post: (_s, schoolAverage) => SchoolStore.update((s) => ({ ...s, schoolAverage })).pipe(Node.as("done"))
})

/** school batch → summarize. */
export const flow = Flow.make({ name: "grades", start: schoolBatch }).pipe(Flow.next(schoolBatch, summarize))

/** Two classes of two students, grades out of 10. */
export const grades: SchoolState["grades"] = {
  "class-a": { ada: [9, 10, 8], alan: [7, 6, 8] },
  "class-b": { grace: [10, 9, 8], linus: [5, 6, 4] }
}

/** The scripted teacher: praise from an average of 8 up, encouragement below. */
export const model = TestLanguageModel.layer(({ text }) => {
  const match = /comment for (\w+), whose average grade is ([\d.]+)/.exec(text)
  if (match === null) return undefined
  return Number(match[2]) >= 8 ? `${match[1]} is doing excellent work.` : `${match[1]} is improving; keep practising.`
})

/** The scripted model and a store holding the grades. */
export const layer = Layer.mergeAll(
  model,
  SchoolStore.layer({ grades, reports: {}, classAverages: {}, schoolAverage: undefined })
)

/** Runs the nested batch and returns the final store. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* SchoolStore.get
})

/** Runs the example offline and prints every report and average. */
export const main = Effect.gen(function*() {
  const state = yield* Effect.provide(program, layer)
  for (const [className, students] of Object.entries(state.reports)) {
    yield* Console.log(`${className} (average ${state.classAverages[className]}):`)
    for (const [student, r] of Object.entries(students)) {
      yield* Console.log(`  ${student}: ${r.average} — ${r.comment}`)
    }
  }
  yield* Console.log(`School average: ${state.schoolAverage}`)
})
