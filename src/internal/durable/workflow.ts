/**
 * The workflow host (`Durable.toWorkflow`): the same walk, with every node step an `effect/workflow` `Activity` named
 * by its step id (the ids `Durable.run` uses), so a replay returns journaled steps without running them.
 *
 * - A plain node's prep → exec → post, and a composite's post, is one activity whose result is `{ action, seq, patch }`:
 *   `patch` the JSON patch of the encoded stores over the post, `seq` the order posts finished. Posts are serialised
 *   from their start until their result is journaled, so journaled `seq`s have no gaps, and a replay applies patches
 *   in `seq` order: parallel branches replay deterministically.
 * - A batch node with a `resultSchema` journals each item as an activity of its own (`<step id>[i]`), as `Durable.run`
 *   saves one record per item; without one, the whole batch is one step (as under `Durable.run`, where such a batch
 *   runs again as a whole).
 * - `ask` with no answer ends the activity with `Asked { key }` (the step's fiber is interrupted, as in `Durable.run`);
 *   the body awaits the `DurableDeferred` named by the input key (suspending the run) and runs the step again as the
 *   next attempt (`<step id>@2`, …), now with the answer. Composite preps run in the body, where asking is refused.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Json } from "../json.ts"
import { type AnyNode, toAction } from "../node.ts"
import * as Cursor from "../walk/cursor.ts"
import { type Complete, type Host, SUSPENDED } from "../walk/host.ts"
import { itemsOf, root as walkRoot } from "../walk/walk.ts"
import { Run } from "./ask.ts"
import { activities, askInBody, type Ctx, runStep } from "./journal.ts"

export { type Ctx, deferredOf } from "./journal.ts"

interface Place {
  readonly id: string
  readonly path: string
}

const completed = (complete: Complete) => (action: string) => {
  complete(action)
  return action
}

const host = (ctx: Ctx): Host<Place> => ({
  positions: false,
  visits: true,
  reuse: false,
  step: (parent, node, visit) => ({
    id: Cursor.stepId(parent.id, node.name, visit),
    path: `${parent.path}/${node.name}`
  }),
  child: (parent, node, index, batch) => ({
    id: Cursor.stepId(batch ? Cursor.runId(parent.id, index) : parent.id, node.name, 1),
    path: `${parent.path}/${node.name}`
  }),
  run: (_, { exec, post, prep }, p) =>
    runStep(
      ctx,
      p.id,
      (commit) =>
        Effect.flatMap(
          prep ?? Effect.void,
          (x) => Effect.flatMap(exec(x), (r) => commit(post === undefined ? Effect.void : post(x, r)))
        )
    ),
  prep: (_, prep) => prep,
  commit: (p, post, last, complete) =>
    post === undefined
      ? Effect.sync(() => completed(complete)(last))
      : Effect.map(runStep(ctx, Cursor.partId(p.id, "post"), (commit) => commit(post)), completed(complete)),
  item: (_, { exec, resultSchema }, p, index, item) => {
    const schema = resultSchema!
    return activities(
      ctx,
      Cursor.runId(p.id, index),
      () =>
        Effect.flatMap(
          exec(item),
          (x) =>
            Effect.map(Schema.encodeEffect(schema)(x), (value) => ({ _tag: "Item" as const, value: value as Json }))
        ),
      (_, result) =>
        result._tag === "Item"
          ? Schema.decodeUnknownEffect(schema)(result.value)
          : Effect.die(new Error("unexpected journal entry"))
    )
  },
  // Without a resultSchema nothing can journal an item's result: the batch is one step.
  batch: (node, { concurrency, exec, post, prep }, p, complete) =>
    Effect.map(
      runStep(ctx, p.id, (commit) =>
        Effect.flatMap(prep, (prepared) => {
          const items = itemsOf(node, prepared, undefined, p)
          if (!Array.isArray(items)) return items
          return Effect.flatMap(
            Effect.forEach(items, exec, { concurrency }),
            (results) => commit(post === undefined ? Effect.void : post(items, results))
          )
        })),
      completed(complete)
    )
})

/** Walks `root` as one execution of the workflow body, with the stores in `slots` provided to it. */
export const body = (
  ctx: Ctx,
  root: AnyNode,
  services: Context.Context<never>
): Effect.Effect<string, unknown, unknown> =>
  Effect.map(
    Effect.provideContext(
      walkRoot(host(ctx), root, { id: root.name, path: root.name }, undefined, undefined, () => {}),
      Context.add(services, Run, askInBody)
    ),
    (result) => result === SUSPENDED ? "default" : toAction(result)
  )
