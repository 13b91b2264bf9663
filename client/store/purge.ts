// What a grantee's device deletes when a share ends: the envelopes and blocks that only this share
// covered (another running share from the same patient keeps what it covers), unsent writes among
// them, and the view's cursor. What the person already saw cannot be taken back; what stays on the
// device can.
import { fromHex } from "../../shared/bytes.js";
import { anyCovers, policyCovers } from "../../shared/grantCoverage.js";
import type { GrantPolicy } from "../../shared/grantCodec.js";
import type { StewardDatabase } from "./database.js";

type Coverage = Pick<GrantPolicy, "entries">;

/** Whether `policy` covers every hour of [first, last] of one scope and generation (a grant's range is one span per scope). */
function coversSpan(policy: Coverage, scopeTag: Uint8Array, generation: number, first: number, last: number): boolean {
  return (
    policyCovers(policy, { scopeTag, generation, hour: first }) &&
    policyCovers(policy, { scopeTag, generation, hour: last })
  );
}

/** Deletes `patient`'s envelopes and blocks that `ended` covers and none of `running` does; returns how many. */
export async function purgeShare(
  db: StewardDatabase,
  patient: string,
  cursorKey: string,
  ended: Coverage,
  running: readonly Coverage[],
): Promise<number> {
  return db.transaction("rw", [db.envelopes, db.blocks, db.outbox, db.cursors], async () => {
    const rows = await db.envelopes
      .where("[patient+seq]")
      .between([patient, -Infinity], [patient, Infinity], true, true)
      .toArray();
    const gone = rows
      .filter((row) => {
        const shard = { scopeTag: fromHex(row.tag, 16), generation: row.generation, hour: row.hour };
        return policyCovers(ended, shard) && !anyCovers(running, shard);
      })
      .map((row) => row.id);
    // A block another share covers only in part is no use to it: it lacks the block's node key.
    const blocks = await db.blocks
      .where("[patient+seq]")
      .between([patient, -Infinity], [patient, Infinity], true, true)
      .toArray();
    const goneBlocks = blocks
      .filter((b) => {
        const tag = fromHex(b.tag, 16);
        return (
          coversSpan(ended, tag, b.generation, b.first, b.last) &&
          !running.some((p) => coversSpan(p, tag, b.generation, b.first, b.last))
        );
      })
      .map((b) => b.id);
    await db.envelopes.bulkDelete(gone);
    await db.blocks.bulkDelete(goneBlocks);
    await db.outbox.where("id").anyOf(gone).delete();
    await db.cursors.delete(cursorKey);
    return gone.length + goneBlocks.length;
  });
}
