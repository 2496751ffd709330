// PocketFlow 1.0.4 (the TypeScript port, `pocketflow` on npm): its implementation of each workload it takes part in.
import * as PF from "pocketflow"
import { range, sleep } from "./support/plain.mjs"

/** Runs `flow` on a fresh shared store and resolves the store. */
const onShared = (flow, initial) => async () => {
  const shared = { ...initial }
  await flow.run(shared)
  return shared
}

export const loop = ({ n }, { onStep }) => {
  class Inc extends PF.Node {
    async prep(shared) {
      return shared.n
    }
    async exec(x) {
      return x + 1
    }
    async post(shared, _x, x) {
      if (onStep !== undefined) onStep(x)
      shared.n = x
      return x < n ? "again" : "done"
    }
  }
  const inc = new Inc()
  inc.on("again", inc)
  // "done" goes to a last, empty node, as in every contender's loop (an unmatched action warns)
  inc.on("done", new PF.Node())
  const run = onShared(new PF.Flow(inc), { n: 0 })
  return { run: () => run().then((s) => s.n) }
}

export const chain = ({ length }) => {
  const nodes = range(length, () => {
    const node = new PF.Node()
    node.prep = async (shared) => shared.n
    node.exec = async (x) => x + 1
    node.post = async (shared, _x, x) => {
      shared.n = x
    }
    return node
  })
  for (let i = 0; i + 1 < length; i++) nodes[i].next(nodes[i + 1])
  const run = onShared(new PF.Flow(nodes[0]), { n: 0 })
  return { run: () => run().then((s) => s.n) }
}

/** ParallelBatchNode: no concurrency limit, so it only takes part unbounded. */
export const batch = ({ items, waitMs }) => {
  const list = range(items)
  let done
  class Wait extends PF.ParallelBatchNode {
    async prep() {
      return list
    }
    async exec(i) {
      await sleep(waitMs)
      return i
    }
    async post(_shared, _items, results) {
      done = results.length
    }
  }
  const node = new Wait()
  return { run: () => node.run({}).then(() => done) }
}

/** BatchFlows nested: the leaf reads both parameter sets from its merged params. */
export const nested = ({ outer: O, inner: I }) => {
  class Leaf extends PF.Node {
    async prep() {
      return this._params.outer * 1000 + this._params.inner
    }
    async post(shared, v) {
      shared.n += 1
      shared.sum += v
    }
  }
  class Inner extends PF.BatchFlow {
    async prep() {
      return range(I, (inner) => ({ inner }))
    }
  }
  class Outer extends PF.BatchFlow {
    async prep() {
      return range(O, (outer) => ({ outer }))
    }
  }
  return { run: onShared(new Outer(new Inner(new Leaf())), { n: 0, sum: 0 }) }
}
