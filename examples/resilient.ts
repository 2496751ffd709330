/**
 * `resilient`: a workflow on a flaky service. A batch node fetches a price per stock symbol from a
 * `PriceFeed` that sometimes answers 503, sometimes hangs, and does not know every symbol. Each attempt has
 * a timeout (a hang becomes a typed `NodeTimeout`), failures are retried with exponential backoff (200 ms,
 * 400 ms, 800 ms), an unknown symbol is not retried at all (`retry.while`), and after the last attempt the
 * fallback uses yesterday's cached price. The report is written by the model, which is rate limited on its
 * first call and retried too. `main` prints the retries and fallbacks live from `Flow.events`.
 *
 * Run it with `npm run example -- resilient` (about four seconds of real backoff and timeouts).
 */
import { Flow, FlowEvent, Node, Shared } from "effect-pocketflow"
import { TestLanguageModel } from "effect-pocketflow/testing"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { ask } from "./model.ts"

/** The feed answered with a server error; worth trying again. */
export class Unavailable extends Data.TaggedError("Unavailable")<{
  readonly symbol: string
  readonly status: number
}> {}

/** The feed does not know the symbol; asking again will not help. */
export class UnknownSymbol extends Data.TaggedError("UnknownSymbol")<{ readonly symbol: string }> {}

/** One call the feed received: which symbol, and when (milliseconds on the `Clock`). */
export interface FeedCall {
  readonly symbol: string
  readonly at: number
}

/** A stock price service. */
export class PriceFeed extends Context.Service<PriceFeed, {
  readonly quote: (symbol: string) => Effect.Effect<number, Unavailable | UnknownSymbol>
  readonly calls: Effect.Effect<ReadonlyArray<FeedCall>>
}>()("examples/resilient/PriceFeed") {}

/** What the flaky feed does on each call for a symbol, in order; the last behaviour repeats. */
export type Behaviour = "ok" | "503" | "hang"

/**
 * A feed that follows `plan` per symbol, with `prices` as its answers; a symbol without a price is
 * unknown. Calls are recorded with the `Clock`'s time, so a test under `TestClock` sees the backoff.
 */
export const flakyFeed = (
  prices: Readonly<Record<string, number>>,
  plan: Readonly<Record<string, ReadonlyArray<Behaviour>>>
): Layer.Layer<PriceFeed> =>
  Layer.effect(
    PriceFeed,
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<FeedCall>>([])
      return PriceFeed.of({
        calls: Ref.get(calls),
        quote: (symbol) =>
          Effect.gen(function*() {
            const at = yield* Clock.currentTimeMillis
            const n = yield* Ref.modify(calls, (all) => {
              const next = [...all, { symbol, at }]
              return [next.filter((c) => c.symbol === symbol).length, next] as const
            })
            const price = prices[symbol]
            if (price === undefined) return yield* new UnknownSymbol({ symbol })
            const steps = plan[symbol] ?? ["ok"]
            const behaviour = steps[Math.min(n, steps.length) - 1] ?? "ok"
            if (behaviour === "503") return yield* new Unavailable({ symbol, status: 503 })
            if (behaviour === "hang") return yield* Effect.never
            return price
          })
      })
    })
  )

/** A price and where it came from. */
export interface Quote {
  readonly symbol: string
  readonly price: number | undefined
  readonly source: "live" | "cache" | "none"
  readonly attempts: number
}

/** The workflow's state: the symbols, yesterday's prices, the quotes and the report. */
export interface ResilientState {
  readonly symbols: ReadonlyArray<string>
  readonly cache: Readonly<Record<string, number>>
  readonly quotes: ReadonlyArray<Quote>
  readonly report: string | undefined
}

/** The shared store of the workflow. */
export class ResilientStore extends Shared.Service<ResilientStore, ResilientState>()("examples/resilient/Store") {}

/** At most this many retries per symbol. */
export const retries = 3

/** Fetches each symbol's price: per-attempt timeout, exponential backoff, no retry for unknown symbols. */
export const fetchQuotes = Node.batch({
  name: "fetch-quotes",
  prep: ResilientStore.get.pipe(Effect.map((s) => s.symbols.map((symbol) => ({ symbol, cached: s.cache[symbol] })))),
  exec: ({ symbol }) =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      const price = yield* feed.quote(symbol)
      const attempts = yield* Node.CurrentAttempt
      const quote: Quote = { symbol, price, source: "live", attempts }
      return quote
    }),
  timeout: "1 second",
  retry: {
    times: retries,
    schedule: Schedule.exponential("200 millis"),
    while: (error) => error._tag !== "UnknownSymbol"
  },
  fallback: ({ cached, symbol }, error) =>
    Effect.succeed<Quote>({
      symbol,
      price: error._tag === "UnknownSymbol" ? undefined : cached,
      source: error._tag === "UnknownSymbol" || cached === undefined ? "none" : "cache",
      attempts: error._tag === "UnknownSymbol" ? 1 : retries + 1
    }),
  post: (_items, quotes) => ResilientStore.update((s) => ({ ...s, quotes }))
})

/** Asks the model for a one-line report; a rate limit is retried after a second. */
export const report = Node.make({
  name: "report",
  prep: ResilientStore.get.pipe(Effect.map((s) => s.quotes)),
  exec: (quotes) =>
    ask(
      "Write a one-line market report from these quotes (symbol, price, source):\n" +
        quotes.map((q) => `${q.symbol} ${q.price ?? "n/a"} ${q.source}`).join("\n")
    ),
  retry: { times: 2, schedule: Schedule.spaced("1 second") },
  post: (_quotes, text) => ResilientStore.update((s) => ({ ...s, report: text })).pipe(Node.as("done"))
})

/** fetch-quotes → report. */
export const flow = Flow.make({ name: "market", start: fetchQuotes }).pipe(Flow.next(fetchQuotes, report))

/** Today's live prices; `HOOLI` is not listed. */
export const prices: Readonly<Record<string, number>> = { ACME: 101.5, GLOBEX: 42, INITECH: 7.25 }

/** ACME fails once and hangs once before answering; INITECH is down all day; GLOBEX is fine. */
export const plan: Readonly<Record<string, ReadonlyArray<Behaviour>>> = {
  ACME: ["503", "hang", "ok"],
  INITECH: ["503"]
}

/** The scripted model: rate limited once, then it reports what it was given. */
export const model = TestLanguageModel.layer([
  TestLanguageModel.fail("429 rate limited"),
  "ACME 101.5 and GLOBEX 42 are live; INITECH 7.1 is yesterday's price; HOOLI is not listed."
])

/** The flaky feed, the scripted model and a store with four symbols and yesterday's prices. */
export const layer = Layer.mergeAll(
  flakyFeed(prices, plan),
  model,
  ResilientStore.layer({
    symbols: ["ACME", "GLOBEX", "INITECH", "HOOLI"],
    cache: { ACME: 99, GLOBEX: 41.5, INITECH: 7.1 },
    quotes: [],
    report: undefined
  })
)

/** Runs the workflow and returns the final store. */
export const program = Effect.gen(function*() {
  yield* flow
  return yield* ResilientStore.get
})

/** Runs the workflow offline, printing each retry and fallback as it happens, then the quotes. */
export const main = Effect.gen(function*() {
  yield* Flow.events(flow).pipe(
    Stream.filter((event) => event._tag === "RetryScheduled" || event._tag === "FallbackUsed"),
    Stream.runForEach((event) => Console.log(`  ${FlowEvent.format(event)}`))
  )
  const state = yield* ResilientStore.get
  for (const q of state.quotes) {
    const attempts = `${q.attempts} attempt${q.attempts === 1 ? "" : "s"}`
    yield* Console.log(`${q.symbol}: ${q.price ?? "n/a"} (${q.source}, ${attempts})`)
  }
  yield* Console.log(`Report: ${state.report ?? "(none)"}`)
}).pipe(Effect.provide(layer))
