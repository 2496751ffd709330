/**
 * Type-level assertions for the `*.types.ts` files (checked by `tsc`, not run by vitest): `check<Equals<A, B>>()`
 * compiles only when A and B are the same type.
 */
export type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false
export const check = <T extends true>(_proof?: T): void => undefined
