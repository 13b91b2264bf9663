// Everything a clinician report shows about glucose, in one call: the consensus metrics, GRI and its
// zone, iglu 4.3.0's variability and risk metrics, episodes, the AGP (smoothed and not), daily
// profiles, day/night splits and the population's targets. Days and times of day are the patient's
// (each reading's stored UTC offset, else the patient's zone), whatever zone the viewer is in.
import { agpFromGrid, smoothAgp, type AgpPoint } from "./agp.js";
import { consensusMetrics, DEFAULT_OPTIONS, type ConsensusMetrics, type MetricsOptions } from "./consensus.js";
import { dailyProfiles, dayNightMetrics, type DailyProfile, type DayNight } from "./daily.js";
import { dayGrid, type DayGrid } from "./dayGrid.js";
import { episodeCalculation, type EpisodeKind, type EpisodeOptions, type EpisodeSummary } from "./episodes.js";
import { griOfReadings, griZone, type Gri, type GriZone } from "./gri.js";
import { localDate, toLocal, type GlucoseSample, type LocalSample, type PatientClock } from "./localTime.js";
import { mage, type MageOptions } from "./mage.js";
import * as risk from "./risk.js";
import { assessTargets, percentInBand, type Band, type GoalResult, type Population, type TargetSet } from "./targets.js";
import { auc, conga, cvMeasures, gvp, mag, modd, sdMeasures, type SdMeasures } from "./variability.js";

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

export interface Risk {
  jIndex: number;
  lbgi: number;
  hbgi: number;
  adrr: number;
  mValue: number;
  hypoIndex: number;
  hyperIndex: number;
  igc: number;
  grade: risk.Grade;
  /** 0-100. */
  cogi: number;
  /** Estimated A1C, % (ADAG). */
  eA1c: number;
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
  const consensus = consensusMetrics(samples, options.metrics ?? DEFAULT_OPTIONS);
  if (!consensus) return null;
  const local = toLocal(samples, options);
  const values = local.map((s) => s.mgdl);
  const gridOptions = { ...(options.gridMinutes === undefined ? {} : { dt0: options.gridMinutes }), interGap: options.interGapMinutes ?? 45 };
  const grid = dayGrid(local, gridOptions);
  // iglu's gri and sd_measures first average readings that share a time (`check_data_time`).
  const averaged = hasRepeatedTimes(local) ? averageRepeats(local) : local;
  const sdGrid = averaged === local ? grid : dayGrid(averaged, gridOptions);
  const gri = averaged === local ? consensus.gri : griOfReadings(averaged.map((s) => s.mgdl));
  const onGrid = <T>(g: DayGrid | null, f: (g: DayGrid) => T, empty: T) => (g ? f(g) : empty);
  const congaHours = options.congaHours ?? 1;
  const unsmoothed = onGrid(grid, agpFromGrid, []);
  const cv = onGrid(grid, cvMeasures, { cvMean: Number.NaN, cvSd: Number.NaN });
  return {
    consensus,
    gri: { ...gri, zone: griZone(gri.gri) },
    variability: {
      mage: mage(local, options.mage),
      modd: onGrid(grid, (g) => modd(g, options.moddLagDays ?? 1), Number.NaN),
      conga: onGrid(grid, (g) => conga(g, congaHours), Number.NaN),
      congaHours,
      gvp: onGrid(grid, gvp, Number.NaN),
      mag: onGrid(grid, (g) => mag(g, options.magMinutes), Number.NaN),
      auc: onGrid(grid, auc, Number.NaN),
      iqr: risk.iqr(values),
      mad: risk.mad(values),
      sd: onGrid(sdGrid, sdMeasures, NO_SD),
      ...cv,
    },
    risk: {
      jIndex: risk.jIndex(values),
      lbgi: risk.lbgi(values),
      hbgi: risk.hbgi(values),
      adrr: risk.adrr(byLocalDate(local)),
      mValue: risk.mValue(values),
      hypoIndex: risk.hypoIndex(values),
      hyperIndex: risk.hyperIndex(values),
      igc: risk.igc(values),
      grade: risk.grade(values),
      cogi: risk.cogi(values),
      eA1c: risk.eA1c(values),
    },
    ranges: (options.ranges ?? []).map((band) => ({ band, percent: percentInBand(samples, band) })),
    episodes: onGrid(grid, (g) => episodeCalculation(g, options.episodes), null),
    agp: { unsmoothed, smoothed: smoothAgp(unsmoothed, options.agpSpan) },
    days: dailyProfiles(samples, options, options.metrics),
    dayNight: dayNightMetrics(samples, options, options.metrics),
    targets: assessTargets(samples, options.population ?? "type1type2"),
  };
}

const NO_SD: SdMeasures = {
  sdWithinDays: Number.NaN,
  sdBetweenTimePoints: Number.NaN,
  sdWithinSeries1h: Number.NaN,
  sdDailyMeans: Number.NaN,
  sdBetweenDays: Number.NaN,
  sdBetweenDaysDailyMeanCorrected: Number.NaN,
};

function byLocalDate(local: readonly LocalSample[]): number[][] {
  const days = new Map<string, number[]>();
  for (const s of local) {
    const date = localDate(s.local);
    const day = days.get(date);
    if (day) day.push(s.mgdl);
    else days.set(date, [s.mgdl]);
  }
  return [...days.values()];
}

function hasRepeatedTimes(local: readonly LocalSample[]): boolean {
  return local.some((s, i) => i > 0 && s.local === (local[i - 1] as LocalSample).local);
}

/** Readings sharing a local time merged into one with their mean (iglu `check_data_time`). */
function averageRepeats(local: readonly LocalSample[]): LocalSample[] {
  const out: LocalSample[] = [];
  for (let i = 0; i < local.length; ) {
    let j = i;
    let sum = 0;
    while (j < local.length && (local[j] as LocalSample).local === (local[i] as LocalSample).local) sum += (local[j++] as LocalSample).mgdl;
    out.push({ ...(local[i] as LocalSample), mgdl: sum / (j - i) });
    i = j;
  }
  return out;
}
