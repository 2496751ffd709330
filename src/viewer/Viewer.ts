/**
 * The run viewer: a local web page (Effect's HTTP server on 127.0.0.1, token-protected) listing durable runs, drawing
 * a run's flow with its current and waiting nodes, its stores' state and checkpoint history, and answering a waiting
 * input with a form built from the answer's JSON Schema.
 *
 * Two ways to open it:
 * - `npx effect-pocketflow view --dir .runs` (or `--postgres <url>`): the standalone viewer over a checkpointer's
 *   storage. It needs none of the app's code; it draws a run's flow when the program saved its diagram with
 *   `Viewer.record` (or ran it with `Viewer.run`).
 * - `Viewer.layer()` in a program, which then runs its flows with `Viewer.run`: the same page, plus the live event
 *   log, and an answer (or a fork) continues the run in that program.
 *
 * @since 0.3.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as PlatformError from "effect/PlatformError"
import * as Stream from "effect/Stream"
import { Checkpointer } from "../Checkpointer.ts"
import * as Durable from "../Durable.ts"
import type { CheckpointError } from "../Errors.ts"
import * as Flow from "../Flow.ts"
import { CurrentRunObserver } from "../internal/durable/observer.ts"
import type * as Node from "../Node.ts"
import { DIAGRAM_SCOPE } from "../server/internal/handlers.ts"
import * as Server from "../server/Server.ts"
import type * as Shared from "../Shared.ts"

/**
 * Where and how the viewer listens.
 *
 * @example
 * ```ts
 * import type { Viewer } from "effect-pocketflow/viewer"
 *
 * const options: Viewer.Options = { port: 4777 }
 * ```
 * @category models
 * @stability experimental
 * @since 0.3.0
 */
export interface Options {
  /** The port (default 0: any free port; the URL printed at start-up says which). */
  readonly port?: number | undefined
  /**
   * The address to bind (default 127.0.0.1). Only loopback (`127.0.0.0/8`, `::1`, `localhost`) is accepted unless
   * `allowRemote` is set: any other address, and the empty string (every interface), fails with {@link HostRefused}.
   */
  readonly host?: string | undefined
  /**
   * Listen on a `host` that is not loopback (default false). Anyone who can reach that address can then try the
   * token; the `Host` header must name the address bound.
   */
  readonly allowRemote?: boolean | undefined
  /** The access token (default: 32 random bytes, new at every start). */
  readonly token?: string | undefined
  /** Print the URL (with the token) at start-up (default true). */
  readonly announce?: boolean | undefined
}

/**
 * The running viewer: its address, and the URL (carrying the token) to open in a browser. It is the server without
 * hosted flows, so its service is the server's (`url`, `baseUrl`, `host`, `port`, `token`).
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * const printUrl = Effect.flatMap(Effect.service(Viewer.Viewer), (viewer) => Console.log(viewer.url))
 * ```
 * @category services
 * @stability experimental
 * @since 0.3.0
 */
export class Viewer extends Context.Service<Viewer, Server.Server["Service"]>()("effect-pocketflow/viewer/Viewer") {}

/**
 * `Viewer.layer` (or `Viewer.serve`) was asked to listen on an address that is not loopback — another machine's
 * interface, or the empty string, which means every interface — without `allowRemote: true`. The message says how to
 * allow it on purpose. (The server's own error: the viewer is the server without hosted flows.)
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * const program = Layer.launch(Viewer.layer({ host: process.env.VIEWER_HOST })).pipe(
 *   Effect.provide(Checkpointer.layerMemory),
 *   Effect.catchTag("HostRefused", (error) => Effect.logError(error.message))
 * )
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export const HostRefused = Server.HostRefused

/**
 * The type of {@link HostRefused}.
 *
 * @example
 * ```ts
 * import type { Viewer } from "effect-pocketflow/viewer"
 *
 * const show = (error: Viewer.HostRefused) => error.message
 * ```
 * @category errors
 * @stability experimental
 * @since 0.4.0
 */
export type HostRefused = Server.HostRefused

/**
 * Serves the viewer for as long as the layer lives, over the `Checkpointer` the program uses, and prints its URL.
 * Runs started with `Viewer.run` get their live event log on the page, and an answer or a fork given in the page
 * continues them in this program.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * const layer = Viewer.layer({ port: 4777 }).pipe(Layer.provideMerge(Checkpointer.layerMemory))
 * const program = Effect.never.pipe(Effect.provide(layer))
 * ```
 * @category layers
 * @stability experimental
 * @since 0.3.0
 */
export const layer = (
  options?: Options
): Layer.Layer<Viewer, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer> =>
  Layer.effect(
    Viewer,
    Effect.map(Effect.service(Server.Server), (server) => Viewer.of(server))
  ).pipe(
    Layer.provide(Server.layerWith({
      ...options,
      flows: [],
      label: "Run viewer",
      who: "The run viewer",
      allow: "pass allowRemote: true to Viewer.layer"
    }))
  )

/** How a run stands after a walk ended, read back from its latest checkpoint. */
const outcomeOf = (id: string) =>
  Effect.flatMap(Durable.get(id), (snapshot): Effect.Effect<Durable.Outcome<string>> => {
    if (Option.isNone(snapshot)) return Effect.die(new Error(`Viewer.run: run ${JSON.stringify(id)} vanished`))
    const s = snapshot.value
    switch (s.status) {
      case "done":
        return Effect.succeed({ _tag: "Done", action: s.action ?? "default", steps: s.steps })
      case "suspended":
      case "sleeping":
      case "waiting":
        return Effect.succeed({
          _tag: "Suspended",
          steps: s.steps,
          waiting: s.waiting.map((w) => ({
            key: w.key,
            input: w.input,
            path: w.path,
            prompt: w.prompt,
            token: w.token,
            kind: w.kind ?? "input",
            ...(w.until === undefined ? {} : { until: w.until }),
            ...(w.child === undefined ? {} : { child: w.child })
          }))
        })
      case "interrupted":
        return Effect.succeed({ _tag: "Interrupted", steps: s.steps })
      default:
        return Effect.die(new Error(`Viewer.run: run ${JSON.stringify(id)} ended its walk as ${s.status}`))
    }
  })

/**
 * Saves the flow's diagram (`Flow.toMermaid`) with the run, so the standalone viewer (`npx effect-pocketflow view`)
 * can draw it without the app's code. Call it once the run exists (after its first `Durable.run`); `Viewer.run` does
 * it for you. It is an item record of the run, removed with it.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable, Flow, Node, Shared } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const flow = Flow.make({ name: "count", start: inc })
 * const program = Durable.run(flow, { id: "count-1", stores: [Store.initial({ n: 0 })] }).pipe(
 *   Effect.andThen(Viewer.record(flow, "count-1"))
 * )
 * ```
 * @category running
 * @stability experimental
 * @since 0.3.0
 */
export const record = (flow: Node.Any, id: string): Effect.Effect<void, CheckpointError, Checkpointer> =>
  Effect.flatMap(Effect.service(Checkpointer), (cp) => cp.putItem(id, DIAGRAM_SCOPE, 0, Flow.toMermaid(flow)))

/**
 * `Durable.run` under the viewer: the run's events go to the page's live log, its diagram is saved with it
 * (`Viewer.record`), and the viewer may continue it in this program (with the services this call was given) after an
 * answer or a fork submitted in the page. Returns the outcome of this call's walk, as `Durable.run` does.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Checkpointer, Flow, Node, Shared } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * class Store extends Shared.Service<Store>()("app/Store", { schema: Schema.Struct({ n: Schema.Number }) }) {}
 * const inc = Node.make({ name: "inc", post: () => Store.update((s) => ({ n: s.n + 1 })) })
 * const flow = Flow.make({ name: "count", start: inc })
 * const program = Viewer.run(flow, { id: "count-1", stores: [Store.initial({ n: 0 })] }).pipe(
 *   Effect.provide(Viewer.layer().pipe(Layer.provideMerge(Checkpointer.layerMemory)))
 * )
 * ```
 * @category running
 * @stability experimental
 * @since 0.3.0
 */
export const run = <
  A extends string,
  E,
  R,
  const Stores extends ReadonlyArray<Shared.Initial<any, any>>
>(
  flow: Node.Node<A, E, R>,
  options: Durable.LeaseOptions & { readonly id: string; readonly stores: Stores }
): Effect.Effect<
  Durable.Outcome<A>,
  Effect.Error<ReturnType<typeof Durable.run<A, E, R, Stores>>>,
  Effect.Services<ReturnType<typeof Durable.run<A, E, R, Stores>>> | Viewer
> =>
  Effect.gen(function*() {
    const viewer = yield* Viewer
    const context = yield* Effect.context<never>()
    const diagram = Flow.toMermaid(flow)
    // The run's events go to the server's log (its page and event streams) through the observer.
    const walk = (id: string) =>
      Effect.gen(function*() {
        let recorded = false
        yield* Durable.events(flow, { ...options, id }).pipe(
          Stream.runForEach((event) =>
            event._tag === "CheckpointSaved" && !recorded
              ? Effect.flatMap(Effect.service(Checkpointer), (cp) => {
                recorded = true
                return cp.putItem(id, DIAGRAM_SCOPE, 0, diagram)
              })
              : Effect.void
          ),
          Effect.provideService(CurrentRunObserver, viewer.hub.observer)
        )
        return yield* outcomeOf(id)
      })
    viewer.live.register(options.id, {
      diagram,
      continue: (id) =>
        viewer.background(
          walk(id).pipe(
            // Its owner is still walking it (say, the answer came as it was about to suspend): it reads the inbox.
            Effect.catchTag("RunLocked", () => Effect.void),
            Effect.catchCause((cause) => Effect.logError("Viewer.run: continuing the run failed", cause)),
            Effect.asVoid,
            Effect.provideContext(context as Context.Context<any>)
          ) as Effect.Effect<void>
        )
    })
    return yield* walk(options.id)
  }) as any

/**
 * The standalone viewer over a checkpointer: serves until interrupted. The bin (`npx effect-pocketflow view`) runs it
 * with the file-system or SQL checkpointer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Checkpointer } from "effect-pocketflow"
 * import { Viewer } from "effect-pocketflow/viewer"
 *
 * const program = Viewer.serve({ port: 4777 }).pipe(Effect.provide(Checkpointer.layerMemory))
 * ```
 * @category running
 * @stability experimental
 * @since 0.3.0
 */
export const serve = (
  options?: Options
): Effect.Effect<never, HttpServerError.ServeError | PlatformError.PlatformError | HostRefused, Checkpointer> =>
  Layer.launch(layer(options))
