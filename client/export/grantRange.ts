// Exports carry exactly what a grant covers: collected scope by scope over the grant's range, and a
// record outside that range is a caller's bug (or a view that leaked), so it is refused rather than
// silently written into a file for someone else.
import { OutsideGrant } from "../../shared/errors.js";
import type { Scope, StewardRecord } from "../../shared/records.js";
import type { RecordStore } from "../store/recordStore.js";

/** A grant's hour range in ms UTC, both ends inclusive. */
export interface ExportRange {
  readonly from: number;
  readonly to: number;
}

/** Throws OutsideGrant for the first record whose data time is outside `range` (identity records have none). */
export function assertWithinRange(records: readonly StewardRecord[], range: ExportRange): void {
  for (const r of records) {
    if (r.type !== "profile" && (r.time < range.from || r.time > range.to)) {
      throw new OutsideGrant(
        `record ${r.id} lies outside the exported range; export only what the grant's view returned`,
      );
    }
  }
}

/** The scopes and range of a grant (a `GrantInfo`, or what a patient picks for a report of their own data). */
export interface GrantCoverage extends ExportRange {
  readonly scopes: readonly Scope[];
}

/** Every record the store holds for the grant's scopes and range, with that range: the input of the exporters. */
export async function recordsInGrant(
  store: RecordStore,
  grant: GrantCoverage,
): Promise<{ records: StewardRecord[]; range: ExportRange }> {
  const records: StewardRecord[] = [];
  for (const scope of grant.scopes) records.push(...(await store.query({ scope, from: grant.from, to: grant.to })));
  return { records, range: { from: grant.from, to: grant.to } };
}
