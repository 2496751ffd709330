import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Examples and flows print through Effect's logger; keep the report readable.
    silent: "passed-only"
  }
})
