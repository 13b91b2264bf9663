// Glycemia Risk Index (Klonoff et al., J Diabetes Sci Technol 2023), as iglu `gri()` computes it.

export interface GriInput {
  /** Percentages (0-100) of readings or time in each band; the bands nest as the consensus defines them. */
  below54: number;
  below70: number;
  above180: number;
  above250: number;
}

export interface Gri {
  /** 0-100, higher is worse. */
  gri: number;
  /** VLow + 0.8 x Low. */
  hypoComponent: number;
  /** VHigh + 0.5 x High. */
  hyperComponent: number;
}

/** GRI = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High, capped at 100 (Low = 54-69, High = 181-250). */
export function glycemiaRiskIndex(p: GriInput): Gri {
  const vLow = p.below54;
  const low = p.below70 - p.below54;
  const vHigh = p.above250;
  const high = p.above180 - p.above250;
  return {
    gri: Math.min(100, 3.0 * vLow + 2.4 * low + 1.6 * vHigh + 0.8 * high),
    hypoComponent: vLow + 0.8 * low,
    hyperComponent: vHigh + 0.5 * high,
  };
}

/** GRI of readings (count-based bands, as iglu `gri`). */
export function griOfReadings(mgdl: ArrayLike<number>): Gri {
  const pct = (test: (g: number) => boolean) => {
    let n = 0;
    for (let i = 0; i < mgdl.length; i++) if (test(mgdl[i] as number)) n++;
    return (n / mgdl.length) * 100;
  };
  return glycemiaRiskIndex({
    below54: pct((g) => g < 54),
    below70: pct((g) => g < 70),
    above180: pct((g) => g > 180),
    above250: pct((g) => g > 250),
  });
}

/** GRI zones A (lowest risk) to E, by quintile of the 0-100 scale (Klonoff 2023, Figure 3). */
export type GriZone = "A" | "B" | "C" | "D" | "E";

export function griZone(gri: number): GriZone {
  if (gri <= 20) return "A";
  if (gri <= 40) return "B";
  if (gri <= 60) return "C";
  if (gri <= 80) return "D";
  return "E";
}
