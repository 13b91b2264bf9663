// One-predictor loess (Cleveland & Grosse 1991), degree 2, gaussian family, evaluated exactly at
// every point (R's `loess(..., surface = "direct")`): a weighted quadratic fit around each x over the
// nearest floor(n x span) points with tricube weights.

/** Fitted values at each `x` (ascending or not); NaN values in `y` are left out of the fits. */
export function loess(x: readonly number[], y: readonly number[], span: number): number[] {
  const pts = x.map((xi, i) => ({ x: xi, y: y[i] as number })).filter((p) => !Number.isNaN(p.y));
  const n = pts.length;
  const q = Math.floor(n * span);
  if (n === 0 || q < 3) return x.map(() => Number.NaN);
  return x.map((x0) => {
    const dist = pts.map((p) => Math.abs(p.x - x0)).sort((a, b) => a - b);
    // Beyond all points (span > 1) the neighbourhood widens by span, as R does in one dimension.
    const h = q <= n ? (dist[q - 1] as number) : (dist[n - 1] as number) * span;
    // Weighted normal equations of a + b t + c t^2 with t = (x - x0) / h.
    const s = [0, 0, 0, 0, 0];
    const r: Row = [0, 0, 0];
    for (const p of pts) {
      const t = (p.x - x0) / h;
      const u = Math.abs(t);
      if (u >= 1) continue;
      const w = (1 - u ** 3) ** 3;
      let tk = w;
      for (let k = 0; k < 5; k++) {
        s[k] = (s[k] as number) + tk;
        if (k < 3) r[k] = (r[k] as number) + tk * p.y;
        tk *= t;
      }
    }
    const [s0, s1, s2, s3, s4] = s as [number, number, number, number, number];
    return solve3([[s0, s1, s2], [s1, s2, s3], [s2, s3, s4]], r);
  });
}

type Row = [number, number, number];

/** The first unknown of a 3x3 system (Cramer's rule; the systems here are small and well scaled). */
function solve3(m: [Row, Row, Row], r: Row): number {
  const det = ([[a, b, c], [d, e, f], [g, h, i]]: [Row, Row, Row]) => a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return det([[r[0], m[0][1], m[0][2]], [r[1], m[1][1], m[1][2]], [r[2], m[2][1], m[2][2]]]) / det(m);
}
