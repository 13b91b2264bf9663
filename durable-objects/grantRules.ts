// What a grant's clear policy lets the server serve or accept. Pure, so it is easy to test and
// identical for pulls, live fan-out and write checks. The server enforces exactly the signed hour
// range: a live grant is extended by the patient re-issuing it (higher revision), never by the server.
import { bytesEqual, toHex } from "../shared/bytes.js";
import type { GrantPolicy } from "../shared/grantCodec.js";

import type { Shard } from "../shared/grantCoverage.js";

export { anyCovers, policyCovers, type Shard } from "../shared/grantCoverage.js";

/** A reader's own narrowing of a pull: only these tags and this hour range. */
export interface ReadFilter {
  readonly tags?: readonly Uint8Array[];
  readonly fromHour?: number;
  readonly toHour?: number;
}

export function filterMatches(filter: ReadFilter, shard: Shard): boolean {
  if (filter.tags && !filter.tags.some((t) => bytesEqual(t, shard.scopeTag))) return false;
  if (filter.fromHour !== undefined && shard.hour < filter.fromHour) return false;
  if (filter.toHour !== undefined && shard.hour > filter.toHour) return false;
  return true;
}

/**
 * Why a grantee's filter asks for something none of its grants covers (a tag it was not given, or
 * hours outside every range of the tags it asks for), or null when the request stays inside.
 */
export function outsideGrants(filter: ReadFilter, policies: readonly GrantPolicy[]): string | null {
  const entries = policies.flatMap((p) => p.entries);
  for (const tag of filter.tags ?? []) {
    if (!entries.some((e) => bytesEqual(e.scopeTag, tag)))
      return `scope tag ${toHex(tag)} is not in any of your grants`;
  }
  if (filter.fromHour === undefined && filter.toHour === undefined) return null;
  const from = filter.fromHour ?? 0;
  const to = filter.toHour ?? Number.MAX_SAFE_INTEGER;
  const relevant = filter.tags ? entries.filter((e) => filter.tags!.some((t) => bytesEqual(t, e.scopeTag))) : entries;
  if (!relevant.some((e) => e.fromHour <= to && e.toHour >= from))
    return `hours ${from} to ${filter.toHour ?? "now"} are outside your grants`;
  return null;
}
