// Plain helpers for every contender (no library: any contender's process may load this file).

/** 0, 1, …, k - 1 mapped through `f`. */
export const range = (k, f = (i) => i) => Array.from({ length: k }, (_, i) => f(i))

/** A promise resolved after `ms` on a real timer. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
