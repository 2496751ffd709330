import { describe } from "@effect/vitest"
import { Layer } from "effect"
import { Checkpointer } from "../../src/index.ts"
import { checkpointerSuite } from "../../src/testing/CheckpointerSuite.ts"
import * as Pg from "../setup/pg.ts"

describe.skipIf(Pg.missing())("Postgres", () => {
  checkpointerSuite("SQL checkpointer on Postgres", (options) =>
    Checkpointer.layerSql({ ...options, table: `suite_keep_${options.keep ?? "default"}` }).pipe(
      Layer.provide(Pg.client())
    ))
})
