// The contenders' row names, shared by the workloads (this file loads no library: the harness and every child may
// import it). A row's contender file is contenders/<key>.mjs.
export const ours = { contender: "effect-pocketflow", name: "effect-pocketflow" }
export const pocketflow = { contender: "pocketflow", name: "PocketFlow 1.0.4" }
export const langgraph = { contender: "langgraph", name: "LangGraph" }
export const rawEffect = { contender: "raw-effect", name: "raw Effect loop" }
export const plainAsync = { contender: "plain-async", name: "plain async loop" }
export const oursBase = { contender: "effect-pocketflow-base", name: "effect-pocketflow before (base build)" }
