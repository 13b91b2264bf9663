// The Ambulatory Glucose Profile: median by the patient's time of day with the 25-75 % and 5-95 %
// bands and the target range, as if every day of the period had happened on one day. Times of day
// with too few readings stay empty rather than drawn across. The values behind the curves are in
// a table beneath, hour by hour.
import { useMemo, useState } from "preact/hooks";
import type uPlot from "uplot";
import type { AgpPoint } from "../../client/index.js";
import { Chart } from "../components/Chart.js";
import { glucoseAxis, glucoseScale, targetBand } from "../components/glucoseScale.js";
import { timeOfDayAxis, timeOfDayScale } from "../components/timeOfDayAxis.js";
import { clockTime } from "../format.js";
import { type GlucoseUnit, glucose, glucoseValue, toUnit } from "../units.js";

const PERCENTILES = ["p5", "p25", "p50", "p75", "p95"] as const;
const edge = (label: string): uPlot.Series => ({
  label,
  scale: "glucose",
  stroke: "rgba(31, 95, 139, 0.6)",
  width: 1,
  dash: [4, 4],
  spanGaps: false,
  points: { show: false },
});

/** The profile on its full grid, null where no day had a value at that time. */
function onGrid(profile: readonly AgpPoint[], unit: GlucoseUnit): uPlot.AlignedData {
  const minutes = profile.map((p) => p.minuteOfDay).sort((a, b) => a - b);
  const steps = minutes
    .slice(1)
    .map((m, i) => m - minutes[i]!)
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  const step = steps[0] ?? 5;
  const byMinute = new Map(profile.map((p) => [p.minuteOfDay === 0 ? 1440 : p.minuteOfDay, p]));
  const xs: number[] = [];
  for (let m = 0; m <= 1440; m += step) xs.push(m);
  // Midnight is one point: 24:00 is drawn again at 00:00 so the day closes.
  const at = (m: number) => byMinute.get(m === 0 ? 1440 : m);
  return [xs, ...PERCENTILES.map((p) => xs.map((m) => (at(m) ? toUnit(at(m)![p], unit) : null)))];
}

function summary(profile: readonly AgpPoint[], unit: GlucoseUnit): string {
  if (profile.length === 0) return "Not enough readings for a profile.";
  const low = profile.reduce((a, b) => (b.p50 < a.p50 ? b : a));
  const high = profile.reduce((a, b) => (b.p50 > a.p50 ? b : a));
  const wide = profile.reduce((a, b) => (b.p95 - b.p5 > a.p95 - a.p5 ? b : a));
  return `Median glucose by time of day is lowest, ${glucose(low.p50, unit)}, around ${clockTime(low.minuteOfDay)} and highest, ${glucose(high.p50, unit)}, around ${clockTime(high.minuteOfDay)}. The spread from the 5th to the 95th percentile is widest around ${clockTime(wide.minuteOfDay)} (${glucoseValue(wide.p5, unit)} to ${glucose(wide.p95, unit)}).`;
}

/** The point nearest each full hour, for the table of values. */
function hourly(profile: readonly AgpPoint[]): AgpPoint[] {
  const out: AgpPoint[] = [];
  for (let h = 0; h < 24; h++) {
    const near = profile.reduce<AgpPoint | undefined>((best, p) => {
      const d = Math.min(Math.abs(p.minuteOfDay - h * 60), 1440 - Math.abs(p.minuteOfDay - h * 60));
      return d <= 30 &&
        (!best || d < Math.min(Math.abs(best.minuteOfDay - h * 60), 1440 - Math.abs(best.minuteOfDay - h * 60)))
        ? p
        : best;
    }, undefined);
    if (near) out.push({ ...near, minuteOfDay: h * 60 });
  }
  return out;
}

interface Props {
  /** Unsmoothed percentiles; `smoothed`, when given, is what the chart draws by default. */
  profile: readonly AgpPoint[];
  smoothed?: readonly AgpPoint[];
  unit: GlucoseUnit;
}

export function AgpChart({ profile, smoothed, unit }: Props) {
  const [raw, setRaw] = useState(false);
  const shown = smoothed && !raw ? smoothed : profile;
  const data = useMemo(() => onGrid(shown, unit), [shown, unit]);
  const options = useMemo(
    () => ({
      height: 240,
      scales: { x: timeOfDayScale, glucose: glucoseScale(unit) },
      axes: [timeOfDayAxis, glucoseAxis(unit)],
      series: [
        { label: "Time of day", value: (_u: uPlot, m: number | null) => (m == null ? "–" : clockTime(m)) },
        edge("5 %"),
        edge("25 %"),
        { label: "Median", scale: "glucose", stroke: "#1f5f8b", width: 2.5, spanGaps: false, points: { show: false } },
        edge("75 %"),
        edge("95 %"),
      ],
      bands: [
        { series: [5, 1] as [number, number], fill: "rgba(31, 95, 139, 0.13)" },
        { series: [4, 2] as [number, number], fill: "rgba(31, 95, 139, 0.3)" },
      ],
      plugins: [targetBand(unit)],
    }),
    [unit],
  );
  const hours = useMemo(() => hourly(profile), [profile]);
  return (
    <>
      <Chart
        label={`Ambulatory glucose profile: 5th, 25th, median, 75th and 95th percentiles by time of day${smoothed && !raw ? ", smoothed" : ""}`}
        summary={summary(shown, unit)}
        options={options}
        data={data}
        testId="agp-chart"
      />
      {smoothed && (
        <label class="screen-only">
          <input type="checkbox" checked={raw} onChange={(e) => setRaw((e.target as HTMLInputElement).checked)} /> Show
          the unsmoothed curves
        </label>
      )}
      <details class="screen-only">
        <summary>AGP values hour by hour (unsmoothed, {unit})</summary>
        <div class="scroll" tabIndex={0} role="region" aria-label="AGP values hour by hour">
          <table data-testid="agp-values">
            <thead>
              <tr>
                <th scope="col">Time</th>
                {PERCENTILES.map((p) => (
                  <th key={p} scope="col" class="num">
                    {p === "p50" ? "Median" : `${p.slice(1)} %`}
                  </th>
                ))}
                <th scope="col" class="num">
                  Days
                </th>
              </tr>
            </thead>
            <tbody>
              {hours.map((p) => (
                <tr key={p.minuteOfDay}>
                  <th scope="row">{clockTime(p.minuteOfDay)}</th>
                  {PERCENTILES.map((k) => (
                    <td key={k} class="num">
                      {glucoseValue(p[k], unit)}
                    </td>
                  ))}
                  <td class="num">{p.days}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
