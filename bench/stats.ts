// Small timing and summary helpers shared by the scenarios.
import { performance } from "node:perf_hooks";

/** Milliseconds since `start` (a performance.now() reading). */
export function since(start: number): number {
  return performance.now() - start;
}

/** R type-7 quantile of unsorted numbers. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median wall time of `runs` calls of `fn`, after one warm-up call. */
export async function medianTime(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(since(start));
  }
  return median(times);
}
