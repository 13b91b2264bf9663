// Glucose over time (CGM and finger-sticks) with the target range shaded, in the reader's unit.
// A pause between readings longer than the sensor's spacing stays a gap in the line.
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import type { GlucoseSample } from "../../client/index.js";
import { type GlucoseUnit, glucose, toUnit } from "../units.js";
import { Chart } from "./Chart.js";
import { glucoseAxis, glucoseScale, targetBand } from "./glucoseScale.js";

/** The series with a null wherever two readings are more than twice the usual spacing apart. */
function withGaps(samples: readonly GlucoseSample[], unit: GlucoseUnit): uPlot.AlignedData {
  const spacing = samples
    .slice(1)
    .map((s, i) => s.time - samples[i]!.time)
    .sort((a, b) => a - b);
  const gap = 2 * (spacing[Math.floor(spacing.length / 2)] ?? 300_000);
  const times: number[] = [];
  const values: (number | null)[] = [];
  samples.forEach((s, i) => {
    const previous = samples[i - 1];
    if (previous && s.time - previous.time > gap) {
      times.push((previous.time + s.time) / 2000);
      values.push(null);
    }
    times.push(s.time / 1000);
    values.push(toUnit(s.mgdl, unit));
  });
  return [times, values];
}

export function GlucoseChart({
  samples,
  unit,
  label = "Glucose over time",
}: {
  samples: readonly GlucoseSample[];
  unit: GlucoseUnit;
  label?: string;
}) {
  const data = useMemo(() => withGaps(samples, unit), [samples, unit]);
  const dots = samples.length < 300;
  const options = useMemo(
    () => ({
      scales: { x: { time: true }, glucose: glucoseScale(unit) },
      axes: [{}, glucoseAxis(unit)],
      series: [
        {},
        {
          label: "Glucose",
          scale: "glucose",
          stroke: "#1f5f8b",
          width: 1.5,
          spanGaps: false,
          points: { show: dots },
          value: (_u: uPlot, v: number | null) => (v == null ? "–" : `${v.toFixed(unit === "mg/dL" ? 0 : 1)} ${unit}`),
        },
      ],
      plugins: [targetBand(unit)],
    }),
    [dots, unit],
  );
  const last = samples[samples.length - 1];
  const summary =
    samples.length === 0
      ? "No readings in this period."
      : `${samples.length} readings; the latest is ${glucose(last!.mgdl, unit)}.`;
  return <Chart label={label} summary={summary} options={options} data={data} testId="glucose-chart" />;
}
