import { defineConfig } from "vitest/config"

export default defineConfig({
  // Examples and tests import the package by its own name (`effect-pocketflow`, `effect-pocketflow/testing`):
  // this export condition maps those to src/ (package.json `exports`), so tests need no build. Vitest runs
  // tests in Vite's server environment, and setting its conditions replaces Vite's defaults, which are
  // therefore listed after ours.
  ssr: { resolve: { conditions: ["effect-pocketflow-source", "module", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    // A throwaway PostgreSQL for the SQL checkpointer's tests (skipped where no server binaries exist).
    globalSetup: ["test/setup/postgres.ts"],
    // Examples and flows print through Effect's logger; keep the report readable.
    silent: "passed-only"
  }
})
