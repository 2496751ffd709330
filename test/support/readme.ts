/** The README's code blocks, for the tests that keep each snippet a file of this suite that runs. */
import { assert, vi } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"

const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8")

/** The code of the first ```ts block after the line `heading` (a heading, or a marker such as a comment). */
export const snippet = (heading: string): string => {
  const start = readme.indexOf(`\n${heading}\n`)
  assert.isAtLeast(start, 0, `README has no "${heading}" line`)
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start))?.[1]
  assert.isDefined(block, `README has no ts block after "${heading}"`)
  return block!
}

/** Checks that the snippet after `heading` is, verbatim, `file` in `dirname` (the test's `import.meta.dirname`). */
export const assertSnippetIs = (heading: string, dirname: string, file: string): void =>
  assert.strictEqual(snippet(heading), readFileSync(resolve(dirname, file), "utf8"))

/**
 * Runs a README snippet as written: writes `code` (its package imports rewritten by `imports`) next to the test in
 * `dirname`, sets `env` for the scope, and imports it; succeeds with the first value the snippet prints with
 * `console.log`. The file, the environment and `console.log` are restored when the scope ends.
 */
export const importSnippet = (
  code: string,
  options: {
    readonly dirname: string
    readonly imports: Readonly<Record<string, string>>
    readonly env: Readonly<Record<string, string>>
  }
) =>
  Effect.gen(function*() {
    const file = join(options.dirname, `.readme-snippet-${process.pid}.ts`)
    let source = code
    for (const [from, to] of Object.entries(options.imports)) source = source.replace(`"${from}"`, `"${to}"`)
    yield* Effect.acquireRelease(
      Effect.sync(() => writeFileSync(file, source)),
      () => Effect.sync(() => rmSync(file, { force: true }))
    )
    const saved = { ...process.env }
    yield* Effect.acquireRelease(
      Effect.sync(() => Object.assign(process.env, options.env)),
      () =>
        Effect.sync(() => {
          for (const key of Object.keys(options.env)) {
            if (saved[key] === undefined) delete process.env[key]
            else process.env[key] = saved[key]
          }
        })
    )
    const printed = yield* Deferred.make<unknown>()
    const log = vi.spyOn(console, "log").mockImplementation((value: unknown) => {
      Deferred.doneUnsafe(printed, Effect.succeed(value))
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => log.mockRestore()))
    yield* Effect.promise(() => import(file))
    return yield* Deferred.await(printed)
  })
