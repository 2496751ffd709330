/**
 * A deterministic `EmbeddingModel` from `effect/ai`, for testing retrieval offline.
 *
 * A text's vector is a hashed bag of its words: each lower-cased word adds ±1 to one of `dimensions`
 * coordinates picked by a hash of the word, and the sum is scaled to length 1. The same text always gives
 * the same vector, texts that share words point the same way (higher cosine similarity), and no network,
 * key or model file is needed. It knows nothing of meaning: synonyms are as far apart as unrelated words.
 *
 * @since 0.1.0
 */
import * as EmbeddingModel from "effect/ai/EmbeddingModel"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Options of the test embedding model.
 *
 * @example
 * ```ts
 * import type { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * const options: TestEmbeddingModel.Options = { dimensions: 16 }
 * ```
 * @category models
 * @stability stable
 * @since 0.1.0
 */
export interface Options {
  /** Length of every vector (default 64). More dimensions, fewer words sharing a coordinate. */
  readonly dimensions?: number | undefined
}

const checkDimensions = (dimensions: unknown): number => {
  if (dimensions === undefined) return 64
  if (typeof dimensions !== "number" || !Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`TestEmbeddingModel: dimensions must be a positive integer, received ${String(dimensions)}`)
  }
  return dimensions
}

// FNV-1a, 32 bits: small, fast and stable across runs and platforms.
const hash = (word: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * The lower-cased words of a text: runs of letters and digits in any script.
 *
 * @example
 * ```ts
 * import { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * TestEmbeddingModel.words("Effect's Layer, twice!") // ["effect", "s", "layer", "twice"]
 * ```
 * @category utilities
 * @stability stable
 * @since 0.1.0
 */
export const words = (text: string): Array<string> =>
  text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0)

/**
 * The vector the test model gives `text`: what `embed(text)` returns, as a plain function for asserting
 * on. A text without words gives the zero vector.
 *
 * @example
 * ```ts
 * import { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * TestEmbeddingModel.vector("hello world", { dimensions: 8 }).length // 8
 * ```
 * @category utilities
 * @stability stable
 * @since 0.1.0
 */
export const vector = (text: string, options: Options = {}): Array<number> => {
  const dimensions = checkDimensions(options.dimensions)
  const sums = new Array<number>(dimensions).fill(0)
  for (const word of words(text)) {
    const h = hash(word)
    // The top bit picks the sign so colliding words cancel as often as they add up.
    sums[h % dimensions]! += h & 0x80000000 ? -1 : 1
  }
  const length = Math.sqrt(sums.reduce((acc, x) => acc + x * x, 0))
  return length === 0 ? sums : sums.map((x) => x / length)
}

/**
 * Cosine similarity of two vectors of the same length: 1 for the same direction, 0 for none in common
 * (and 0 when either is the zero vector).
 *
 * @example
 * ```ts
 * import { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * TestEmbeddingModel.cosine([1, 0], [1, 1]) // ≈ 0.707
 * ```
 * @category utilities
 * @stability stable
 * @since 0.1.0
 */
export const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  if (a.length !== b.length) {
    throw new RangeError(`TestEmbeddingModel.cosine: vectors of lengths ${a.length} and ${b.length}`)
  }
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * An `EmbeddingModel` that embeds with `vector`, and the `EmbeddingModel.Dimensions` it uses.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EmbeddingModel } from "effect/ai"
 * import { TestEmbeddingModel } from "effect-pocketflow/testing"
 *
 * const program = Effect.gen(function*() {
 *   const model = yield* EmbeddingModel.EmbeddingModel
 *   const { vector } = yield* model.embed("the cat sat on the mat")
 *   return vector.length // 16
 * }).pipe(Effect.provide(TestEmbeddingModel.layer({ dimensions: 16 })))
 * ```
 * @category layers
 * @stability stable
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<EmbeddingModel.EmbeddingModel | EmbeddingModel.Dimensions> => {
  const dimensions = checkDimensions(options.dimensions)
  return Layer.effectContext(
    Effect.map(
      EmbeddingModel.make({
        embedMany: ({ inputs }) =>
          Effect.succeed({
            results: inputs.map((text) => vector(text, { dimensions })),
            usage: { inputTokens: inputs.reduce((n, text) => n + words(text).length, 0) }
          })
      }),
      (model) =>
        Context.make(EmbeddingModel.EmbeddingModel, model).pipe(Context.add(EmbeddingModel.Dimensions, dimensions))
    )
  )
}
