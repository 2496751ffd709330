import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A throwaway PostgreSQL for the SQL checkpointer's tests (skipped where no server binaries exist).
    globalSetup: ["test/setup/postgres.ts"],
    // Examples and flows print through Effect's logger; keep the report readable.
    silent: "passed-only"
  }
})
