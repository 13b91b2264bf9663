// Insulin per day: boluses delivered (normal + extended parts) and the pump's own daily totals
// when the export has them, with the averages a clinician looks for first.
import type { StewardRecord } from "../../shared/records.js";

interface Day {
  bolus: number;
  boluses: number;
  totals: Partial<Record<"autoBasal" | "basal" | "bolus" | "total", number>>;
}

function localDate(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function insulinByDay(records: readonly StewardRecord[]): Map<string, Day> {
  const days = new Map<string, Day>();
  const day = (key: string) => {
    let d = days.get(key);
    if (!d) days.set(key, (d = { bolus: 0, boluses: 0, totals: {} }));
    return d;
  };
  for (const r of records) {
    if (r.type === "bolus") {
      const d = day(localDate(r.time));
      d.bolus += (r.body.normal ?? 0) + (r.body.extended ?? 0);
      d.boluses++;
    } else if (r.type === "insulinTotal") {
      day(r.body.day).totals[r.body.kind] = r.body.units;
    }
  }
  return new Map([...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

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
