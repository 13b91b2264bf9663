// Glucose over time (CGM and finger-sticks) with the target range shaded.
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import type { GlucoseSample } from "../../client/metrics/consensus.js";
import { mgdl } from "../format.js";
import { Chart } from "./Chart.js";
import { glucoseAxis, glucoseScale, targetBand } from "./glucoseScale.js";

export function GlucoseChart({ samples, label = "Glucose over time" }: { samples: readonly GlucoseSample[]; label?: string }) {
  const data = useMemo<uPlot.AlignedData>(() => [samples.map((s) => s.time / 1000), samples.map((s) => s.mgdl)], [samples]);
  const options = useMemo(
    () => ({
      scales: { x: { time: true }, "mg/dL": glucoseScale },
      axes: [{}, glucoseAxis],
      series: [{}, { label: "Glucose", scale: "mg/dL", stroke: "#1f5f8b", width: 1.5, points: { show: samples.length < 300 }, value: (_u: uPlot, v: number | null) => (v == null ? "–" : mgdl(v)) }],
      plugins: [targetBand],
    }),
    [samples.length < 300],
  );
  const last = samples[samples.length - 1];
  const summary = samples.length === 0 ? "No readings in this period." : `${samples.length} readings; the latest is ${mgdl(last!.mgdl)}.`;
  return <Chart label={label} summary={summary} options={options} data={data} testId="glucose-chart" />;
}
