// Insulin per patient-local day for the report: boluses summed (normal and extended parts), basal
// as the pump's own daily total when the export has one (a 780G's auto basal included), otherwise
// summed from the basal deliveries (rate × duration; a rate without a duration runs until the next
// basal record, at most a day), and the total the pump reported or else basal plus bolus.
import type { StewardRecord } from "../client/index.js";

const DAY_MS = 86_400_000;

export interface InsulinDay {
  day: string;
  bolus: number;
  boluses: number;
  /** Units; undefined when the export says nothing about basal that day. */
  basal?: number;
  total?: number;
}

export function insulinByDay(records: readonly StewardRecord[], dayOf: (time: number) => string): InsulinDay[] {
  const days = new Map<
    string,
    {
      bolus: number;
      boluses: number;
      delivered?: number;
      totals: Partial<Record<"autoBasal" | "basal" | "bolus" | "total", number>>;
    }
  >();
  const day = (key: string) => {
    let d = days.get(key);
    if (!d) days.set(key, (d = { bolus: 0, boluses: 0, totals: {} }));
    return d;
  };
  const basals = records.filter((r) => r.type === "basal").sort((a, b) => a.time - b.time);
  const runs = new Map(basals.map((r, i) => [r, Math.min(DAY_MS, (basals[i + 1]?.time ?? r.time) - r.time)]));
  for (const r of records) {
    if (r.type === "bolus") {
      const d = day(dayOf(r.time));
      d.bolus += (r.body.normal ?? 0) + (r.body.extended ?? 0);
      d.boluses++;
    } else if (r.type === "basal" && r.body.rate !== undefined) {
      const d = day(dayOf(r.time));
      d.delivered = (d.delivered ?? 0) + (r.body.rate * (r.body.durationMs ?? runs.get(r) ?? 0)) / 3_600_000;
    } else if (r.type === "insulinTotal") {
      day(r.body.day).totals[r.body.kind] = r.body.units;
    }
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, d]) => {
      const pumpBasal =
        d.totals.basal !== undefined || d.totals.autoBasal !== undefined
          ? (d.totals.basal ?? 0) + (d.totals.autoBasal ?? 0)
          : undefined;
      const basal = pumpBasal ?? d.delivered;
      const bolus = d.totals.bolus ?? d.bolus;
      const total = d.totals.total ?? (basal !== undefined ? basal + bolus : undefined);
      return {
        day: key,
        bolus,
        boluses: d.boluses,
        ...(basal !== undefined ? { basal } : {}),
        ...(total !== undefined ? { total } : {}),
      };
    });
}
