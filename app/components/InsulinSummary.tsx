// Insulin per day: boluses delivered (normal + extended parts) and the pump's own daily totals
// when the export has them, with the averages a clinician looks for first.
import type { StewardRecord } from "../../shared/records.js";
import { insulinByDay } from "../insulinByDay.js";

const units = (u: number | undefined) => (u === undefined ? "–" : `${u.toFixed(1)} U`);

export function InsulinSummary({ records }: { records: readonly StewardRecord[] }) {
  const days = insulinByDay(records);
  if (days.size === 0) return <p class="empty">No insulin records in this period.</p>;
  const list = [...days.values()];
  const meanBolus = list.reduce((s, d) => s + d.bolus, 0) / list.length;
  const withTotal = list.filter((d) => d.totals.total !== undefined);
  return (
    <section aria-label="Insulin summary" data-testid="insulin-summary">
      <p>
        Average bolus insulin per day: <strong>{units(meanBolus)}</strong> over {days.size} days
        {withTotal.length > 0 ? `; average total daily dose reported by the pump: ${units(withTotal.reduce((s, d) => s + d.totals.total!, 0) / withTotal.length)}` : ""}.
      </p>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Boluses</th>
              <th scope="col">Bolus insulin</th>
              <th scope="col">Basal (pump)</th>
              <th scope="col">Total (pump)</th>
            </tr>
          </thead>
          <tbody>
            {[...days.entries()].map(([key, d]) => (
              <tr key={key}>
                <td>{key}</td>
                <td class="num">{d.boluses}</td>
                <td class="num">{units(d.bolus)}</td>
                <td class="num">{units(d.totals.basal ?? d.totals.autoBasal)}</td>
                <td class="num">{units(d.totals.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
