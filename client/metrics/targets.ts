// Targets by population from the 2019 international consensus on time in range (Battelino et al.,
// Diabetes Care 2019;42:1593, Table 2 and Figure 1). Each goal names the band it is measured on, so
// the pregnancy targets (63-140 mg/dL) are checked on their own bands, not on 70-180.
import type { GlucoseSample } from "./localTime.js";
import { column } from "./stats.js";

export type Population = "type1type2" | "olderHighRisk" | "pregnancyType1" | "pregnancyGestationalType2";

/** A band of readings; every bound given must hold (iglu: in range inclusive, below/above strict). */
export interface Band {
  atLeast?: number;
  atMost?: number;
  below?: number;
  above?: number;
}

export interface Goal {
  label: string;
  band: Band;
  /** The share of readings in the band must be above ("more") or below ("less") `percent`. */
  direction: "more" | "less";
  percent: number;
}

export interface TargetSet {
  population: Population;
  label: string;
  /** The target range this population is shown against. */
  range: { low: number; high: number };
  goals: Goal[];
}

const below = (x: number): Band => ({ below: x });
const above = (x: number): Band => ({ above: x });
const range = (low: number, high: number): Band => ({ atLeast: low, atMost: high });

export const TARGETS: Record<Population, TargetSet> = {
  type1type2: {
    population: "type1type2",
    label: "Type 1 and type 2 diabetes",
    range: { low: 70, high: 180 },
    goals: [
      { label: "Time in range 70-180 mg/dL", band: range(70, 180), direction: "more", percent: 70 },
      { label: "Time below 70 mg/dL", band: below(70), direction: "less", percent: 4 },
      { label: "Time below 54 mg/dL", band: below(54), direction: "less", percent: 1 },
      { label: "Time above 180 mg/dL", band: above(180), direction: "less", percent: 25 },
      { label: "Time above 250 mg/dL", band: above(250), direction: "less", percent: 5 },
    ],
  },
  olderHighRisk: {
    population: "olderHighRisk",
    label: "Older or high-risk, type 1 and type 2 diabetes",
    range: { low: 70, high: 180 },
    goals: [
      { label: "Time in range 70-180 mg/dL", band: range(70, 180), direction: "more", percent: 50 },
      { label: "Time below 70 mg/dL", band: below(70), direction: "less", percent: 1 },
      { label: "Time above 250 mg/dL", band: above(250), direction: "less", percent: 10 },
    ],
  },
  pregnancyType1: {
    population: "pregnancyType1",
    label: "Pregnancy, type 1 diabetes",
    range: { low: 63, high: 140 },
    goals: [
      { label: "Time in range 63-140 mg/dL", band: range(63, 140), direction: "more", percent: 70 },
      { label: "Time below 63 mg/dL", band: below(63), direction: "less", percent: 4 },
      { label: "Time below 54 mg/dL", band: below(54), direction: "less", percent: 1 },
      { label: "Time above 140 mg/dL", band: above(140), direction: "less", percent: 25 },
    ],
  },
  pregnancyGestationalType2: {
    population: "pregnancyGestationalType2",
    // The consensus gives the range but no percentage goals (too little evidence).
    label: "Pregnancy, type 2 or gestational diabetes",
    range: { low: 63, high: 140 },
    goals: [],
  },
};

export interface GoalResult extends Goal {
  /** Measured share of readings, 0-100. */
  measured: number;
  met: boolean;
}

/** % of readings (mg/dL values) in the band (count-based, as iglu's `in_range_percent`). */
export function percentInBand(values: ArrayLike<number>, band: Band): number {
  let inside = 0;
  const { atLeast = -Infinity, atMost = Infinity, below = Infinity, above = -Infinity } = band;
  for (let i = 0; i < values.length; i++) {
    const g = values[i] as number;
    if (g >= atLeast && g <= atMost && g < below && g > above) inside++;
  }
  return (inside / values.length) * 100;
}

/** Every goal of the population's target set, measured and checked. */
export function assessTargets(
  samples: readonly GlucoseSample[],
  population: Population,
): { targets: TargetSet; goals: GoalResult[] } {
  return targetsOf(
    column(samples, (s) => s.mgdl),
    population,
  );
}

/** As `assessTargets`, on the readings' mg/dL values. */
export function targetsOf(
  values: ArrayLike<number>,
  population: Population,
): { targets: TargetSet; goals: GoalResult[] } {
  const targets = TARGETS[population];
  const goals = targets.goals.map((goal) => {
    const measured = percentInBand(values, goal.band);
    return { ...goal, measured, met: goal.direction === "more" ? measured > goal.percent : measured < goal.percent };
  });
  return { targets, goals };
}
