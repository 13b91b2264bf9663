// Ambulatory Glucose Profile: the median by time of day with the 25-75 % and 5-95 % bands,
// drawn with uPlot's bands between percentile series.
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import type { AgpPoint } from "../../client/metrics/agp.js";
import { mgdl } from "../format.js";
import { Chart } from "./Chart.js";
import { glucoseAxis, glucoseScale, targetBand } from "./glucoseScale.js";
import { timeOfDayAxis, timeOfDayScale } from "./timeOfDayAxis.js";

const edge = (label: string): uPlot.Series => ({ label, scale: "mg/dL", stroke: "rgba(31, 95, 139, 0.5)", width: 1, dash: [4, 4], points: { show: false } });

export function AgpChart({ profile }: { profile: readonly AgpPoint[] }) {
  const data = useMemo<uPlot.AlignedData>(
    () => [profile.map((p) => p.minuteOfDay), profile.map((p) => p.p5), profile.map((p) => p.p25), profile.map((p) => p.p50), profile.map((p) => p.p75), profile.map((p) => p.p95)],
    [profile],
  );
  const options = useMemo(
    () => ({
      scales: { x: timeOfDayScale, "mg/dL": glucoseScale },
      axes: [timeOfDayAxis, glucoseAxis],
      series: [{ label: "Time of day", value: (_u: uPlot, m: number | null) => (m == null ? "–" : `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`) }, edge("5th"), edge("25th"), { label: "Median", scale: "mg/dL", stroke: "#1f5f8b", width: 2.5, points: { show: false } }, edge("75th"), edge("95th")],
      bands: [
        { series: [5, 1] as [number, number], fill: "rgba(31, 95, 139, 0.12)" },
        { series: [4, 2] as [number, number], fill: "rgba(31, 95, 139, 0.28)" },
      ],
      plugins: [targetBand],
    }),
    [],
  );
  const lowest = profile.reduce((min, p) => Math.min(min, p.p50), Infinity);
  const highest = profile.reduce((max, p) => Math.max(max, p.p50), -Infinity);
  const summary = profile.length === 0 ? "Not enough readings for a profile." : `Median by time of day between ${mgdl(lowest)} and ${mgdl(highest)}.`;
  return <Chart label="Ambulatory glucose profile (5th, 25th, median, 75th and 95th percentiles by time of day)" summary={summary} options={options} data={data} testId="agp-chart" />;
}
