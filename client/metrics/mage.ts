// Mean amplitude of glycemic excursions, iglu 4.3.0's default algorithm (`mage(version = "ma")`,
// `mage_ma_single`; Fernandes et al., J Diabetes Sci Technol 2022): the readings on a 5-minute grid,
// the crossings of a short and a long moving average bracket each peak and nadir, and excursions
// larger than one SD are measured on the glucose values. Gaps over `maxGap` split the trace into
// segments whose MAGE values are averaged weighted by segment length.
import { dayGrid, type DayGrid } from "./dayGrid.js";
import type { LocalSeries } from "./localTime.js";
import { meanPresent, roundHalfEven, sdPresent } from "./stats.js";

export type MageDirection = "avg" | "service" | "max" | "plus" | "minus";

export interface MageOptions {
  /** Short moving average, in 5-minute readings (iglu 5). */
  shortMa: number;
  /** Long moving average (iglu 32). */
  longMa: number;
  /** iglu "avg": mean of MAGE+ (nadir to peak) and MAGE- (peak to nadir); "service" follows the first excursion. */
  direction: MageDirection;
  /** Minutes of missing data interpolated over (iglu `inter_gap`, 45). */
  interGap: number;
  /** A gap longer than this (minutes) starts a new segment (iglu `max_gap`, 180). */
  maxGap: number;
}
export const MAGE_DEFAULTS: MageOptions = { shortMa: 5, longMa: 32, direction: "avg", interGap: 45, maxGap: 180 };

/** MAGE always runs on a 5-minute grid (iglu `mage_ma_single`). */
export const MAGE_GRID_MINUTES = 5;

interface SegmentMage {
  /** Segment length in grid steps (its weight). */
  length: number;
  plus: number;
  minus: number;
  plusFirst: boolean;
  /** No excursion could be measured (too short, flat, all missing). */
  none: boolean;
}

/** MAGE in mg/dL, NaN when not computable (iglu NA). */
export function mage(readings: LocalSeries, options: Partial<MageOptions> = {}): number {
  const interGap = options.interGap ?? MAGE_DEFAULTS.interGap;
  return mageOfGrid(dayGrid(readings, { dt0: MAGE_GRID_MINUTES, interGap }), options);
}

/** MAGE on `dayGrid(readings, { dt0: 5, interGap })`, for a caller that already has that grid. */
export function mageOfGrid(grid: DayGrid | null, options: Partial<MageOptions> = {}): number {
  const o = { ...MAGE_DEFAULTS, ...options };
  if (!grid) return Number.NaN;
  let shortMa = roundHalfEven((o.shortMa * 5) / grid.dt0);
  let longMa = roundHalfEven((o.longMa * 5) / grid.dt0);
  if (shortMa >= longMa) [shortMa, longMa] = [longMa, shortMa];

  let firstValue = 0;
  while (firstValue < grid.values.length && Number.isNaN(grid.values[firstValue] as number)) firstValue++;
  let lastValue = grid.values.length - 1;
  while (lastValue >= 0 && Number.isNaN(grid.values[lastValue] as number)) lastValue--;
  if (firstValue === grid.values.length) return Number.NaN;
  const gl = grid.values.subarray(firstValue, lastValue + 1);
  if (gl.length < 7 || gl.length < longMa) return Number.NaN;

  const segments = splitAtGaps(gl, o.maxGap / grid.dt0).map((s) => segmentMage(s, shortMa, longMa));
  return combine(segments, o.direction);
}

/** Runs of data and the gaps longer than `maxSteps` between them, each gap a segment of its own (as iglu). */
function splitAtGaps(gl: Float64Array, maxSteps: number): Float64Array[] {
  const out: Float64Array[] = [];
  let from = 0;
  let i = 0;
  while (i < gl.length) {
    if (!Number.isNaN(gl[i] as number)) {
      i++;
      continue;
    }
    let end = i;
    while (end < gl.length && Number.isNaN(gl[end] as number)) end++;
    if (end - i > maxSteps) {
      if (i > from) out.push(gl.subarray(from, i));
      out.push(gl.subarray(i, end));
      from = end;
    }
    i = end;
  }
  if (from < gl.length) out.push(gl.subarray(from));
  return out;
}

/** Right-aligned moving means of `width` (NaN skipped); iglu fills the leading values with the first full window's mean. */
function movingAverage(gl: Float64Array, width: number): Float64Array {
  const out = new Float64Array(gl.length);
  for (let i = width - 1; i < gl.length; i++) out[i] = meanPresent(gl, i + 1 - width, width);
  out.fill(gl.length >= width ? (out[width - 1] as number) : Number.NaN, 0, Math.min(width - 1, gl.length));
  return out;
}

const isNa = (x: number | undefined) => x === undefined || Number.isNaN(x);

function allMissing(gl: Float64Array): boolean {
  for (let i = 0; i < gl.length; i++) if (!Number.isNaN(gl[i] as number)) return false;
  return true;
}

function segmentMage(gl: Float64Array, shortMa: number, longMa: number): SegmentMage {
  const none = { length: gl.length - 1, plus: Number.NaN, minus: Number.NaN, plusFirst: false, none: true };
  const n = gl.length;
  if (n < 7 || n < longMa || allMissing(gl)) return none;
  const sd = sdPresent(gl);
  if (sd < 1) return none;
  const short = movingAverage(gl, shortMa);
  const long = movingAverage(gl, longMa);
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = (short[i] as number) - (long[i] as number);

  // Crossings of the two averages, typed by the extremum each one closes (0 = nadir, 1 = peak).
  const crossAt: number[] = [0];
  const crossType: number[] = [(delta[0] as number) > 0 ? 1 : 0];
  for (let i = 1; i < n; i++) {
    const d = delta[i] as number;
    const prev = delta[i - 1] as number;
    if (isNa(gl[i]) || isNa(gl[i - 1]) || isNa(d) || isNa(prev)) continue;
    if (d * prev < 0) {
      crossAt.push(i);
      crossType.push(d < prev ? 0 : 1);
    } else {
      // After missing values the sign is compared with the last crossing's.
      const lastDelta = delta[crossAt[crossAt.length - 1] as number] as number;
      if (d * lastDelta < 0) {
        crossAt.push(i);
        crossType.push(d < lastDelta ? 0 : 1);
      }
    }
  }
  crossAt.push(n - 1);
  crossType.push((delta[n - 1] as number) > 0 ? 1 : 0);

  // The extremum between consecutive crossings (from the previous extremum on).
  const extrema: number[] = [];
  const at: number[] = [];
  for (let i = 0; i < crossAt.length - 1; i++) {
    const s1 = i === 0 ? (crossAt[0] as number) : (at[i - 1] as number);
    const s2 = crossAt[i + 1] as number;
    let best = Number.NaN;
    let bestAt = s1;
    for (let k = s1; k <= s2; k++) {
      const v = gl[k] as number;
      if (Number.isNaN(v)) continue;
      if (Number.isNaN(best) || (crossType[i] === 0 ? v < best : v > best)) {
        best = v;
        bestAt = k;
      }
    }
    extrema.push(best);
    at.push(bestAt);
  }

  const plus = excursions(extrema, sd, 1);
  const minus = excursions(extrema, sd, -1);
  if (plus.heights.length === 0 && minus.heights.length === 0) return none;
  const plusFirst =
    plus.heights.length > 0 &&
    (minus.heights.length === 0 || (plus.firstEnd as number) <= (minus.firstStart as number));
  return {
    length: n - 1,
    plus: plus.heights.length > 0 ? meanPresent(plus.heights) : Number.NaN,
    minus: minus.heights.length > 0 ? Math.abs(meanPresent(minus.heights)) : Number.NaN,
    plusFirst,
    none: false,
  };
}

/**
 * iglu's excursion elimination, one direction at a time (sign 1: nadir to peak, -1: peak to nadir):
 * an excursion counts when it rises (falls) by at least one SD and is followed by a fall (rise) of
 * more than one SD or by the end of the segment.
 */
function excursions(
  m: readonly number[],
  sd: number,
  sign: 1 | -1,
): { heights: number[]; firstStart?: number; firstEnd?: number } {
  const N = m.length;
  const heights: number[] = [];
  let firstStart: number | undefined;
  let firstEnd: number | undefined;
  let j = 0;
  let prevJ = 0;
  while (j < N) {
    // The lowest (highest) extremum from prevJ to j, the first one on ties.
    let i = prevJ;
    for (let x = prevJ; x <= j; x++)
      if (sign * ((m[j] as number) - (m[x] as number)) > sign * ((m[j] as number) - (m[i] as number))) i = x;
    if (sign * ((m[j] as number) - (m[i] as number)) >= sd) {
      const from = j;
      for (let k = from; k < N; k++) {
        if (sign * (m[k] as number) > sign * (m[j] as number)) j = k;
        if (sign * ((m[k] as number) - (m[j] as number)) < -sd || k === N - 1) {
          heights.push((m[j] as number) - (m[i] as number));
          if (firstStart === undefined) {
            firstStart = i;
            firstEnd = j;
          }
          prevJ = sign === 1 ? k : j;
          j = k;
          break;
        }
      }
    } else {
      j++;
    }
  }
  return { heights, ...(firstStart === undefined ? {} : { firstStart, firstEnd }) };
}

function combine(segments: readonly SegmentMage[], direction: MageDirection): number {
  const rows: { length: number; mage: number }[] = [];
  for (const s of segments) {
    if (direction === "avg") {
      if (!s.none) {
        if (!Number.isNaN(s.plus)) rows.push({ length: s.length, mage: s.plus });
        if (!Number.isNaN(s.minus)) rows.push({ length: s.length, mage: s.minus });
      }
    } else if (direction === "service") {
      if (!s.none) rows.push({ length: s.length, mage: s.plusFirst ? s.plus : s.minus });
    } else if (direction === "max") {
      // iglu keeps the rows equal to a segment's larger direction (both on a tie); a segment with a
      // direction missing drops out.
      if (s.none || Number.isNaN(s.plus) || Number.isNaN(s.minus)) continue;
      const top = Math.max(s.plus, s.minus);
      for (const v of [s.plus, s.minus]) if (v === top) rows.push({ length: s.length, mage: v });
    } else if (!s.none) {
      rows.push({ length: s.length, mage: direction === "plus" ? s.plus : s.minus });
    }
  }
  if (rows.length === 0) return Number.NaN;
  const total = rows.reduce((t, r) => t + r.length, 0);
  return rows.reduce((t, r) => t + r.mage * (r.length / total), 0);
}
