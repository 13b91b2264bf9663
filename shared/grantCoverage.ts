// Which shards (scope tag × generation × hour) a grant's clear policy covers: what the server serves
// and accepts under it, and what a grantee's device deletes when it ends. One rule for both sides.
import { bytesEqual } from "./bytes.js";
import type { GrantPolicy } from "./grantCodec.js";

export interface Shard {
  readonly scopeTag: Uint8Array;
  readonly generation: number;
  readonly hour: number;
}

export function policyCovers(policy: Pick<GrantPolicy, "entries">, shard: Shard): boolean {
  return policy.entries.some(
    (e) =>
      bytesEqual(e.scopeTag, shard.scopeTag) &&
      shard.hour >= e.fromHour &&
      shard.hour <= e.toHour &&
      e.generations.includes(shard.generation),
  );
}

export function anyCovers(policies: readonly Pick<GrantPolicy, "entries">[], shard: Shard): boolean {
  return policies.some((p) => policyCovers(p, shard));
}
