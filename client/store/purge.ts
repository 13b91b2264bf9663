// What a grantee's device deletes when a share ends: the envelopes that only this share covered
// (another running share from the same patient keeps what it covers), unsent writes among them, and
// the view's cursor. What the person already saw cannot be taken back; what stays on the device can.
import { fromHex } from "../../shared/bytes.js";
import { anyCovers, policyCovers } from "../../shared/grantCoverage.js";
import type { GrantPolicy } from "../../shared/grantCodec.js";
import type { StewardDatabase } from "./database.js";

type Coverage = Pick<GrantPolicy, "entries">;

/** Deletes `patient`'s envelopes that `ended` covers and none of `running` does; returns how many. */
export async function purgeShare(db: StewardDatabase, patient: string, cursorKey: string, ended: Coverage, running: readonly Coverage[]): Promise<number> {
  return db.transaction("rw", db.envelopes, db.outbox, db.cursors, async () => {
    const rows = await db.envelopes.where("[patient+seq]").between([patient, -Infinity], [patient, Infinity], true, true).toArray();
    const gone = rows
      .filter((row) => {
        const shard = { scopeTag: fromHex(row.tag, 16), generation: row.generation, hour: row.hour };
        return policyCovers(ended, shard) && !anyCovers(running, shard);
      })
      .map((row) => row.id);
    await db.envelopes.bulkDelete(gone);
    await db.outbox.where("id").anyOf(gone).delete();
    await db.cursors.delete(cursorKey);
    return gone.length;
  });
}
