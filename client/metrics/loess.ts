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
export function loess(x: readonly number[], y: readonly number[], span: number, surface: LoessSurface = "interpolate", cell = 0.2): number[] {
  const pts = x.map((xi, i) => ({ x: xi, y: y[i] as number })).filter((p) => !Number.isNaN(p.y)).sort((a, b) => a.x - b.x);
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
  const fits = vertices.map((v) => localFit(pts, q, span, v));
  return x.map((x0) => {
    // The cell holding x0 (a point on a cut belongs to the cell below it, as R descends).
    let k = vertices.findIndex((v) => x0 <= v);
    k = Math.max(1, k < 0 ? vertices.length - 1 : k);
    const v0 = vertices[k - 1] as number;
    const v1 = vertices[k] as number;
    const [g0, s0] = fits[k - 1] as [number, number];
    const [g1, s1] = fits[k] as [number, number];
    const h = (x0 - v0) / (v1 - v0);
    const phi0 = (1 - h) ** 2 * (1 + 2 * h);
    const phi1 = h ** 2 * (3 - 2 * h);
    const psi0 = h * (1 - h) ** 2;
    const psi1 = h ** 2 * (h - 1);
    return phi0 * g0 + phi1 * g1 + (psi0 * s0 + psi1 * s1) * (v1 - v0);
  });
}

type Row = [number, number, number];

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
  const [first, last] = span <= 1 ? [near.first, near.last] : [0, pts.length - 1];
  // Weighted normal equations of a + b t + c t^2 with t = (x - x0) / h.
  const s = [0, 0, 0, 0, 0];
  const r: Row = [0, 0, 0];
  for (let i = first; i <= last; i++) {
    const p = pts[i] as Point;
    const t = (p.x - x0) / h;
    const u = Math.abs(t);
    if (u >= 1) continue;
    // Tricube weight; cubes multiplied out (`**` with exponent 3 costs a hundred times more in V8).
    const c = 1 - u * u * u;
    const w = c * c * c;
    let tk = w;
    for (let k = 0; k < 5; k++) {
      s[k] = (s[k] as number) + tk;
      if (k < 3) r[k] = (r[k] as number) + tk * p.y;
      tk *= t;
    }
  }
  const [s0, s1, s2, s3, s4] = s as [number, number, number, number, number];
  const m: [Row, Row, Row] = [[s0, s1, s2], [s1, s2, s3], [s2, s3, s4]];
  const det = ([[a, b, c], [d, e, f], [g, i, j]]: [Row, Row, Row]) => a * (e * j - f * i) - b * (d * j - f * g) + c * (d * i - e * g);
  const d = det(m);
  // Cramer's rule: the systems are 3x3 and well scaled (t is within [-1, 1]).
  const value = det([[r[0], s1, s2], [r[1], s2, s3], [r[2], s3, s4]]) / d;
  const slope = det([[s0, r[0], s2], [s1, r[1], s3], [s2, r[2], s4]]) / d / h;
  return [value, slope];
}
