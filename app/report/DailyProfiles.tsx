// "Daily glucose profiles": one small panel per day, midnight to midnight on the patient's clock,
// seven to a row so two weeks read as two rows. A pause longer than twice the sensor's spacing is
// left as a gap, never bridged; each panel says its day in words for screen readers.
import { memo } from "preact/compat";
import { dayLabel, percent } from "../format.js";
import { type GlucoseUnit, glucoseValue } from "../units.js";
import type { DayProfile } from "./reportData.js";

const W = 140;
const H = 70;
/** The panels' glucose axis, mg/dL: the AGP's 0-350 would flatten most days; this keeps 54-250 readable. */
const TOP = 350;
const y = (mgdl: number) => H - (Math.min(TOP, Math.max(0, mgdl)) / TOP) * H;
const x = (minute: number) => (minute / 1440) * W;

/** SVG path of the day's readings, broken at every gap. */
function path(points: DayProfile["points"], gapMinutes: number): string {
  let d = "";
  let previous: DayProfile["points"][number] | undefined;
  for (const p of points) {
    d += `${!previous || p.minute - previous.minute > gapMinutes ? "M" : "L"}${x(p.minute).toFixed(1)},${y(p.mgdl).toFixed(1)}`;
    previous = p;
  }
  return d;
}

function describe(day: DayProfile, unit: GlucoseUnit): string {
  if (day.points.length === 0) return `${dayLabel(day.day)}: no readings.`;
  const values = day.points.map((p) => p.mgdl);
  const inRange = (values.filter((v) => v >= 70 && v <= 180).length / values.length) * 100;
  return `${dayLabel(day.day)}: ${percent(inRange)} in range, lowest ${glucoseValue(Math.min(...values), unit)}, highest ${glucoseValue(Math.max(...values), unit)} ${unit}, ${values.length} readings.`;
}

function Panel({ day, unit, gapMinutes }: { day: DayProfile; unit: GlucoseUnit; gapMinutes: number }) {
  const text = describe(day, unit);
  return (
    <li class={day.points.length === 0 ? "day empty-day" : "day"} data-testid="daily-profile" data-day={day.day}>
      <span class="day-label" aria-hidden="true">
        {dayLabel(day.day)}
      </span>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={text} preserveAspectRatio="none">
        <rect class="target" x={0} y={y(180)} width={W} height={y(70) - y(180)} />
        <line class="limit" x1={0} x2={W} y1={y(54)} y2={y(54)} />
        <line class="limit" x1={0} x2={W} y1={y(250)} y2={y(250)} />
        <line class="noon" x1={W / 2} x2={W / 2} y1={0} y2={H} />
        {day.points.length > 0 && <path class="trace" d={path(day.points, gapMinutes)} />}
      </svg>
    </li>
  );
}

// Memoised: the report re-renders on every sync status and unit change, and this part is long.
export const DailyProfiles = memo(function DailyProfiles({
  days,
  unit,
  intervalMinutes,
}: {
  days: readonly DayProfile[];
  unit: GlucoseUnit;
  intervalMinutes: number;
}) {
  const gap = Math.max(2 * intervalMinutes, 10);
  // Rows of seven, ending with the last day of the period; the print shows the last two weeks.
  const rows: DayProfile[][] = [];
  for (let end = days.length; end > 0; end -= 7) rows.unshift(days.slice(Math.max(0, end - 7), end) as DayProfile[]);
  return (
    <div class="daily-profiles" data-testid="daily-profiles">
      {rows.map((row, i) => (
        <ol
          key={row[0]!.day}
          class={`week${rows.length - i > 2 ? " earlier" : ""}`}
          aria-label={`${dayLabel(row[0]!.day)} to ${dayLabel(row.at(-1)!.day)}`}
        >
          {row.map((day) => (
            <Panel key={day.day} day={day} unit={unit} gapMinutes={gap} />
          ))}
        </ol>
      ))}
      <p class="hint">
        Each panel is one day from midnight to midnight (patient's time), noon marked; the band is the target range, the
        lines 54 and 250 mg/dL ({glucoseValue(54, unit)} and {glucoseValue(250, unit)} {unit}).
      </p>
    </div>
  );
});
