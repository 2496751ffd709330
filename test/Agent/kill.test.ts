/**
 * An agent under `Durable.run`, killed with SIGKILL between a tool call and the next model call (test/Agent/fixtures/
 * kill.ts), then finished by a second process: the tool ran once, and the model was asked once for the turn that had
 * finished before the kill. On the file-system checkpointer and on Postgres.
 */
import { afterEach, assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { forEachCheckpointer, shared } from "../support/checkpointers.ts"
import { killChildren, spawnTsx } from "../support/process.ts"

const fixture = resolve(import.meta.dirname, "fixtures/kill.ts")

afterEach(killChildren)

forEachCheckpointer("an agent killed between a tool call and the next model call", ({ storage }) => {
  const runs = storage("agent_killed")
  const scratch = storage("agent_logs").place.directory

  it.live(
    "the resumed agent neither runs the tool again nor asks the model again for the finished turn",
    () =>
      Effect.gen(function*() {
        const id = `agent-${Date.now()}`
        const log = join(scratch, `${id}.log`)
        const first = spawnTsx(fixture, [...runs.args, id, log, "kill"])
        const killed = yield* Effect.promise(() => first.exit)
        assert.strictEqual(killed.signal, "SIGKILL")
        assert.deepStrictEqual(readFileSync(log, "utf8").split("\n").filter((l) => l !== ""), ["model 1", "tool Oslo"])

        const second = spawnTsx(fixture, [...runs.args, id, log, "force"])
        const exit = yield* Effect.promise(() => second.exit)
        assert.strictEqual(exit.code, 0)
        assert.deepStrictEqual(JSON.parse(second.lines.join("\n")), { outcome: "Done", answer: "4 °C in Oslo." })
        assert.deepStrictEqual(readFileSync(log, "utf8").split("\n").filter((l) => l !== ""), [
          "model 1",
          "tool Oslo",
          "model 2"
        ])
      }),
    60_000
  )
}, shared)
