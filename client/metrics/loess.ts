// One-predictor loess (Cleveland & Grosse 1991) as R's `loess()` computes it with its defaults
// (degree 2, gaussian family, `surface = "interpolate"`, `cell = 0.2`): a weighted quadratic fit over
// the nearest floor(n x span) points with tricube weights, evaluated exactly at the vertices of a
// k-d tree (cells of at most floor(n x span x cell) points, split at the median point) and blended
// between vertices by cubic Hermite interpolation of the fitted values and slopes. "direct"
// evaluates the local fit at every point instead.

export type LoessSurface = "interpolate" | "direct";

interface Point {
  x: number;
  y: number;
}

/** Fitted values at each `x`; NaN values in `y` are left out of the fits. */
export function loess(
  x: readonly number[],
  y: readonly number[],
  span: number,
  surface: LoessSurface = "interpolate",
  cell = 0.2,
): number[] {
  const pts = x
    .map((xi, i) => ({ x: xi, y: y[i] as number }))
    .filter((p) => !Number.isNaN(p.y))
    .sort((a, b) => a.x - b.x);
  const n = pts.length;
  // R: nf = min(n, floor(n * span + 1e-5)).
  const q = Math.min(n, Math.floor(n * span + 1e-5));
  if (n === 0 || q < 3) return x.map(() => Number.NaN);
  if (surface === "direct") return x.map((x0) => localFit(pts, q, span, x0)[0]);

  const lo = pts[0]?.x as number;
  const hi = pts[n - 1]?.x as number;
  // The bounding box, widened a little as R does.
  const margin = 0.005 * Math.max(hi - lo, 1e-10 * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-30);
  const cuts = [lo - margin, hi + margin];
  const fc = Math.floor(n * span * cell);
  // Cells [l, u] of points (1-based) between the vertices `lower` and `upper`.
  const split = (l: number, u: number, lower: number, upper: number) => {
    if (u - l + 1 <= fc) return;
    const m = Math.floor((l + u) / 2);
    const at = pts[m - 1]?.x as number;
    // A median on the cell's own edge makes it a leaf, as in R (ehg124); with fewer than 17 points
    // (fc = 0) that is what ends the splitting, at one point per cell.
    if (at === lower || at === upper) return;
    cuts.push(at);
    split(l, m, lower, at);
    split(m + 1, u, at, upper);
  };
  split(1, n, lo - margin, hi + margin);
  const vertices = [...new Set(cuts)].sort((a, b) => a - b);
  const values = new Float64Array(vertices.length);
  const slopes = new Float64Array(vertices.length);
  for (let k = 0; k < vertices.length; k++) {
    const fit = localFit(pts, q, span, vertices[k] as number);
    values[k] = fit[0];
    slopes[k] = fit[1];
  }
  let k = 0;
  return x.map((x0) => {
    // The cell holding x0 (a point on a cut belongs to the cell below it, as R descends); the x
    // usually ascend, so the search goes on from the last cell.
    if (k > 0 && x0 <= (vertices[k - 1] as number)) k = 0;
    while (k < vertices.length && x0 > (vertices[k] as number)) k++;
    const cell = Math.max(1, k === vertices.length ? vertices.length - 1 : k);
    const v0 = vertices[cell - 1] as number;
    const v1 = vertices[cell] as number;
    const g0 = values[cell - 1] as number;
    const s0 = slopes[cell - 1] as number;
    const g1 = values[cell] as number;
    const s1 = slopes[cell] as number;
    const h = (x0 - v0) / (v1 - v0);
    const phi0 = (1 - h) ** 2 * (1 + 2 * h);
    const phi1 = h ** 2 * (3 - 2 * h);
    const psi0 = h * (1 - h) ** 2;
    const psi1 = h ** 2 * (h - 1);
    return phi0 * g0 + phi1 * g1 + (psi0 * s0 + psi1 * s1) * (v1 - v0);
  });
}

/**
 * The q points nearest x0 (indices `first..last`) and the distance to the farthest of them: the
 * points are sorted, so walk outwards from x0.
 */
function nearest(pts: readonly Point[], q: number, x0: number): { distance: number; first: number; last: number } {
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if ((pts[m] as Point).x < x0) lo = m + 1;
    else hi = m;
  }
  let left = lo - 1;
  let right = lo;
  let d = 0;
  for (let k = 0; k < q; k++) {
    const dl = left >= 0 ? Math.abs((pts[left] as Point).x - x0) : Number.POSITIVE_INFINITY;
    const dr = right < pts.length ? Math.abs((pts[right] as Point).x - x0) : Number.POSITIVE_INFINITY;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
  }
  return { distance: d, first: left + 1, last: right - 1 };
}

/** The local quadratic fit at x0: its value and slope there. */
function localFit(pts: readonly Point[], q: number, span: number, x0: number): [number, number] {
  const near = nearest(pts, q, x0);
  // Beyond all points (span > 1) the neighbourhood widens with span, as R does in one dimension.
  const h = near.distance * Math.max(1, span);
  // Only points closer than h weigh anything: with span <= 1 those are among the q nearest.
  const first = span <= 1 ? near.first : 0;
  const last = span <= 1 ? near.last : pts.length - 1;
  // Weighted normal equations of a + b t + c t^2 with t = (x - x0) / h, in scalars: a report runs
  // this once, before V8 has optimised it, and arrays and destructuring cost most there.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  for (let i = first; i <= last; i++) {
    const p = pts[i] as Point;
    const t = (p.x - x0) / h;
    const u = Math.abs(t);
    if (u >= 1) continue;
    // Tricube weight; cubes multiplied out (`**` with exponent 3 costs a hundred times more in V8).
    const c = 1 - u * u * u;
    const w = c * c * c;
    const wt = w * t;
    const wt2 = wt * t;
    const wt3 = wt2 * t;
    s0 += w;
    r0 += w * p.y;
    s1 += wt;
    r1 += wt * p.y;
    s2 += wt2;
    r2 += wt2 * p.y;
    s3 += wt3;
    s4 += wt3 * t;
  }
  const d = det(s0, s1, s2, s1, s2, s3, s2, s3, s4);
  // Cramer's rule: the systems are 3x3 and well scaled (t is within [-1, 1]).
  const value = det(r0, s1, s2, r1, s2, s3, r2, s3, s4) / d;
  const slope = det(s0, r0, s2, s1, r1, s3, s2, r2, s4) / d / h;
  return [value, slope];
}

/** The determinant of the 3x3 matrix with rows (a, b, c), (d, e, f), (g, i, j). */
function det(
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
  g: number,
  i: number,
  j: number,
): number {
  return a * (e * j - f * i) - b * (d * j - f * g) + c * (d * i - e * g);
}
