// What a clinician's screen computes once the records are in memory, the same for Steward and its
// peers: the consensus CGM metrics, the AGP percentile curves and the insulin and carb totals.
import { agpProfile } from "../client/metrics/agp.js";
import { consensusMetrics } from "../client/metrics/consensus.js";
import type { StewardRecord } from "../shared/records.js";

export interface ClinicianView {
  readonly readings: number;
  readonly meanMgdl: number;
  readonly timeInRange: number;
  readonly agpPoints: number;
  readonly insulinUnits: number;
  readonly carbsG: number;
}

export function clinicianView(
  glucose: readonly StewardRecord[],
  insulin: readonly StewardRecord[],
  events: readonly StewardRecord[],
): ClinicianView {
  const samples = glucose.flatMap((r) =>
    r.type === "cgm" || r.type === "bg" ? [{ time: r.time, mgdl: r.body.mgdl }] : [],
  );
  const metrics = consensusMetrics(samples);
  if (!metrics) throw new Error("the clinician view got no glucose readings: the benchmark's data did not arrive");
  const agp = agpProfile(samples, { timeZone: "Europe/Paris" });
  let insulinUnits = 0;
  for (const r of insulin) {
    if (r.type === "bolus") insulinUnits += r.body.normal ?? 0;
    else if (r.type === "basal") insulinUnits += ((r.body.rate ?? 0) * (r.body.durationMs ?? 0)) / 3_600_000;
  }
  const carbsG = events.reduce((sum, r) => sum + (r.type === "food" ? (r.body.carbsG ?? 0) : 0), 0);
  return {
    readings: metrics.readings,
    meanMgdl: metrics.mean,
    timeInRange: metrics.inRange70to180,
    agpPoints: agp.length,
    insulinUnits,
    carbsG,
  };
}

/** Throws when two systems computed different screens from what should be the same data. */
export function assertSameView(a: ClinicianView, b: ClinicianView, what: string): void {
  const differs = (Object.keys(a) as (keyof ClinicianView)[]).filter(
    (k) => Math.abs(a[k] - b[k]) > 1e-6 * Math.max(1, Math.abs(a[k])),
  );
  if (differs.length > 0)
    throw new Error(`${what}: the two clients disagree on ${differs.join(", ")}; the comparison would be meaningless`);
}
