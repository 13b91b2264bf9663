// Hypo- and hyperglycaemia episodes per the 2023 international consensus (Battelino et al., Lancet
// Diabetes Endocrinol 2023), computed as iglu 4.3.0's `episode_calculation` does: on the day-by-day
// grid, split at missing stretches, an episode starts with at least `durLength` minutes beyond the
// threshold and ends with the first `endLength` minutes back on the other side.
import { type DayGrid } from "./dayGrid.js";
import { localDate } from "./localTime.js";
import { meanPresent } from "./stats.js";

export interface EpisodeOptions {
  /** Thresholds in mg/dL (iglu 70, 54, 180, 250). */
  lv1Hypo: number;
  lv2Hypo: number;
  lv1Hyper: number;
  lv2Hyper: number;
  /** Minutes beyond a threshold that start an episode (15). */
  durLength: number;
  /** Minutes back in range that end it (15). */
  endLength: number;
}
export const EPISODE_DEFAULTS: EpisodeOptions = { lv1Hypo: 70, lv2Hypo: 54, lv1Hyper: 180, lv2Hyper: 250, durLength: 15, endLength: 15 };

export type EpisodeKind = "hypoLv1" | "hypoLv2" | "hypoExtended" | "hyperLv1" | "hyperLv2" | "hypoLv1Exclusive" | "hyperLv1Exclusive";
export const EPISODE_KINDS: readonly EpisodeKind[] = ["hypoLv1", "hypoLv2", "hypoExtended", "hyperLv1", "hyperLv2", "hypoLv1Exclusive", "hyperLv1Exclusive"];

export interface Episode {
  /** Patient-local wall clock (ms, read as UTC) of the first and last grid point of the episode. */
  localStart: number;
  localEnd: number;
  /** Local date the episode starts on. */
  day: string;
  /** Grid points x step, as iglu counts it. */
  durationMinutes: number;
  meanMgdl: number;
}

export interface EpisodeSummary {
  total: number;
  /** Episodes per day of recorded (non-missing) time, iglu `avg_ep_per_day`. */
  perDay: number;
  /** Mean duration in minutes (0 without episodes, as iglu). */
  meanDurationMinutes: number;
  /** Mean glucose during the episodes (NaN without episodes). */
  meanMgdl: number;
  episodes: Episode[];
}

/** Every episode kind: level 1 and 2, extended hypoglycaemia (> 120 min below lv1), and level 1 episodes that never reach level 2 ("exclusive"). */
export function episodeCalculation(grid: DayGrid, options: Partial<EpisodeOptions> = {}): Record<EpisodeKind, EpisodeSummary> {
  const o = { ...EPISODE_DEFAULTS, ...options };
  const dur = Math.ceil(o.durLength / grid.dt0);
  const end = Math.ceil(o.endLength / grid.dt0);
  // Per kind, one label per grid point with a value: 0 outside episodes, else a number unique per episode.
  const labels = Object.fromEntries(EPISODE_KINDS.map((k) => [k, [] as number[]])) as Record<EpisodeKind, number[]>;
  const kept: number[] = [];
  const used = Object.fromEntries(EPISODE_KINDS.map((k) => [k, 0])) as Record<EpisodeKind, number>;
  const add = (kind: EpisodeKind, segment: readonly number[]) => {
    const offset = used[kind];
    for (const l of segment) {
      labels[kind].push(l === 0 ? 0 : l + offset);
      used[kind] = Math.max(used[kind], l + offset);
    }
  };
  // Segments: maximal runs of grid points with a value; episodes never span a missing stretch.
  let i = 0;
  while (i < grid.values.length) {
    if (Number.isNaN(grid.values[i] as number)) {
      i++;
      continue;
    }
    let stop = i;
    while (stop < grid.values.length && !Number.isNaN(grid.values[stop] as number)) stop++;
    const gl = grid.values.slice(i, stop);
    const lv1Hypo = classify(gl, (g) => g < o.lv1Hypo, dur, end);
    const lv2Hypo = classify(gl, (g) => g < o.lv2Hypo, dur, end);
    const lv1Hyper = classify(gl, (g) => g > o.lv1Hyper, dur, end);
    const lv2Hyper = classify(gl, (g) => g > o.lv2Hyper, dur, end);
    add("hypoLv1", lv1Hypo);
    add("hypoLv2", lv2Hypo);
    add("hyperLv1", lv1Hyper);
    add("hyperLv2", lv2Hyper);
    add("hypoExtended", classify(gl, (g) => g < o.lv1Hypo, 120 / grid.dt0 + 1, end));
    add("hypoLv1Exclusive", exclusive(lv1Hypo, lv2Hypo));
    add("hyperLv1Exclusive", exclusive(lv1Hyper, lv2Hyper));
    for (let k = i; k < stop; k++) kept.push(k);
    i = stop;
  }
  return Object.fromEntries(EPISODE_KINDS.map((kind) => [kind, summarise(grid, kept, labels[kind])])) as Record<EpisodeKind, EpisodeSummary>;
}

/**
 * iglu `event_class` on one segment: an episode starts at a run of at least `dur` points beyond the
 * threshold and lasts until the first run of at least `end` points back (exclusive), or the
 * segment's end; starts inside an episode are absorbed. Returns labels 1.. per point, 0 outside.
 */
function classify(gl: readonly number[], beyond: (g: number) => boolean, dur: number, end: number): number[] {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let r = 0; r < gl.length; ) {
    const level = beyond(gl[r] as number);
    let stop = r;
    while (stop < gl.length && beyond(gl[stop] as number) === level) stop++;
    if (level && stop - r >= dur) starts.push(r);
    if (!level && stop - r >= end) ends.push(r);
    r = stop;
  }
  const out = gl.map(() => 0);
  let label = 0;
  let lastEnd = -1;
  for (const s of starts) {
    const e = (ends.find((x) => x > s) ?? gl.length) - 1;
    if (e === lastEnd) continue;
    lastEnd = e;
    label++;
    for (let k = s; k <= e; k++) out[k] = label;
  }
  return out;
}

/** iglu `lv1_excl`: the level 1 episodes that contain no level 2 point. */
function exclusive(lv1: readonly number[], lv2: readonly number[]): number[] {
  const reaching = new Set<number>();
  lv1.forEach((l, k) => {
    if (l > 0 && (lv2[k] as number) > 0) reaching.add(l);
  });
  return lv1.map((l) => (reaching.has(l) ? 0 : l));
}

/** iglu `episode_summary`: counts, per-day rate, mean duration and glucose; plus the episodes themselves. */
function summarise(grid: DayGrid, kept: readonly number[], labels: readonly number[]): EpisodeSummary {
  const groups = new Map<number, number[]>();
  labels.forEach((l, k) => {
    if (l === 0) return;
    const at = kept[k] as number;
    const g = groups.get(l);
    if (g) g.push(at);
    else groups.set(l, [at]);
  });
  const step = grid.dt0 * 60_000;
  const episodes: Episode[] = [...groups.values()].map((points) => {
    const localStart = grid.start + ((points[0] as number) + 1) * step;
    return {
      localStart,
      localEnd: grid.start + ((points[points.length - 1] as number) + 1) * step,
      day: localDate(localStart),
      durationMinutes: points.length * grid.dt0,
      meanMgdl: meanPresent(points.map((p) => grid.values[p] as number)),
    };
  });
  const recordedDays = (kept.length * grid.dt0) / 60 / 24;
  return {
    total: episodes.length,
    perDay: episodes.length / recordedDays,
    meanDurationMinutes: episodes.length === 0 ? 0 : meanPresent(episodes.map((e) => e.durationMinutes)),
    meanMgdl: meanPresent(episodes.map((e) => e.meanMgdl)),
    episodes,
  };
}

/** Episodes per local day (e.g. the analysis's `days[].date`), by the day each episode starts on. */
export function episodesByDay(summary: EpisodeSummary, days: readonly string[]): { day: string; count: number; minutes: number }[] {
  return days.map((day) => {
    const today = summary.episodes.filter((e) => e.day === day);
    return { day, count: today.length, minutes: today.reduce((t, e) => t + e.durationMinutes, 0) };
  });
}
