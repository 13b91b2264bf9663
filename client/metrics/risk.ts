// Metrics computed on the readings themselves (no grid), each ported from the iglu 4.3.0 function
// named in its comment. `values` are mg/dL; order does not matter except for ADRR's days.
import { meanPresent, median, quantileSorted, sdPresent } from "./stats.js";

/** The Kovatchev risk transform f(g) = ln(g)^1.084 - 5.381 (iglu `lbgi`, `hbgi`, `adrr`). */
function bgRisk(g: number): number {
  return Math.log(g) ** 1.084 - 5.381;
}

/** iglu `lbgi`: low blood glucose index. */
export function lbgi(values: readonly number[]): number {
  let sum = 0;
  for (const g of values) if (g < 112.5) sum += Math.min(bgRisk(g), 0) ** 2;
  return (22.77 * sum) / values.length;
}

/** iglu `hbgi`: high blood glucose index. */
export function hbgi(values: readonly number[]): number {
  let sum = 0;
  for (const g of values) if (g >= 112.5) sum += Math.max(bgRisk(g), 0) ** 2;
  return (22.77 * sum) / values.length;
}

/** iglu `adrr`: mean over days of the day's largest low risk plus its largest high risk. `days` groups the readings by local date. */
export function adrr(days: readonly (readonly number[])[]): number {
  return meanPresent(
    days.map((values) => {
      const risks = values.map(bgRisk);
      return 22.77 * Math.max(...risks, 0) ** 2 + 22.77 * Math.min(...risks, 0) ** 2;
    }),
  );
}

/** iglu `j_index`: 0.001 x (mean + SD)^2. */
export function jIndex(values: readonly number[]): number {
  return 0.001 * (meanPresent(values) + sdPresent(values)) ** 2;
}

/** iglu `m_value(r = 90)`: mean of 1000 x |log10(g / r)|^3. */
export function mValue(values: readonly number[], r = 90): number {
  return meanPresent(values.map((g) => 1000 * Math.abs(Math.log10(g / r)) ** 3));
}

/** iglu `ea1c`: estimated A1C (%) from the ADAG relation (46.7 + mean) / 28.7 (Nathan 2008). */
export function eA1c(values: readonly number[]): number {
  return (46.7 + meanPresent(values)) / 28.7;
}

/** iglu `iqr_glu`: interquartile range (type-7 quantiles). */
export function iqr(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
}

/** iglu `mad_glu(constant = 1.4826)`: scaled median absolute deviation. */
export function mad(values: readonly number[], constant = 1.4826): number {
  const m = median(values);
  return constant * median(values.map((g) => Math.abs(g - m)));
}

export interface HypoHyperIndexOptions {
  /** Lower limit of the target range (iglu LLTR, 80). */
  lltr: number;
  /** Upper limit (iglu ULTR, 140). */
  ultr: number;
  /** Exponents and scales (iglu a = 1.1, b = 2, c = 30, d = 30). */
  a: number;
  b: number;
  c: number;
  d: number;
}
export const HYPO_HYPER_DEFAULTS: HypoHyperIndexOptions = { lltr: 80, ultr: 140, a: 1.1, b: 2, c: 30, d: 30 };

/** iglu `hyper_index`: sum((g - ULTR)^a for g > ULTR) / (n x c). */
export function hyperIndex(values: readonly number[], o: HypoHyperIndexOptions = HYPO_HYPER_DEFAULTS): number {
  let sum = 0;
  for (const g of values) if (g > o.ultr) sum += (g - o.ultr) ** o.a;
  return sum / (values.length * o.c);
}

/** iglu `hypo_index`: sum((LLTR - g)^b for g < LLTR) / (n x d). */
export function hypoIndex(values: readonly number[], o: HypoHyperIndexOptions = HYPO_HYPER_DEFAULTS): number {
  let sum = 0;
  for (const g of values) if (g < o.lltr) sum += (o.lltr - g) ** o.b;
  return sum / (values.length * o.d);
}

/** iglu `igc`: index of glycemic control = hyper index + hypo index. */
export function igc(values: readonly number[], o: HypoHyperIndexOptions = HYPO_HYPER_DEFAULTS): number {
  return hyperIndex(values, o) + hypoIndex(values, o);
}

/** GRADE score of one reading, capped at 50 (iglu `grade_formula`); NaN below 18 mg/dL. */
function gradeScore(g: number): number {
  return Math.min(50, 425 * (Math.log10(Math.log10(g / 18)) + 0.16) ** 2);
}

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

/** iglu `grade`, `grade_eugly(70, 140)`, `grade_hyper(140)`, `grade_hypo(80)`. */
export function grade(values: readonly number[], bounds = { euglycemia: [70, 140] as const, hyper: 140, hypo: 80 }): Grade {
  const scores = values.map(gradeScore);
  const share = (test: (g: number) => boolean) => {
    let part = 0;
    let total = 0;
    values.forEach((g, i) => {
      const s = scores[i] as number;
      if (Number.isNaN(s)) return;
      total += s;
      if (test(g)) part += s;
    });
    return (part / total) * 100;
  };
  return {
    grade: meanPresent(scores),
    euglycemia: share((g) => g >= bounds.euglycemia[0] && g <= bounds.euglycemia[1]),
    hyperglycemia: share((g) => g > bounds.hyper),
    hypoglycemia: share((g) => g < bounds.hypo),
  };
}

/**
 * iglu `cogi(targets = c(70, 180), weights = c(.5, .35, .15))`: continuous glucose monitoring index,
 * 0-100, from time in range, time below and SD, each scaled to its range and weighted.
 */
export function cogi(values: readonly number[], targets: readonly [number, number] = [70, 180], weights: readonly [number, number, number] = [0.5, 0.35, 0.15]): number {
  const [lo, hi] = [...targets].sort((a, b) => a - b) as [number, number];
  const n = values.length;
  const inRange = (values.filter((g) => g >= lo && g <= hi).length / n) * 100;
  const below = (values.filter((g) => g < lo).length / n) * 100;
  const sd = sdPresent(values);
  const rising = (x: number, min: number, max: number) => Math.min((x > min ? 1 : 0) * ((x - min) / (max - min)), 1);
  const falling = (x: number, min: number, max: number) => Math.min((x < max ? 1 : 0) * ((x - max) / (min - max)), 1);
  return (rising(inRange, 0, 100) * weights[0] + falling(below, 0, 15) * weights[1] + falling(sd, 18, 108) * weights[2]) * 100;
}
