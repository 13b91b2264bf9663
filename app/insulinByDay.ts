// Insulin per local day, for the clinician's summary: bolus parts summed, and the pump's own daily
// totals (when the export has them) kept per kind.
import type { StewardRecord } from "../shared/records.js";
import { localDate } from "./format.js";

export interface Day {
  bolus: number;
  boluses: number;
  totals: Partial<Record<"autoBasal" | "basal" | "bolus" | "total", number>>;
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
