// The correctness check every workload uses: a wrong answer fails the workload (and the bench's exit code).

export const expectEqual = (what, actual, expected) => {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`)
}
