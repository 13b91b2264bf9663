// Risk metrics computed on the readings themselves (no grid), each ported from the iglu 4.3.0
// function named beside it. They share one pass over the readings (plus one for the SD); each sum
// still runs in reading order, as iglu's does, so fusing them changes no digit.
import { quantileSorted, remembered } from "./stats.js";

type Values = ArrayLike<number>;

export interface Grade {
  /** Mean GRADE score (iglu `grade`). */
  grade: number;
  /** % of the GRADE score from readings in 70-140 (iglu `grade_eugly`). */
  euglycemia: number;
  /** % from readings above 140 (iglu `grade_hyper`). */
  hyperglycemia: number;
  /** % from readings below 80 (iglu `grade_hypo`). */
  hypoglycemia: number;
}

export interface Risk {
  jIndex: number;
  lbgi: number;
  hbgi: number;
  adrr: number;
  mValue: number;
  hypoIndex: number;
  hyperIndex: number;
  igc: number;
  grade: Grade;
  /** 0-100. */
  cogi: number;
  /** Estimated A1C, % (ADAG). */
  eA1c: number;
}

/** The Kovatchev risk transform f(g) = ln(g)^1.084 - 5.381 (iglu `lbgi`, `hbgi`, `adrr`). */
const bgRisk = remembered((g) => Math.log(g) ** 1.084 - 5.381);
/** iglu `m_value(r = 90)` term: 1000 x |log10(g / 90)|^3. */
const mTerm = remembered((g) => 1000 * Math.abs(Math.log10(g / 90)) ** 3);
/** iglu `hyper_index(ULTR = 140, a = 1.1)` and `hypo_index(LLTR = 80, b = 2)` terms. */
const hyperTerm = remembered((g) => (g - 140) ** 1.1);
const hypoTerm = remembered((g) => (80 - g) ** 2);
/** GRADE score of one reading, capped at 50 (iglu `grade_formula`); NaN below 18 mg/dL. */
const gradeScore = remembered((g) => Math.min(50, 425 * (Math.log10(Math.log10(g / 18)) + 0.16) ** 2));

/**
 * Every risk metric of the readings (mg/dL; NaN skipped where iglu's `na.rm` skips it). `day[i]` is
 * the local day of `values[i]`, equal days adjacent (the readings in local-time order), for ADRR.
 */
export function riskMetrics(values: Values, day: Values): Risk {
  const n = values.length;
  let sum = 0;
  let present = 0;
  let low = 0;
  let high = 0;
  let m = 0;
  let mCount = 0;
  let hyper = 0;
  let hypo = 0;
  let grade = 0;
  let graded = 0;
  let gradeEugly = 0;
  let gradeHyper = 0;
  let gradeHypo = 0;
  let inRange = 0;
  let below = 0;
  // ADRR: per day its largest high and low risk, then their mean over days.
  let adrrSum = 0;
  let adrrDays = 0;
  let dayHigh = 0;
  let dayLow = 0;
  for (let i = 0; i < n; i++) {
    const g = values[i] as number;
    if (!Number.isNaN(g)) {
      sum += g;
      present++;
    }
    const risk = bgRisk(g);
    if (g < 112.5) low += Math.min(risk, 0) ** 2;
    if (g >= 112.5) high += Math.max(risk, 0) ** 2;
    dayHigh = Math.max(dayHigh, risk);
    dayLow = Math.min(dayLow, risk);
    if (i + 1 === n || day[i + 1] !== day[i]) {
      const dayRisk = 22.77 * dayHigh ** 2 + 22.77 * dayLow ** 2;
      if (!Number.isNaN(dayRisk)) {
        adrrSum += dayRisk;
        adrrDays++;
      }
      dayHigh = 0;
      dayLow = 0;
    }
    const mv = mTerm(g);
    if (!Number.isNaN(mv)) {
      m += mv;
      mCount++;
    }
    if (g > 140) hyper += hyperTerm(g);
    if (g < 80) hypo += hypoTerm(g);
    const score = gradeScore(g);
    if (!Number.isNaN(score)) {
      grade += score;
      graded++;
      if (g >= 70 && g <= 140) gradeEugly += score;
      if (g > 140) gradeHyper += score;
      if (g < 80) gradeHypo += score;
    }
    if (g >= 70 && g <= 180) inRange++;
    if (g < 70) below++;
  }
  const mean = present === 0 ? Number.NaN : sum / present;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const g = values[i] as number;
    if (!Number.isNaN(g)) squares += (g - mean) ** 2;
  }
  // iglu `sd_glu`: the sample SD.
  const sd = present < 2 ? Number.NaN : Math.sqrt(squares / (present - 1));
  const hyperIndex = hyper / (n * 30);
  const hypoIndex = hypo / (n * 30);
  return {
    // iglu `j_index`: 0.001 x (mean + SD)^2.
    jIndex: 0.001 * (mean + sd) ** 2,
    // iglu `lbgi`, `hbgi`: 22.77 x the mean squared low (high) risk.
    lbgi: (22.77 * low) / n,
    hbgi: (22.77 * high) / n,
    adrr: adrrDays === 0 ? Number.NaN : adrrSum / adrrDays,
    mValue: mCount === 0 ? Number.NaN : m / mCount,
    hypoIndex,
    hyperIndex,
    // iglu `igc`: index of glycemic control = hyper index + hypo index.
    igc: hyperIndex + hypoIndex,
    grade: {
      grade: graded === 0 ? Number.NaN : grade / graded,
      euglycemia: (gradeEugly / grade) * 100,
      hyperglycemia: (gradeHyper / grade) * 100,
      hypoglycemia: (gradeHypo / grade) * 100,
    },
    cogi: cogi((inRange / n) * 100, (below / n) * 100, sd),
    // iglu `ea1c`: estimated A1C (%) from the ADAG relation (46.7 + mean) / 28.7 (Nathan 2008).
    eA1c: (46.7 + mean) / 28.7,
  };
}

/**
 * iglu `cogi(targets = c(70, 180), weights = c(.5, .35, .15))`: continuous glucose monitoring index,
 * 0-100, from time in range, time below and SD, each scaled to its range and weighted.
 */
function cogi(inRange: number, below: number, sd: number): number {
  const rising = (x: number, min: number, max: number) => Math.min((x > min ? 1 : 0) * ((x - min) / (max - min)), 1);
  const falling = (x: number, min: number, max: number) => Math.min((x < max ? 1 : 0) * ((x - max) / (min - max)), 1);
  return (rising(inRange, 0, 100) * 0.5 + falling(below, 0, 15) * 0.35 + falling(sd, 18, 108) * 0.15) * 100;
}

/** iglu `iqr_glu`: interquartile range (type-7 quantiles) of the values ascending. */
export function iqr(sorted: Values): number {
  return quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
}

/** iglu `mad_glu(constant = 1.4826)`: scaled median absolute deviation, of the values ascending. */
export function mad(sorted: Values, constant = 1.4826): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const m = quantileSorted(sorted, 0.5);
  // The deviations |g - m| in ascending order interleave two runs walking outwards from m (below
  // it, then above it): merge them as far as the middle, R's median of the deviations.
  let right = 0;
  for (let hi = n; right < hi; ) {
    const mid = (right + hi) >> 1;
    if ((sorted[mid] as number) <= m) right = mid + 1;
    else hi = mid;
  }
  let left = right - 1;
  const lo = (n - 1) >> 1;
  let a = Number.NaN;
  let b = Number.NaN;
  for (let k = 0; k <= lo + 1 && k < n; k++) {
    const below = left >= 0 ? Math.abs((sorted[left] as number) - m) : Number.POSITIVE_INFINITY;
    const above = right < n ? Math.abs((sorted[right] as number) - m) : Number.POSITIVE_INFINITY;
    const d = Math.min(below, above);
    if (below <= above) left--;
    else right++;
    if (k === lo) a = d;
    else if (k === lo + 1) b = d;
  }
  return constant * (n % 2 === 1 ? a : a + 0.5 * (b - a));
}
