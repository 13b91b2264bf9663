// Variability metrics computed on iglu's day-by-day grid (`CGMS2DayByDay`), each ported from the
// iglu 4.3.0 function named in its comment. NaN means "not computable" (iglu's NA).
import { type DayGrid, gridColumn, gridRow } from "./dayGrid.js";
import { lagDiff, meanPresent, present, roundHalfEven, sdPresent } from "./stats.js";

/** iglu `modd(lag = 1)`: mean |difference| between the same time of day `lagDays` apart. */
export function modd(grid: DayGrid, lagDays = 1): number {
  return meanPresent(lagDiff(grid.values, lagDays * grid.perDay).map(Math.abs));
}

/** iglu `conga(n)`: SD of the differences between readings `hours` apart. */
export function conga(grid: DayGrid, hours: number): number {
  return sdPresent(lagDiff(grid.values, roundHalfEven(60 / grid.dt0) * hours));
}

/** iglu `gvp`: % by which the trace is longer than a flat line over the same time. */
export function gvp(grid: DayGrid): number {
  let added = 0;
  let steps = 0;
  for (const d of lagDiff(grid.values, 1)) {
    if (Number.isNaN(d)) continue;
    added += Math.sqrt(grid.dt0 ** 2 + d ** 2);
    steps++;
  }
  return (added / (steps * grid.dt0) - 1) * 100;
}

/**
 * iglu `mag(n)`: mean absolute glucose change per hour, from grid values `n` minutes apart
 * (n defaults to the grid step; iglu rounds it to a multiple of the step, never below it).
 */
export function mag(grid: DayGrid, n?: number): number {
  let minutes = n === undefined ? grid.dt0 : roundHalfEven(n);
  if (minutes < grid.dt0) minutes = grid.dt0;
  else if (minutes % grid.dt0 !== 0) minutes = roundHalfEven(minutes / grid.dt0) * grid.dt0;
  const step = minutes / grid.dt0;
  const picked: number[] = [];
  for (let i = 0; i < grid.values.length; i += step) picked.push(grid.values[i] as number);
  const diffs = present(lagDiff(picked, 1));
  return diffs.reduce((s, d) => s + Math.abs(d), 0) / (diffs.length * (minutes / 60));
}

/**
 * iglu `auc`: hourly average area under the interpolated curve (mg/dL). Ported as iglu computes it:
 * grid values are labelled with the dates recycled along the row-major grid (R's `rep(dates, ...)`),
 * trapezoids join consecutive values of one label, and the result is the total area over the total
 * hours of all trapezoids (dplyr's `reframe` drops the grouping before the final summary).
 */
export function auc(grid: DayGrid): number {
  const ndays = grid.dates.length;
  const h = grid.dt0 / 60;
  let area = 0;
  let pieces = 0;
  for (let label = 0; label < ndays; label++) {
    for (let i = label; i + ndays < grid.values.length; i += ndays) {
      const piece = (h * ((grid.values[i + ndays] as number) + (grid.values[i] as number))) / 2;
      if (Number.isNaN(piece)) continue;
      area += piece;
      pieces++;
    }
  }
  return area / (h * pieces);
}

export interface SdMeasures {
  /** Mean of the daily SDs (within days). */
  sdWithinDays: number;
  /** SD of the mean profile across times of day. */
  sdBetweenTimePoints: number;
  /** Mean SD within one-hour windows of the series. */
  sdWithinSeries1h: number;
  /** SD of the daily means. */
  sdDailyMeans: number;
  /** Mean over times of day of the SD across days (between days). */
  sdBetweenDays: number;
  /** As `sdBetweenDays`, each day first corrected for its mean. */
  sdBetweenDaysDailyMeanCorrected: number;
}

/** iglu `sd_measures` (SdW, SdHHMM, SdWSH, SdDM, SdB, SdBDM), Rodbard 2009. */
export function sdMeasures(grid: DayGrid): SdMeasures {
  const days = grid.dates.map((_, d) => gridRow(grid, d));
  const columns = Array.from({ length: grid.perDay }, (_, k) => gridColumn(grid, k));
  const dayMeans = days.map(meanPresent);
  const win = roundHalfEven(60 / grid.dt0);
  const windows: number[] = [];
  for (let i = 0; i + win <= grid.values.length; i++) windows.push(sdPresent(grid.values.slice(i, i + win)));
  return {
    sdWithinDays: meanPresent(days.map(sdPresent)),
    sdBetweenTimePoints: sdPresent(columns.map(meanPresent)),
    sdWithinSeries1h: meanPresent(windows),
    sdDailyMeans: sdPresent(dayMeans),
    sdBetweenDays: meanPresent(columns.map(sdPresent)),
    sdBetweenDaysDailyMeanCorrected: meanPresent(columns.map((col) => sdPresent(col.map((v, d) => v - (dayMeans[d] as number))))),
  };
}

/** iglu `cv_measures`: mean and SD of the daily CVs (%). */
export function cvMeasures(grid: DayGrid): { cvMean: number; cvSd: number } {
  const cvs = grid.dates.map((_, d) => {
    const row = gridRow(grid, d);
    return (sdPresent(row) / meanPresent(row)) * 100;
  });
  return { cvMean: meanPresent(cvs), cvSd: sdPresent(cvs) };
}
