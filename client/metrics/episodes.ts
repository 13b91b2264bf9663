// Hypo- and hyperglycaemia episodes per the 2023 international consensus (Battelino et al., Lancet
// Diabetes Endocrinol 2023), computed as iglu 4.3.0's `episode_calculation` does: on the day-by-day
// grid, split at missing stretches, an episode starts with at least `durLength` minutes beyond the
// threshold and ends with the first `endLength` minutes back on the other side.
import type { DayGrid } from "./dayGrid.js";
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
export const EPISODE_DEFAULTS: EpisodeOptions = {
  lv1Hypo: 70,
  lv2Hypo: 54,
  lv1Hyper: 180,
  lv2Hyper: 250,
  durLength: 15,
  endLength: 15,
};

export type EpisodeKind =
  | "hypoLv1"
  | "hypoLv2"
  | "hypoExtended"
  | "hyperLv1"
  | "hyperLv2"
  | "hyperExtended"
  | "hypoLv1Exclusive"
  | "hyperLv1Exclusive";
export const EPISODE_KINDS: readonly EpisodeKind[] = [
  "hypoLv1",
  "hypoLv2",
  "hypoExtended",
  "hyperLv1",
  "hyperLv2",
  "hyperExtended",
  "hypoLv1Exclusive",
  "hyperLv1Exclusive",
];

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

/**
 * Every episode kind: level 1 and 2; extended hypoglycaemia (more than 120 min below lv1, iglu
 * `episode_calculation`'s "extended"); extended hyperglycaemia (at least 120 min above lv2, as
 * iglu `all_metrics` counts it: level 2 episodes with `dur_length = 120`); and level 1 episodes
 * that never reach level 2 ("exclusive").
 */
export function episodeCalculation(
  grid: DayGrid,
  options: Partial<EpisodeOptions> = {},
): Record<EpisodeKind, EpisodeSummary> {
  const o = { ...EPISODE_DEFAULTS, ...options };
  const dur = Math.ceil(o.durLength / grid.dt0);
  const end = Math.ceil(o.endLength / grid.dt0);
  const g = grid.values;
  const found = Object.fromEntries(EPISODE_KINDS.map((k) => [k, [] as Span[]])) as Record<EpisodeKind, Span[]>;
  let recorded = 0;
  // Segments: maximal runs of grid points with a value; episodes never span a missing stretch.
  let i = 0;
  while (i < g.length) {
    if (Number.isNaN(g[i] as number)) {
      i++;
      continue;
    }
    let stop = i;
    while (stop < g.length && !Number.isNaN(g[stop] as number)) stop++;
    const hypo1 = runs(g, i, stop, o.lv1Hypo, true);
    const lv1Hypo = classify(hypo1, dur, end);
    const lv2Hypo = classify(runs(g, i, stop, o.lv2Hypo, true), dur, end);
    const lv1Hyper = classify(runs(g, i, stop, o.lv1Hyper, false), dur, end);
    const hyper2 = runs(g, i, stop, o.lv2Hyper, false);
    const lv2Hyper = classify(hyper2, dur, end);
    const add = (kind: EpisodeKind, spans: readonly Span[]) => {
      for (const span of spans) found[kind].push(span);
    };
    add("hypoLv1", lv1Hypo);
    add("hypoLv2", lv2Hypo);
    add("hyperLv1", lv1Hyper);
    add("hyperLv2", lv2Hyper);
    add("hypoExtended", classify(hypo1, 120 / grid.dt0 + 1, end));
    add("hyperExtended", classify(hyper2, Math.ceil(120 / grid.dt0), end));
    add("hypoLv1Exclusive", exclusive(lv1Hypo, lv2Hypo));
    add("hyperLv1Exclusive", exclusive(lv1Hyper, lv2Hyper));
    recorded += stop - i;
    i = stop;
  }
  return Object.fromEntries(EPISODE_KINDS.map((kind) => [kind, summarise(grid, recorded, found[kind])])) as Record<
    EpisodeKind,
    EpisodeSummary
  >;
}

/** Grid indices of an episode's first and last point. */
interface Span {
  first: number;
  last: number;
}

/** A segment cut where it crosses a threshold: `starts` of every run on one side or the other, then the segment's end. */
interface Runs {
  starts: number[];
  /** Whether the first run is beyond the threshold (runs alternate). */
  firstBeyond: boolean;
}

/** The runs of `g[from..to)` below (or above) `threshold`, and the runs between them. */
function runs(g: Float64Array, from: number, to: number, threshold: number, below: boolean): Runs {
  const beyond = (v: number) => (below ? v < threshold : v > threshold);
  const starts = [from];
  let level = beyond(g[from] as number);
  const firstBeyond = level;
  for (let k = from + 1; k < to; k++) {
    if (beyond(g[k] as number) === level) continue;
    level = !level;
    starts.push(k);
  }
  starts.push(to);
  return { starts, firstBeyond };
}

/**
 * iglu `event_class` on one segment: an episode starts at a run of at least `dur` points beyond the
 * threshold and lasts until the first run of at least `end` points back (exclusive), or the
 * segment's end; starts inside an episode are absorbed. Spans in time order.
 */
function classify({ starts, firstBeyond }: Runs, dur: number, end: number): Span[] {
  const spans: Span[] = [];
  // The start waiting for its end: the first run back in range long enough, after it.
  let open = -1;
  for (let k = 0; k + 1 < starts.length; k++) {
    const r = starts[k] as number;
    const length = (starts[k + 1] as number) - r;
    const beyond = k % 2 === 0 ? firstBeyond : !firstBeyond;
    if (beyond && length >= dur && open < 0) open = r;
    if (!beyond && length >= end && open >= 0) {
      spans.push({ first: open, last: r - 1 });
      open = -1;
    }
  }
  if (open >= 0) spans.push({ first: open, last: (starts[starts.length - 1] as number) - 1 });
  return spans;
}

/** iglu `lv1_excl`: the level 1 episodes that contain no level 2 point. */
function exclusive(lv1: readonly Span[], lv2: readonly Span[]): Span[] {
  // Both lists are in time order and free of overlaps within themselves: one merge pass.
  const out: Span[] = [];
  let j = 0;
  for (const s of lv1) {
    while (j < lv2.length && (lv2[j] as Span).last < s.first) j++;
    const next = lv2[j];
    if (!next || next.first > s.last) out.push(s);
  }
  return out;
}

/** iglu `episode_summary`: counts, per-day rate, mean duration and glucose; plus the episodes themselves. */
function summarise(grid: DayGrid, recordedPoints: number, spans: readonly Span[]): EpisodeSummary {
  const step = grid.dt0 * 60_000;
  const episodes: Episode[] = spans.map(({ first, last }) => {
    const localStart = grid.start + (first + 1) * step;
    return {
      localStart,
      localEnd: grid.start + (last + 1) * step,
      day: localDate(localStart),
      durationMinutes: (last - first + 1) * grid.dt0,
      meanMgdl: meanPresent(grid.values, first, last - first + 1),
    };
  });
  const recordedDays = (recordedPoints * grid.dt0) / 60 / 24;
  return {
    total: episodes.length,
    perDay: episodes.length / recordedDays,
    meanDurationMinutes: episodes.length === 0 ? 0 : meanPresent(episodes.map((e) => e.durationMinutes)),
    meanMgdl: meanPresent(episodes.map((e) => e.meanMgdl)),
    episodes,
  };
}

/** Episodes per local day (e.g. the analysis's `days[].date`), by the day each episode starts on. */
export function episodesByDay(
  summary: EpisodeSummary,
  days: readonly string[],
): { day: string; count: number; minutes: number }[] {
  const byDay = new Map<string, { count: number; minutes: number }>();
  for (const e of summary.episodes) {
    const day = byDay.get(e.day) ?? { count: 0, minutes: 0 };
    day.count++;
    day.minutes += e.durationMinutes;
    byDay.set(e.day, day);
  }
  return days.map((day) => ({ day, ...(byDay.get(day) ?? { count: 0, minutes: 0 }) }));
}
