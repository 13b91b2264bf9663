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
