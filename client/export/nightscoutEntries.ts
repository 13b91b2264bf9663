// A grant's glucose records as Nightscout `entries` documents, so Nightscout-speaking tools (xDrip+ followers,
// Nightguard, reporting scripts) can read a shared range. The inverse of the entries half of importNightscout.
import type { RecordOf, StewardRecord } from "../../shared/records.js";
import { NIGHTSCOUT_DIRECTIONS } from "../import/nightscout.js";

export interface NightscoutEntry {
  type: "sgv" | "mbg";
  /** UTC epoch ms. */
  date: number;
  /** ISO 8601 with the local offset when the record has one ("Z" otherwise). */
  dateString: string;
  sgv?: number;
  mbg?: number;
  /** Nightscout direction; "NONE" when the reading has no trend. Absent on mbg. */
  direction?: string;
  device: string;
  /** The Steward record id, so a consumer can de-duplicate. */
  identifier: string;
}

/** Our trend → Nightscout `direction` (the last name listed for a trend wins: DoubleUp, not TripleUp). */
export const DIRECTION_OF = Object.fromEntries(
  Object.entries(NIGHTSCOUT_DIRECTIONS).map(([ns, trend]) => [trend, ns]),
) as Record<string, string>;

function dateString(time: number, offsetMin: number | undefined): string {
  if (offsetMin === undefined) return new Date(time).toISOString();
  const local = new Date(time + offsetMin * 60_000).toISOString().slice(0, 23);
  const a = Math.abs(offsetMin);
  return `${local}${offsetMin < 0 ? "-" : "+"}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** cgm → sgv, bg → mbg; records of other types are left out. Newest first, as Nightscout's API returns them. */
export function toNightscoutEntries(records: readonly StewardRecord[]): NightscoutEntry[] {
  const out: NightscoutEntry[] = [];
  for (const r of records) {
    if (r.type !== "cgm" && r.type !== "bg") continue;
    const common = {
      date: r.time,
      dateString: dateString(r.time, r.timezoneOffset),
      device: r.deviceId ?? "steward",
      identifier: r.id,
    };
    if (r.type === "cgm") {
      const body = (r as RecordOf<"cgm">).body;
      out.push({
        type: "sgv",
        ...common,
        sgv: body.mgdl,
        direction: (body.trend && DIRECTION_OF[body.trend]) ?? "NONE",
      });
    } else {
      out.push({ type: "mbg", ...common, mbg: (r as RecordOf<"bg">).body.mgdl });
    }
  }
  return out.sort((a, b) => b.date - a.date || (a.identifier < b.identifier ? -1 : 1));
}
