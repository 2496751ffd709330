// The same prep/exec/post as plain `async` functions in a `while` loop, and Promise-based batches: the floor for
// JavaScript.
import { range, sleep } from "./support/plain.mjs"

/** Walks nodes `{ prep, exec, post, successors }` from `start` on a fresh shared store; resolves the store's n. */
const walk = (start) => async () => {
  const shared = { n: 0 }
  let current = start
  while (current !== undefined) {
    const p = await current.prep(shared)
    const x = await current.exec(p)
    const action = await current.post(shared, p, x)
    current = current.successors.get(action ?? "default")
  }
  return shared.n
}

export const loop = ({ n }) => {
  const node = {
    prep: async (shared) => shared.n,
    exec: async (x) => x + 1,
    post: async (shared, _x, x) => {
      shared.n = x
      return x < n ? "again" : "done"
    },
    successors: new Map()
  }
  const end = { prep: async () => {}, exec: async () => {}, post: async () => {}, successors: new Map() }
  node.successors.set("again", node)
  node.successors.set("done", end)
  return { run: walk(node) }
}

export const chain = ({ length }) => {
  const nodes = range(length, () => ({
    prep: async (shared) => shared.n,
    exec: async (x) => x + 1,
    post: async (shared, _x, x) => {
      shared.n = x
    },
    successors: new Map()
  }))
  for (let i = 0; i + 1 < length; i++) nodes[i].successors.set("default", nodes[i + 1])
  return { run: walk(nodes[0]) }
}

/** A pool of `concurrency` workers taking items in order ("unbounded": Promise.all over every item). */
export const batch = ({ items, waitMs, concurrency }) => {
  const list = range(items)
  if (concurrency === "unbounded") {
    return {
      run: () =>
        Promise.all(list.map(async (i) => {
          await sleep(waitMs)
          return i
        })).then((rs) => rs.length)
    }
  }
  return {
    run: async () => {
      let next = 0
      let done = 0
      const worker = async () => {
        while (next < list.length) {
          next++
          await sleep(waitMs)
          done++
        }
      }
      await Promise.all(range(Math.min(concurrency, list.length), worker))
      return done
    }
  }
}

export const nested = ({ outer: O, inner: I }) => {
  const leaf = {
    prep: async (params) => params.outer * 1000 + params.inner,
    post: async (shared, v) => {
      shared.n += 1
      shared.sum += v
    }
  }
  return {
    run: async () => {
      const shared = { n: 0, sum: 0 }
      for (const o of range(O, (outer) => ({ outer }))) {
        for (const i of range(I, (inner) => ({ inner }))) {
          const params = { ...o, ...i }
          const v = await leaf.prep(params)
          await leaf.post(shared, v)
        }
      }
      return shared
    }
  }
}
