// Variability metrics computed on iglu's day-by-day grid (`CGMS2DayByDay`), each ported from the
// iglu 4.3.0 function named in its comment. NaN means "not computable" (iglu's NA).
import type { DayGrid } from "./dayGrid.js";
import { lazy } from "./lazy.js";
import { column, lagDiff, meanPresent, roundHalfEven, sdPresent } from "./stats.js";

/** iglu `modd(lag = 1)`: mean |difference| between the same time of day `lagDays` apart. */
export function modd(grid: DayGrid, lagDays = 1): number {
  const diffs = lagDiff(grid.values, lagDays * grid.perDay);
  for (let i = 0; i < diffs.length; i++) diffs[i] = Math.abs(diffs[i] as number);
  return meanPresent(diffs);
}

/** iglu `conga(n)`: SD of the differences between readings `hours` apart. */
export function conga(grid: DayGrid, hours: number): number {
  return sdPresent(lagDiff(grid.values, roundHalfEven(60 / grid.dt0) * hours));
}

/** iglu `gvp`: % by which the trace is longer than a flat line over the same time. */
export function gvp(grid: DayGrid): number {
  let added = 0;
  let steps = 0;
  const g = grid.values;
  for (let i = 0; i + 1 < g.length; i++) {
    const d = (g[i + 1] as number) - (g[i] as number);
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
  let sum = 0;
  let count = 0;
  for (let i = step; i < grid.values.length; i += step) {
    const d = (grid.values[i] as number) - (grid.values[i - step] as number);
    if (Number.isNaN(d)) continue;
    sum += Math.abs(d);
    count++;
  }
  return sum / (count * (minutes / 60));
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

/**
 * iglu `sd_measures` (SdW, SdHHMM, SdWSH, SdDM, SdB, SdBDM), Rodbard 2009. Each measure is computed
 * when first read: a report shows two, and the one-hour windows (an SD at every grid point) are
 * most of the work.
 */
export function sdMeasures(grid: DayGrid): SdMeasures {
  const { values, perDay, dates } = grid;
  const ndays = dates.length;
  const times = new Float64Array(perDay);
  const ofDays = (f: typeof meanPresent) => column(dates, (_, d) => f(values, d * perDay, perDay));
  const ofTimes = (f: (k: number) => number) => column(times, (_, k) => f(k));
  let dayMeans: Float64Array | undefined;
  const meansOfDays = () => (dayMeans ??= ofDays(meanPresent));
  const sd = {} as SdMeasures;
  lazy(sd, "sdWithinDays", () => meanPresent(ofDays(sdPresent)));
  lazy(sd, "sdBetweenTimePoints", () => sdPresent(ofTimes((k) => meanPresent(values, k, ndays, perDay))));
  lazy(sd, "sdWithinSeries1h", () => {
    const win = roundHalfEven(60 / grid.dt0);
    const windows = new Float64Array(Math.max(0, values.length - win + 1));
    for (let i = 0; i < windows.length; i++) windows[i] = sdPresent(values, i, win);
    return meanPresent(windows);
  });
  lazy(sd, "sdDailyMeans", () => sdPresent(meansOfDays()));
  lazy(sd, "sdBetweenDays", () => meanPresent(ofTimes((k) => sdPresent(values, k, ndays, perDay))));
  lazy(sd, "sdBetweenDaysDailyMeanCorrected", () => {
    const means = meansOfDays();
    const corrected = new Float64Array(ndays);
    return meanPresent(
      ofTimes((k) => {
        for (let d = 0; d < ndays; d++) corrected[d] = (values[d * perDay + k] as number) - (means[d] as number);
        return sdPresent(corrected);
      }),
    );
  });
  return sd;
}

/** iglu `cv_measures`: mean and SD of the daily CVs (%). */
export function cvMeasures(grid: DayGrid): { cvMean: number; cvSd: number } {
  const cvs = column(
    grid.dates,
    (_, d) =>
      (sdPresent(grid.values, d * grid.perDay, grid.perDay) / meanPresent(grid.values, d * grid.perDay, grid.perDay)) *
      100,
  );
  return { cvMean: meanPresent(cvs), cvSd: sdPresent(cvs) };
}
