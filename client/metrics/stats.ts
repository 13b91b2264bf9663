// Small numeric helpers shared by the metrics, written to match R because iglu is the reference.
// "Missing" is NaN throughout (R's NA): the `...Present` helpers skip it as R's `na.rm = TRUE` does.
// They read `count` values from `start`, `stride` apart, so a grid's rows, columns and windows are
// summarised in place; sums run in index order, as R's do.

type Values = ArrayLike<number>;

/** Quantile of an ascending-sorted array by linear interpolation (R's default `type = 7`, also numpy's and d3's). */
export function quantileSorted(sorted: Values, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Round half to even, as R's `round()` does (iglu's gap arithmetic depends on it: round(2.5) is 2). */
export function roundHalfEven(x: number): number {
  // Math.round takes halves up; `r - x` is exact, so it is 0.5 exactly on a half.
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `f` of every item as a column (`Float64Array.from` with a map function is many times slower). */
export function column<T>(items: ArrayLike<T>, f: (item: T, index: number) => number): Float64Array {
  const out = new Float64Array(items.length);
  for (let i = 0; i < out.length; i++) out[i] = f(items[i] as T, i);
  return out;
}

/**
 * `f` remembered for whole numbers 0..1023: CGM readings are whole mg/dL, so a trace of 100 000
 * readings asks for a few hundred values of each logarithm and power. Anything else is computed.
 */
export function remembered(f: (g: number) => number): (g: number) => number {
  const known = new Uint8Array(1024);
  const table = new Float64Array(1024);
  return (g) => {
    if (!(g >= 0 && g < 1024 && Number.isInteger(g))) return f(g);
    if (known[g] === 0) {
      table[g] = f(g);
      known[g] = 1;
    }
    return table[g] as number;
  };
}

/** The values ascending, as a new array (numeric order; the input has no NaN). */
export function sortedCopy(values: Values): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let whole = true;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    out[i] = v;
    whole &&= Number.isInteger(v);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // Whole mg/dL in a span of a few hundred (what CGMs report) sort by counting, in linear time.
  if (n === 0 || !whole || max - min > 4096) return out.sort();
  const counts = new Uint32Array(max - min + 1);
  for (let i = 0; i < n; i++) {
    const bin = (out[i] as number) - min;
    counts[bin] = (counts[bin] as number) + 1;
  }
  for (let v = 0, k = 0; v < counts.length; v++) for (let c = counts[v] as number; c > 0; c--) out[k++] = v + min;
  return out;
}

/** R's `median` (type-7 quantile at 0.5), found by selection rather than a full sort. */
export function median(values: Values): number {
  const work = new Float64Array(values.length);
  for (let i = 0; i < work.length; i++) work[i] = values[i] as number;
  return medianInPlace(work);
}

/** As `median`, reordering `work` (a scratch array the caller owns) instead of copying it. */
export function medianInPlace(work: Float64Array): number {
  const n = work.length;
  if (n === 0) return Number.NaN;
  const lo = (n - 1) >> 1;
  const a = select(work, lo);
  if (n % 2 === 1) return a;
  // Everything right of `lo` is now at least `a`: the next order statistic is its minimum.
  let b = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < n; i++) b = Math.min(b, work[i] as number);
  return a + 0.5 * (b - a);
}

/**
 * Moves the k-th smallest value to index k, smaller ones before it and larger ones after (Hoare's
 * selection, median-of-three pivots); a range that stops shrinking is sorted instead.
 */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  for (let round = 0; right > left; round++) {
    if (round > 100) {
      a.subarray(left, right + 1).sort();
      break;
    }
    const mid = (left + right) >> 1;
    const [x, y, z] = [a[left] as number, a[mid] as number, a[right] as number];
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i++] = a[j] as number;
        a[j--] = t;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k] as number;
}

/** R's `mean(x, na.rm = TRUE)`: NaN when nothing is left. */
export function meanPresent(values: Values, start = 0, count = values.length - start, stride = 1): number {
  let sum = 0;
  let n = 0;
  for (let k = 0, i = start; k < count; k++, i += stride) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** R's `sd(x, na.rm = TRUE)`: the sample SD (n - 1), NaN below two values. */
export function sdPresent(values: Values, start = 0, count = values.length - start, stride = 1): number {
  const m = meanPresent(values, start, count, stride);
  let squares = 0;
  let n = 0;
  for (let k = 0, i = start; k < count; k++, i += stride) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    squares += (v - m) ** 2;
    n++;
  }
  return n < 2 ? Number.NaN : Math.sqrt(squares / (n - 1));
}

/** R's `diff(x, lag)`: x[i + lag] - x[i]; NaN in, NaN out. */
export function lagDiff(values: Values, lag: number): Float64Array {
  const out = new Float64Array(Math.max(0, values.length - lag));
  for (let i = 0; i < out.length; i++) out[i] = (values[i + lag] as number) - (values[i] as number);
  return out;
}
