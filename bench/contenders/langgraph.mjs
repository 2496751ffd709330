// LangGraph (@langchain/langgraph 1.x): its implementation of each workload it takes part in. Its first `invoke`
// enables AsyncLocalStorage for the whole process, which slows every Promise after it: one reason each contender has
// a process of its own (docs/performance.md, Method).
import { Annotation, END, MemorySaver, Send, START, StateGraph } from "@langchain/langgraph"
import { range, sleep } from "./support/plain.mjs"

const Counter = Annotation.Root({ n: Annotation() })

/** A graph whose one node increments `n` and routes back to itself until `n`, compiled with `checkpointer`. */
const looping = (n, checkpointer, onCall = () => {}) =>
  new StateGraph(Counter)
    .addNode("inc", (s) => {
      onCall()
      return { n: s.n + 1 }
    })
    .addEdge(START, "inc")
    .addConditionalEdges("inc", (s) => (s.n < n ? "inc" : END))
    .compile(checkpointer === undefined ? undefined : { checkpointer })

export const loop = ({ n }) => {
  const app = looping(n)
  return { run: async () => (await app.invoke({ n: 0 }, { recursionLimit: n + 10 })).n }
}

export const chain = ({ length }) => {
  let graph = new StateGraph(Counter)
  for (let i = 0; i < length; i++) graph = graph.addNode(`n${i}`, (s) => ({ n: s.n + 1 }))
  graph = graph.addEdge(START, "n0")
  for (let i = 0; i + 1 < length; i++) graph = graph.addEdge(`n${i}`, `n${i + 1}`)
  const app = graph.addEdge(`n${length - 1}`, END).compile()
  return { run: async () => (await app.invoke({ n: 0 }, { recursionLimit: length + 10 })).n }
}

/** Fan-out with `Send`, one task per item; `maxConcurrency` bounds the tasks in flight. */
export const batch = ({ items, waitMs, concurrency }) => {
  const State = Annotation.Root({
    items: Annotation(),
    done: Annotation({ reducer: (a, b) => a + b, default: () => 0 })
  })
  const app = new StateGraph(State)
    .addNode("work", async () => {
      await sleep(waitMs)
      return { done: 1 }
    })
    .addConditionalEdges(START, (s) => s.items.map((i) => new Send("work", { item: i })))
    .addEdge("work", END)
    .compile()
  const list = range(items)
  const options = concurrency === "unbounded" ? {} : { maxConcurrency: concurrency }
  return { run: async () => (await app.invoke({ items: list }, options)).done }
}

/** SqliteSaver's driver, better-sqlite3, is a native add-on built by bench/harness/native.mjs: why it is not, if not. */
const sqliteMissing = async () => {
  const { createRequire } = await import("node:module")
  const { dirname, join } = await import("node:path")
  const { existsSync, readFileSync } = await import("node:fs")
  try {
    const require = createRequire(import.meta.url)
    const saver = dirname(require.resolve("@langchain/langgraph-checkpoint-sqlite/package.json"))
    const addon = dirname(createRequire(join(saver, "package.json")).resolve("better-sqlite3/package.json"))
    const skipped = join(addon, "build", "skipped.txt")
    if (existsSync(skipped)) return `better-sqlite3 not built: ${readFileSync(skipped, "utf8").trim()}`
    const Database = createRequire(join(saver, "package.json"))("better-sqlite3")
    new Database(":memory:").close()
    return undefined
  } catch (error) {
    const why = String(error?.message ?? error).replace(/\s+/g, " ").slice(0, 300)
    return `better-sqlite3 does not load on Node ${process.version}: ${why}`
  }
}

/**
 * The loop with a checkpointer (`saver`: "memory" for MemorySaver, "postgres" for PostgresSaver on `url`, tables set
 * up once, "sqlite" for SqliteSaver on `filename`), `durability` as given (LangGraph's default: "async"). Every run
 * is a new thread; threads are deleted after each trial. The node's calls are counted and the final state read back
 * from the checkpointer.
 */
export const durable = async ({ n, saver, url, filename, durability }) => {
  let checkpointer = new MemorySaver()
  if (saver === "postgres") {
    // only this row loads the Postgres saver (and its driver)
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres")
    checkpointer = PostgresSaver.fromConnString(url)
    await checkpointer.setup()
  }
  if (saver === "sqlite") {
    const missing = await sqliteMissing()
    if (missing !== undefined) return { skip: missing }
    const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite")
    checkpointer = SqliteSaver.fromConnString(filename)
  }
  let calls = 0
  const app = looping(n, checkpointer, () => calls++)
  let thread = 0
  const threads = []
  return {
    run: async () => {
      const thread_id = `bench-${durability ?? "default"}-${thread++}`
      threads.push(thread_id)
      calls = 0
      const out = await app.invoke({ n: 0 }, {
        configurable: { thread_id },
        recursionLimit: n + 10,
        ...(durability === undefined ? {} : { durability })
      })
      return { n: out.n, calls, thread_id }
    },
    inspect: async ({ n, calls, thread_id }) => ({
      n,
      calls,
      saved: (await app.getState({ configurable: { thread_id } })).values.n
    }),
    afterTrial: async () => {
      for (const id of threads.splice(0)) await checkpointer.deleteThread(id)
    },
    dispose: saver === "postgres"
      ? () => checkpointer.end()
      : saver === "sqlite"
      ? () => checkpointer.db.close()
      : undefined
  }
}
