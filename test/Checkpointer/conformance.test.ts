import { Layer } from "effect"
import { Checkpointer } from "../../src/index.ts"
import { checkpointerSuite } from "../support/checkpointers.ts"

checkpointerSuite("memory checkpointer", (options) =>
  Layer.effect(Checkpointer.Checkpointer, Checkpointer.makeMemory(options)))
