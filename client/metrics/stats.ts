// Small numeric helpers shared by the metrics, written to match R because iglu is the reference.
// "Missing" is NaN throughout (R's NA): the `...Present` helpers skip it as R's `na.rm = TRUE` does.

/** Quantile of an ascending-sorted array by linear interpolation (R's default `type = 7`, also numpy's and d3's). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Round half to even, as R's `round()` does (iglu's gap arithmetic depends on it: round(2.5) is 2). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

/** The values that are not NaN (R's `na.omit`). */
export function present(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v));
}

/** R's `mean(x, na.rm = TRUE)`: NaN when nothing is left. */
export function meanPresent(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** R's `sd(x, na.rm = TRUE)`: the sample SD (n - 1), NaN below two values. */
export function sdPresent(values: readonly number[]): number {
  const xs = present(values);
  if (xs.length < 2) return Number.NaN;
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1));
}

/** R's `diff(x, lag)`: x[i + lag] - x[i]; NaN in, NaN out. */
export function lagDiff(values: readonly number[], lag: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + lag < values.length; i++) out.push((values[i + lag] as number) - (values[i] as number));
  return out;
}
