// The CGM readings of a set of records, as the metrics take them (with each reading's UTC offset).
import type { StewardRecord } from "../../shared/records.js";
import type { GlucoseSample } from "./localTime.js";

/** CGM records as samples; finger-sticks are left out, as the consensus metrics are CGM metrics. */
export function glucoseSamples(records: readonly StewardRecord[]): GlucoseSample[] {
  const out: GlucoseSample[] = [];
  for (const r of records) {
    if (r.type !== "cgm") continue;
    out.push(
      r.timezoneOffset === undefined
        ? { time: r.time, mgdl: r.body.mgdl }
        : { time: r.time, mgdl: r.body.mgdl, timezoneOffset: r.timezoneOffset },
    );
  }
  return out;
}
