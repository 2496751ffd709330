/**
 * Runs one example by name: `npm run example -- <name>`. With no name or an unknown one it lists the
 * examples and exits with status 1.
 */
import * as Effect from "effect/Effect"
import * as agent from "./agent.ts"
import * as batchFlow from "./batch-flow.ts"
import * as hello from "./hello.ts"
import * as mapReduce from "./map-reduce.ts"
import * as structuredOutput from "./structured-output.ts"

/** Every example's `main`, by the name given on the command line. */
export const examples: Readonly<Record<string, Effect.Effect<void, unknown>>> = {
  hello: hello.main,
  agent: agent.main,
  "map-reduce": mapReduce.main,
  "batch-flow": batchFlow.main,
  "structured-output": structuredOutput.main
}

const name = process.argv[2]
const example = name === undefined ? undefined : examples[name]

if (example === undefined) {
  console.error(`${name === undefined ? "No example given" : `Unknown example "${name}"`}. Examples:`)
  for (const known of Object.keys(examples)) console.error(`  npm run example -- ${known}`)
  process.exit(1)
} else {
  Effect.runPromise(example).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
