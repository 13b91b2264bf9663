// The consensus ranges and goals (Battelino 2019, the AGP report's "Type 1 and Type 2" column),
// each with its AGP colour, in the order the report stacks them (very high on top).
import type { Band, ConsensusMetrics } from "../../client/index.js";
import { type GlucoseUnit, glucoseValue } from "../units.js";

export type RangeKind = "very-high" | "high" | "in-range" | "low" | "very-low";

export interface RangeRow {
  kind: RangeKind;
  name: string;
  /** mg/dL, as the metrics define bands: `above`/`below` strict, `atLeast`/`atMost` inclusive. */
  bounds: Band;
  value: number;
  goal: string;
  /** Whether the value meets its goal (combined goals for high and low). */
  met: boolean;
}

/** "181–250 mg/dL", "10.1–13.9 mmol/L", "below 54 mg/dL": the way the consensus labels them. */
export function rangeLabel(band: Band, unit: GlucoseUnit): string {
  const { above: over, atLeast: from, atMost: upTo, below: under } = band;
  const step = unit === "mg/dL" ? 1 : 0.1;
  const v = (mgdl: number, shift = 0) => (Number(glucoseValue(mgdl, unit)) + shift).toFixed(unit === "mg/dL" ? 0 : 1);
  const low = over !== undefined ? v(over, step) : from !== undefined ? v(from) : undefined;
  const high = upTo !== undefined ? v(upTo) : under !== undefined ? v(under, -step) : undefined;
  if (low === undefined) return `below ${v(under!)} ${unit}`;
  if (high === undefined) return `above ${v(over!)} ${unit}`;
  return `${low}–${high} ${unit}`;
}

export function rangeRows(m: ConsensusMetrics): RangeRow[] {
  const high = m.above180 - m.above250;
  const low = m.below70 - m.below54;
  return [
    {
      kind: "very-high",
      name: "Very high",
      bounds: { above: 250 },
      value: m.above250,
      goal: "under 5 %",
      met: m.above250 < 5,
    },
    {
      kind: "high",
      name: "High",
      bounds: { above: 180, atMost: 250 },
      value: high,
      goal: "with very high, under 25 %",
      met: m.above180 < 25,
    },
    {
      kind: "in-range",
      name: "In range",
      bounds: { atLeast: 70, atMost: 180 },
      value: m.inRange70to180,
      goal: "over 70 %",
      met: m.inRange70to180 > 70,
    },
    {
      kind: "low",
      name: "Low",
      bounds: { atLeast: 54, below: 70 },
      value: low,
      goal: "with very low, under 4 %",
      met: m.below70 < 4,
    },
    {
      kind: "very-low",
      name: "Very low",
      bounds: { below: 54 },
      value: m.below54,
      goal: "under 1 %",
      met: m.below54 < 1,
    },
  ];
}
