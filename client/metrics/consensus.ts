// The 2019 international consensus CGM metrics (Battelino et al., Diabetes Care 2019;42:1593) plus GRI.
// Conventions are pinned here and in docs/metrics.md; `IGLU_OPTIONS` reproduces iglu 4.3.0.
import { cgmActive } from "./cgmActive.js";
import { glycemiaRiskIndex, type Gri } from "./gri.js";
import { permute, stableOrder, type GlucoseSample } from "./localTime.js";
import { column, quantileSorted, sortedCopy } from "./stats.js";

export type { GlucoseSample } from "./localTime.js";

export interface MetricsOptions {
  /**
   * "count": every reading weighs the same (consensus wording "% of readings", iglu, Tidepool viz).
   * "time": a reading weighs the time until the next one, capped at `maxWeightMinutes`; the last one
   * weighs the sampling interval. Use it when sampling is irregular (e.g. 15-minute stretches).
   */
  weighting: "count" | "time";
  /** "sample" divides by n - 1 (iglu, Tidepool viz), "population" by n (Tidepool server summaries). */
  sd: "sample" | "population";
  /** Expected sampling interval in minutes; by default the median spacing rounded (iglu's `dt0`). */
  intervalMinutes?: number;
  /** Time weighting only: longest stretch one reading may stand for. */
  maxWeightMinutes: number;
}

/** Steward's defaults: count-weighted, sample SD, iglu's gap rule. Identical to iglu's choices. */
export const DEFAULT_OPTIONS: MetricsOptions = { weighting: "count", sd: "sample", maxWeightMinutes: 15 };
/** Settings that reproduce iglu 4.3.0 (`mean_glu`, `sd_glu`, `active_percent`, `in_range_percent`, `gri`...). */
export const IGLU_OPTIONS: MetricsOptions = { weighting: "count", sd: "sample", maxWeightMinutes: 15 };

export interface ConsensusMetrics {
  readings: number;
  start: number;
  end: number;
  /** First to last reading, in days. */
  days: number;
  /** % time CGM active (0-100), iglu's gap rule. */
  activePercent: number;
  mean: number;
  sd: number;
  /** %CV = 100 x SD / mean. */
  cv: number;
  /** GMI (%) = 3.31 + 0.02392 x mean mg/dL (Bergenstal 2018). */
  gmi: number;
  /** Count-based R type-7 quantiles of the readings. */
  percentiles: { p0: number; p5: number; p25: number; p50: number; p75: number; p95: number; p100: number };
  /** Percentages 0-100: 70 <= g <= 180 (both inclusive). */
  inRange70to180: number;
  /** 70 <= g <= 140 (time in tight range, 2023 consensus). */
  inRange70to140: number;
  /** g < 54 (TBR level 2). */
  below54: number;
  /** g < 70 (TBR, includes < 54). */
  below70: number;
  /** g > 180 (TAR, includes > 250). */
  above180: number;
  /** g > 250 (TAR level 2). */
  above250: number;
  gri: Gri;
}

/** Metrics of the samples (any order); null when there are none. */
export function consensusMetrics(
  samples: readonly GlucoseSample[],
  options: MetricsOptions = DEFAULT_OPTIONS,
): ConsensusMetrics | null {
  return consensusOfReadings(
    byTime(
      column(samples, (s) => s.time),
      column(samples, (s) => s.mgdl),
    ),
    options,
  );
}

/** Readings as columns in UTC order, ties in the order given. */
export interface TimeOrdered {
  readonly time: Float64Array;
  readonly mgdl: Float64Array;
}

/** The columns in UTC order (stable); the same arrays when they already are. */
export function byTime(time: Float64Array, mgdl: Float64Array): TimeOrdered {
  const order = stableOrder(time);
  return order ? { time: permute(time, order), mgdl: permute(mgdl, order) } : { time, mgdl };
}

/** Metrics of readings already in time order; `sorted` (the values ascending) when the caller has it. */
export function consensusOfReadings(
  readings: TimeOrdered,
  options: MetricsOptions = DEFAULT_OPTIONS,
  sorted?: Float64Array,
): ConsensusMetrics | null {
  const { time: times, mgdl } = readings;
  const n = times.length;
  if (n === 0) return null;
  const active = cgmActive(times, options.intervalMinutes);
  // Count weighting gives every reading weight 1 (no array needed).
  const weights =
    options.weighting === "count" ? null : timeWeights(times, active.intervalMinutes, options.maxWeightMinutes);

  let total = 0;
  let sum = 0;
  // The bands nest, so each reading adds to the shares it falls in.
  let w54 = 0;
  let w70 = 0;
  let w140 = 0;
  let w180 = 0;
  let wAbove180 = 0;
  let w250 = 0;
  for (let i = 0; i < n; i++) {
    const g = mgdl[i] as number;
    const w = weights === null ? 1 : (weights[i] as number);
    total += w;
    sum += w * g;
    if (g < 54) w54 += w;
    if (g < 70) w70 += w;
    else if (g <= 140) w140 += w;
    if (g >= 70 && g <= 180) w180 += w;
    if (g > 180) wAbove180 += w;
    if (g > 250) w250 += w;
  }
  const mean = sum / total;
  let squares = 0;
  for (let i = 0; i < n; i++)
    squares += (weights === null ? 1 : (weights[i] as number)) * ((mgdl[i] as number) - mean) ** 2;
  // Bessel's correction on the weighted variance uses the reading count, so both weightings agree on regular data.
  const variance = (squares / total) * (options.sd === "sample" ? (n > 1 ? n / (n - 1) : Number.NaN) : 1);
  const sd = Math.sqrt(variance);

  const pct = (w: number) => (w / total) * 100;
  const below54 = pct(w54);
  const below70 = pct(w70);
  const above180 = pct(wAbove180);
  const above250 = pct(w250);

  const values = sorted ?? sortedCopy(mgdl);
  const q = (p: number) => quantileSorted(values, p);
  return {
    readings: n,
    start: times[0] as number,
    end: times[n - 1] as number,
    days: active.days,
    activePercent: active.percent,
    mean,
    sd,
    cv: (100 * sd) / mean,
    gmi: 3.31 + 0.02392 * mean,
    percentiles: { p0: q(0), p5: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95), p100: q(1) },
    inRange70to180: pct(w180),
    inRange70to140: pct(w140),
    below54,
    below70,
    above180,
    above250,
    gri: glycemiaRiskIndex({ below54, below70, above180, above250 }),
  };
}

function timeWeights(times: Float64Array, intervalMinutes: number, maxWeightMinutes: number): Float64Array {
  const cap = maxWeightMinutes * 60_000;
  return column(times, (t, i) =>
    i + 1 < times.length ? Math.min((times[i + 1] as number) - t, cap) : intervalMinutes * 60_000,
  );
}
