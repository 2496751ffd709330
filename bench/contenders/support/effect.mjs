// What the two Effect-based contenders (effect-pocketflow and raw Effect) both need: optional root packages and the
// workflow engines. Loaded only in their child processes.
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/** A root devDependency the rows need, or `undefined` when it is not installed. */
export const importOptional = async (specifier) => {
  try {
    return await import(specifier)
  } catch (e) {
    if (e?.code === "ERR_MODULE_NOT_FOUND") return undefined
    throw e
  }
}

/**
 * The engine a workflow row runs on, provided (merged) to `workflows`: `memory` (WorkflowEngine.layerMemory) or `pg`
 * (ClusterWorkflowEngine on a SingleRunner over the Postgres at `url`, default sharding settings). `{ skip }` when
 * @effect/sql-pg is not installed.
 */
export const onWorkflowEngine = async (workflows, engine, url) => {
  const { WorkflowEngine } = await import("effect/workflow")
  if (engine === "memory") return workflows.pipe(Layer.provideMerge(WorkflowEngine.layerMemory))
  const PgClient = await importOptional("@effect/sql-pg/PgClient")
  if (PgClient === undefined) return { skip: "@effect/sql-pg not installed at the root" }
  const { ClusterWorkflowEngine, SingleRunner } = await import("effect/cluster")
  const Digest = await import("effect/crypto/Digest")
  return workflows.pipe(
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(SingleRunner.layer()),
    Layer.provide(Digest.layerWebCrypto),
    Layer.provide(PgClient.layer({ url: Redacted.make(url) }))
  )
}
