/**
 * What the server's API and the command line both do with runs, over `Durable`: answering by token or by run id and
 * input name. Failures are the library's own typed errors; each caller words them its way (a status code, a line).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Durable from "../../Durable.ts"
import { NotWaiting, RunNotFound } from "../../Errors.ts"
import { runIdProblem } from "../../internal/checkpointer/service.ts"
import { parseToken } from "../../internal/durable/ask.ts"

/** How an answer names what it answers: a waiting input's token, or the run, the input's name and maybe its key. */
export type Target =
  | { readonly token: string }
  | { readonly id: string; readonly input: string; readonly key?: string | undefined }

/**
 * Writes the answer (its JSON encoding, checked against the waiting record's schema). By id and input name, the
 * single waiting input of that name (not answered yet, when several are) is the one; several open ones need `key`.
 * Returns the run id and the key answered.
 */
export const answer = Effect.fnUntraced(function*(target: Target, value: unknown) {
  if ("token" in target) {
    const parsed = parseToken(target.token)
    yield* Durable.answer({ token: target.token, value })
    // `answer` accepted the token, so it names a run and a key.
    return { id: parsed![0], key: parsed![1] }
  }
  // A string that cannot be a run id names no run (`Durable.get` would take it for a programming error).
  if (runIdProblem(target.id) !== undefined) return yield* new RunNotFound({ id: target.id })
  const details = yield* Durable.get(target.id)
  if (Option.isNone(details)) return yield* new RunNotFound({ id: target.id })
  const run = details.value
  const matching = run.waiting.filter((w) =>
    w.input === target.input && (target.key === undefined || w.key === target.key)
  )
  const open = matching.filter((w) => !run.answered.includes(w.key))
  const candidates = open.length > 0 ? open : matching
  if (candidates.length !== 1) {
    return yield* new NotWaiting({
      id: target.id,
      key: target.key,
      waiting: run.waiting.map((w) => w.key),
      reason: candidates.length === 0
        ? `no waiting input ${JSON.stringify(target.input)}`
        : `several inputs ${JSON.stringify(target.input)} wait: pass key`
    })
  }
  const waiting = candidates[0]!
  yield* Durable.answer({ token: waiting.token, value })
  return { id: target.id, key: waiting.key }
})
