// Exports carry exactly what a grant covers: a record outside the exported range is a caller's bug
// (or a view that leaked), so it is refused rather than silently written into a file for someone else.
import { OutsideGrant } from "../../shared/errors.js";
import type { StewardRecord } from "../../shared/records.js";

/** A grant's hour range in ms UTC, both ends inclusive. */
export interface ExportRange {
  readonly from: number;
  readonly to: number;
}

/** Throws OutsideGrant for the first record whose data time is outside `range` (identity records have none). */
export function assertWithinRange(records: readonly StewardRecord[], range: ExportRange): void {
  for (const r of records) {
    if (r.type !== "profile" && (r.time < range.from || r.time > range.to)) {
      throw new OutsideGrant(`record ${r.id} lies outside the exported range; export only what the grant's view returned`);
    }
  }
}
