// Statistics and number formats, shared by the trial scheduler and the report.

/** The p-quantile (0 ≤ p ≤ 1) of a sample, linearly interpolated between the two nearest ranks. */
export const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  const i = (s.length - 1) * p
  const lo = Math.floor(i)
  const hi = Math.ceil(i)
  return s[lo] + (s[hi] - s[lo]) * (i - lo)
}

export const median = (xs) => quantile(xs, 0.5)

/** Median, min, max and interquartile range of a sample. */
export const spread = (xs) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  p25: quantile(xs, 0.25),
  p75: quantile(xs, 0.75)
})

/** Per-trial ratios a[t] / b[t] of two samples taken in the same trials, with their spread and the samples. */
export const trialRatios = (a, b) => {
  const samples = a.map((x, t) => x / b[t])
  return { ...spread(samples), samples }
}

export const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

export const fmtRatio = (x) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)
