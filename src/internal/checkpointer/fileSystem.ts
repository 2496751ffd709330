import type * as Layer from "effect/Layer"
import type * as FileSystem from "effect/FileSystem"
import type * as Path from "effect/Path"
import type * as PlatformError from "effect/PlatformError"
import type { Checkpointer, Options } from "../../Checkpointer.ts"

/** Options of `Checkpointer.layerFileSystem`. */
export interface FileSystemOptions extends Options {
  /** The folder holding one folder per run; created when missing. */
  readonly directory: string
  /** fsync each written file and its folder before linking it into place (default false). */
  readonly fsync?: boolean | undefined
}

export declare const layer: (
  options: FileSystemOptions
) => Layer.Layer<Checkpointer, PlatformError.PlatformError, FileSystem.FileSystem | Path.Path>
