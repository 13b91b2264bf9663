// One line per day on a 24-hour axis, in the patient's local clock: how each day went.
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { wallClockMs } from "../../client/import/timezone.js";
import type { GlucoseSample } from "../../client/metrics/consensus.js";
import { Chart } from "./Chart.js";
import { glucoseAxis, glucoseScale, targetBand } from "./glucoseScale.js";
import { timeOfDayAxis, timeOfDayScale } from "./timeOfDayAxis.js";

const DAY = 86_400_000;

/** The sensor's sampling interval in whole minutes (median spacing), so lines break only at real gaps. */
function stepMinutes(samples: readonly GlucoseSample[]): number {
  const gaps = samples.slice(1).map((s, i) => s.time - samples[i]!.time).sort((a, b) => a - b);
  return Math.max(1, Math.round((gaps[Math.floor(gaps.length / 2)] ?? 300_000) / 60_000));
}

/** Days (local date → values on the sampling grid, null where there is no reading). */
function byDay(samples: readonly GlucoseSample[], timeZone: string, step: number): Map<string, (number | null)[]> {
  const days = new Map<string, (number | null)[]>();
  for (const s of samples) {
    const local = wallClockMs(s.time, timeZone);
    const day = new Date(Math.floor(local / DAY) * DAY).toISOString().slice(0, 10);
    let values = days.get(day);
    if (!values) days.set(day, (values = new Array<number | null>(Math.floor(1440 / step) + 1).fill(null)));
    values[Math.round((local % DAY) / 60_000 / step)] = s.mgdl;
  }
  return days;
}

export function DailyTraces({ samples, timeZone }: { samples: readonly GlucoseSample[]; timeZone: string }) {
  const step = useMemo(() => stepMinutes(samples), [samples]);
  const days = useMemo(() => byDay(samples, timeZone, step), [samples, timeZone, step]);
  const data = useMemo<uPlot.AlignedData>(() => [Array.from({ length: Math.floor(1440 / step) + 1 }, (_, i) => i * step), ...days.values()], [days, step]);
  const options = useMemo(
    () => ({
      scales: { x: timeOfDayScale, "mg/dL": glucoseScale },
      axes: [timeOfDayAxis, glucoseAxis],
      legend: { show: false },
      series: [{}, ...[...days.keys()].map((day, i) => ({ label: day, scale: "mg/dL", stroke: `hsl(${(i * 47) % 360} 55% 45% / 0.7)`, width: 1, spanGaps: false, points: { show: false } }))],
      plugins: [targetBand],
    }),
    [days],
  );
  return <Chart label={`Daily traces (${days.size} days, local time)`} summary={`${days.size} days of readings drawn one line per day.`} options={options} data={data} testId="daily-traces" />;
}
