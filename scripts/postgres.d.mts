// Types for scripts/postgres.mjs (plain JavaScript so the bench can run it without a build).
export interface Postgres {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
  readonly dir: string
  readonly stop: () => void
}
export declare const findBinaries: () =>
  | { readonly bin: string; readonly version: string; readonly missing?: undefined }
  | { readonly bin: undefined; readonly version?: undefined; readonly missing: string }
export declare const start: (options?: {
  readonly database?: string
  readonly settings?: Readonly<Record<string, string>>
}) => Promise<Postgres>
