#!/usr/bin/env node
/**
 * The `effect-pocketflow` command (package.json `bin`): `serve`, `view` and `runs …`, on `effect/cli`
 * (src/cli/internal/main.ts). It needs `@effect/platform-node`, an optional peer dependency: without it, it says which
 * `npm install` adds it instead of failing with a resolution error.
 *
 * @since 0.4.0
 */
import { createRequire } from "node:module"

const version = (createRequire(import.meta.url)("../package.json") as { readonly version: string }).version

const missing = (error: unknown, name: string): boolean =>
  (error as { readonly code?: unknown })?.code === "ERR_MODULE_NOT_FOUND" && String(error).includes(name)

import("@effect/platform-node/NodeRuntime").then(
  () => import("./cli/internal/main.ts").then((cli) => cli.main(version)),
  (error: unknown) => {
    if (!missing(error, "@effect/platform-node")) throw error
    console.error(
      "effect-pocketflow: the command needs the @effect/platform-node package (Effect's Node.js platform):\n" +
        "  npm install @effect/platform-node"
    )
    process.exitCode = 1
  }
)
