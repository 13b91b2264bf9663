// What a bridge may serve: a record store and the categories and hours it covers (a grant's, or
// all of a patient's own). Every read is clamped to that coverage here, whatever the store holds,
// so nothing outside a grant's scopes and hours can reach a follower app.
import type { RecordQuery, Scope, StewardRecord } from "../../client/index.js";

export interface RecordSource {
  readonly scopes: readonly Scope[];
  /** Data time covered, ms UTC, both ends inclusive. */
  readonly from: number;
  readonly to: number;
  query(query: RecordQuery): Promise<StewardRecord[]>;
}

export const DAY_MS = 86_400_000;

export function covers(source: RecordSource, scope: Scope): boolean {
  return source.scopes.includes(scope);
}

/** Records of `scope` in [from, to] ∩ the coverage, oldest first; none for a scope not covered. */
export async function read(source: RecordSource, scope: Scope, from: number, to: number): Promise<StewardRecord[]> {
  const lo = Math.max(from, source.from);
  const hi = Math.min(to, source.to);
  if (!covers(source, scope) || hi < lo) return [];
  const records = await source.query({ scope, from: lo, to: hi });
  return records.filter((r) => r.time >= lo && r.time <= hi);
}

/**
 * The newest `count` records that `keep` accepts in [from, to], newest first. Without a lower
 * bound it looks back in widening windows, so "the last 10 readings" reads hours, not years.
 */
export async function newest(
  source: RecordSource,
  scope: Scope,
  options: { count: number; from?: number; to?: number; keep: (r: StewardRecord) => boolean },
): Promise<StewardRecord[]> {
  // "Latest" means up to now; an hour's grace keeps a reading from a clock a little ahead.
  const to = Math.min(options.to ?? Date.now() + 3_600_000, source.to);
  const floor = Math.max(options.from ?? source.from, source.from);
  const found: StewardRecord[] = [];
  let span = 6 * 3_600_000;
  let end = to;
  while (found.length < options.count && end >= floor) {
    const start = options.from !== undefined ? floor : Math.max(floor, end - span + 1);
    const batch = (await read(source, scope, start, end)).filter(options.keep);
    found.push(...batch.reverse());
    end = start - 1;
    span *= 4;
  }
  return found.slice(0, options.count);
}
