// Insulin per day (basal, bolus, total, number of boluses) with the averages a clinician reads first.
import { memo } from "preact/compat";
import type { StewardRecord } from "../../client/index.js";
import { dayLabel } from "../format.js";
import { insulinByDay } from "../insulinByDay.js";

const units = (u: number | undefined) => (u === undefined ? "–" : `${u.toFixed(1)} U`);
const mean = (values: number[]) =>
  values.length === 0 ? undefined : values.reduce((s, v) => s + v, 0) / values.length;

// Memoised: the report re-renders on every sync status and unit change, and this part is long.
export const InsulinSection = memo(function InsulinSection({
  records,
  dayOf,
}: {
  records: readonly StewardRecord[];
  dayOf: (time: number) => string;
}) {
  const days = insulinByDay(records, dayOf);
  if (days.length === 0) return <p class="empty">No insulin records in this period.</p>;
  // The first and last day of a period are usually cut short (data from mid-day, or up to now):
  // with three days or more, the averages are over the full days between them.
  const full = days.length >= 3 ? days.slice(1, -1) : days;
  const basal = mean(full.flatMap((d) => (d.basal === undefined ? [] : [d.basal])));
  const bolus = mean(full.map((d) => d.bolus));
  const total = mean(full.flatMap((d) => (d.total === undefined ? [] : [d.total])));
  const split =
    basal !== undefined && total
      ? ` (basal ${Math.round((basal / total) * 100)} %, bolus ${Math.round(((total - basal) / total) * 100)} %)`
      : "";
  return (
    <div data-testid="insulin-summary">
      <p>
        Average per day over {full.length} {full === days ? "" : "full "}day{full.length === 1 ? "" : "s"}: total{" "}
        <strong>{units(total)}</strong>
        {split}, bolus <strong>{units(bolus)}</strong>, basal <strong>{units(basal)}</strong>.
      </p>
      <div class="scroll screen-only" tabIndex={0} role="region" aria-label="Insulin per day">
        <table class="insulin" data-testid="insulin-table">
          <thead>
            <tr>
              <th scope="col">Day</th>
              {["Basal", "Bolus", "Total", "Boluses"].map((name) => (
                <th key={name} scope="col" class="num">
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{dayLabel(d.day)}</th>
                <td class="num">{units(d.basal)}</td>
                <td class="num">{units(d.bolus)}</td>
                <td class="num">{units(d.total)}</td>
                <td class="num">{d.boluses}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
