// Everything a clinician report shows about glucose, in one call: the consensus metrics, GRI and its
// zone, iglu 4.3.0's variability and risk metrics, episodes, the AGP (smoothed and not), daily
// profiles, day/night splits and the population's targets. Days and times of day are the patient's
// (each reading's stored UTC offset, else the patient's zone), whatever zone the viewer is in.
import { agpFromGrid, smoothAgp, type AgpPoint } from "./agp.js";
import {
  byTime,
  consensusOfReadings,
  DEFAULT_OPTIONS,
  type ConsensusMetrics,
  type MetricsOptions,
} from "./consensus.js";
import { dayNightOf, profilesOf, type DailyProfile, type DayNight } from "./daily.js";
import { dayGrid, type DayGrid } from "./dayGrid.js";
import { episodeCalculation, type EpisodeKind, type EpisodeOptions, type EpisodeSummary } from "./episodes.js";
import { griOfReadings, griZone, type Gri, type GriZone } from "./gri.js";
import { lazy } from "./lazy.js";
import {
  byLocalTime,
  dayNumber,
  onPatientClock,
  permute,
  type GlucoseSample,
  type LocalSeries,
  type PatientClock,
} from "./localTime.js";
import { MAGE_DEFAULTS, MAGE_GRID_MINUTES, mageOfGrid, type MageOptions } from "./mage.js";
import { iqr, mad, riskMetrics, type Risk } from "./risk.js";
import { percentInBand, targetsOf, type Band, type GoalResult, type Population, type TargetSet } from "./targets.js";
import { column, sortedCopy } from "./stats.js";
import { auc, conga, cvMeasures, gvp, mag, modd, sdMeasures, type SdMeasures } from "./variability.js";

export type { Risk } from "./risk.js";

export interface AnalysisOptions extends PatientClock {
  /** Whose targets the report checks (default adults with type 1 or type 2 diabetes). */
  population?: Population;
  /** Extra bands to report time in (e.g. `{ atLeast: 70, atMost: 140 }`). */
  ranges?: readonly Band[];
  /** CONGA's lag in hours (default 1; iglu's own default is 24). */
  congaHours?: number;
  /** MODD's lag in days (iglu `lag`, 1). */
  moddLagDays?: number;
  /** MAG's step in minutes (iglu `n`; default the grid step). */
  magMinutes?: number;
  mage?: Partial<MageOptions>;
  episodes?: Partial<EpisodeOptions>;
  /** Grid step for the interpolated metrics (iglu `dt0`; default the median spacing). */
  gridMinutes?: number;
  /** Longest gap interpolated over, minutes (iglu `inter_gap`, 45). */
  interGapMinutes?: number;
  /** loess span of the smoothed AGP (iglu `plot_agp`, 0.3). */
  agpSpan?: number;
  /** Weighting and SD form of the consensus metrics. */
  metrics?: MetricsOptions;
}

export interface Variability {
  /** mg/dL, iglu `mage()` (moving-average algorithm). */
  mage: number;
  modd: number;
  conga: number;
  congaHours: number;
  /** Glucose variability percentage, %. */
  gvp: number;
  /** mg/dL per hour. */
  mag: number;
  /** Hourly average AUC, mg/dL (iglu `auc`). */
  auc: number;
  iqr: number;
  mad: number;
  sd: SdMeasures;
  /** Mean and SD of the daily CVs, %. */
  cvMean: number;
  cvSd: number;
}

export interface GlucoseAnalysis {
  consensus: ConsensusMetrics;
  /** As iglu `gri`: readings sharing one time count once, with their mean. */
  gri: Gri & { zone: GriZone };
  /** NaN marks a metric the data cannot give (too few or too sparse readings), as iglu's NA. */
  variability: Variability;
  risk: Risk;
  /** Time in each requested band, %. */
  ranges: { band: Band; percent: number }[];
  /** Empty (zero counts) when the readings are too sparse for the grid. */
  episodes: Record<EpisodeKind, EpisodeSummary> | null;
  agp: { smoothed: AgpPoint[]; unsmoothed: AgpPoint[] };
  days: DailyProfile[];
  dayNight: DayNight<ConsensusMetrics | null>;
  targets: { targets: TargetSet; goals: GoalResult[] };
}

/** The full analysis of the samples (any order); null without readings. */
export function analyzeGlucose(samples: readonly GlucoseSample[], options: AnalysisOptions): GlucoseAnalysis | null {
  if (samples.length === 0) return null;
  const metricsOptions = options.metrics ?? DEFAULT_OPTIONS;
  // Computed once and shared: the readings on the patient's clock, their values ascending, the grid.
  const input = onPatientClock(samples, options);
  const local = byLocalTime(input);
  const values = local.mgdl;
  const sorted = sortedCopy(values);
  const consensus = consensusOfReadings(byTime(input.utc, input.mgdl), metricsOptions, sorted) as ConsensusMetrics;
  const interGap = options.interGapMinutes ?? 45;
  const gridOptions = { ...(options.gridMinutes === undefined ? {} : { dt0: options.gridMinutes }), interGap };
  const grid = dayGrid(local, gridOptions);
  // iglu's gri and sd_measures first average readings that share a time (`check_data_time`).
  const averaged = hasRepeatedTimes(local) ? averageRepeats(local) : local;
  const sdGrid = averaged === local ? grid : dayGrid(averaged, gridOptions);
  const gri = averaged === local ? consensus.gri : griOfReadings(averaged.mgdl);
  const mageInterGap = options.mage?.interGap ?? MAGE_DEFAULTS.interGap;
  // MAGE's own grid is this one when the step is 5 minutes and the gap rule the same.
  const mageGrid =
    grid?.dt0 === MAGE_GRID_MINUTES && mageInterGap === interGap && MAGE_GRID_MINUTES <= interGap
      ? grid
      : dayGrid(local, { dt0: MAGE_GRID_MINUTES, interGap: mageInterGap });
  const onGrid = <T>(g: DayGrid | null, f: (g: DayGrid) => T, empty: T) => (g ? f(g) : empty);
  const congaHours = options.congaHours ?? 1;
  const unsmoothed = onGrid(grid, agpFromGrid, []);
  // What a report's first screen does not show is computed when first read.
  let cv: { cvMean: number; cvSd: number } | undefined;
  const cvOf = () => (cv ??= onGrid(grid, cvMeasures, { cvMean: Number.NaN, cvSd: Number.NaN }));
  // The first screen shows the consensus metrics, targets, GRI and AGP; variability, risk and
  // episodes are read further down, once that screen is drawn.
  const variability = { congaHours } as Variability;
  lazy(variability, "mage", () => mageOfGrid(mageGrid, options.mage));
  lazy(variability, "modd", () => onGrid(grid, (g) => modd(g, options.moddLagDays ?? 1), Number.NaN));
  lazy(variability, "conga", () => onGrid(grid, (g) => conga(g, congaHours), Number.NaN));
  lazy(variability, "iqr", () => iqr(sorted));
  lazy(variability, "sd", () => onGrid(sdGrid, sdMeasures, NO_SD));
  lazy(variability, "gvp", () => onGrid(grid, gvp, Number.NaN));
  lazy(variability, "mag", () => onGrid(grid, (g) => mag(g, options.magMinutes), Number.NaN));
  lazy(variability, "auc", () => onGrid(grid, auc, Number.NaN));
  lazy(variability, "mad", () => mad(sorted));
  lazy(variability, "cvMean", () => cvOf().cvMean);
  lazy(variability, "cvSd", () => cvOf().cvSd);
  const analysis = {
    consensus,
    gri: { ...gri, zone: griZone(gri.gri) },
    variability,
    ranges: (options.ranges ?? []).map((band) => ({ band, percent: percentInBand(values, band) })),
    agp: { unsmoothed, smoothed: smoothAgp(unsmoothed, options.agpSpan) },
    days: profilesOf(local, metricsOptions),
    targets: targetsOf(values, options.population ?? "type1type2"),
  } as GlucoseAnalysis;
  lazy(analysis, "risk", () => riskMetrics(values, column(local.local, dayNumber)));
  lazy(analysis, "episodes", () => onGrid(grid, (g) => episodeCalculation(g, options.episodes), null));
  return lazy(analysis, "dayNight", () => dayNightOf(local, metricsOptions));
}

const NO_SD: SdMeasures = {
  sdWithinDays: Number.NaN,
  sdBetweenTimePoints: Number.NaN,
  sdWithinSeries1h: Number.NaN,
  sdDailyMeans: Number.NaN,
  sdBetweenDays: Number.NaN,
  sdBetweenDaysDailyMeanCorrected: Number.NaN,
};

function hasRepeatedTimes({ local }: LocalSeries): boolean {
  for (let i = 1; i < local.length; i++) if (local[i] === local[i - 1]) return true;
  return false;
}

/** Readings sharing a local time merged into one with their mean (iglu `check_data_time`). */
function averageRepeats(series: LocalSeries): LocalSeries {
  const { utc, local, mgdl } = series;
  const at: number[] = [];
  const means: number[] = [];
  for (let i = 0; i < local.length; ) {
    let j = i;
    let sum = 0;
    while (j < local.length && local[j] === local[i]) sum += mgdl[j++] as number;
    at.push(i);
    means.push(sum / (j - i));
    i = j;
  }
  return { utc: permute(utc, at), local: permute(local, at), mgdl: Float64Array.from(means) };
}
