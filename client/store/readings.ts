// Device readings are written once and never changed, so two copies of one reading (same hour and
// id) are one. Should two devices ever write different readings under one id, every device keeps
// the same one: the one whose canonical JSON sorts last. Nothing depends on arrival order.
import type { StewardRecord } from "../../shared/records.js";
import { sameValue } from "./hourDoc.js";

/** JSON with keys sorted at every level: equal records give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function pickReading(existing: StewardRecord | undefined, candidate: StewardRecord): StewardRecord {
  if (!existing || sameValue(existing, candidate)) return existing ?? candidate;
  return canonicalJson(candidate) > canonicalJson(existing) ? candidate : existing;
}
