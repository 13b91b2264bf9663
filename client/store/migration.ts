// From a v1 log to v2 (docs/protocol.md §6D), on the patient's devices. A v1 hour is one Yjs document
// whose map holds every record of the hour; v2 keeps that document as the hour's Yjs state (the same
// lineage, so two devices that migrate the same hour merge, and a note's text is never doubled),
// where its entries override packed readings by id. So migrating is: seal a level-0 block of every
// hour that holds v1 envelopes (client/store/compaction.ts; its manifest lists them, and the server
// replaces their bodies in the same transaction), and turn v1 writes that never reached the server
// into v2 writes. Nothing is deleted before a block that holds it was stored.
import * as Y from "yjs";
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope, envelopeLink } from "../../shared/envelopeCodec.js";
import { epochKeys } from "../../crypto/keyTree.js";
import type { Scope } from "../../shared/records.js";
import { openBody, wipeKeys } from "../../crypto/sealedBody.js";
import type { ShardContent } from "../../shared/shardContent.js";
import { splitEnvelopePrefix } from "../../shared/syncFrames.js";
import type { KeySource } from "../keySource.js";
import { deviceKey } from "../sync/chain.js";
import { isLegacy } from "./compaction.js";
import type { Cursor, StewardDatabase, StoredEnvelope } from "./database.js";
import type { Author, Outbox } from "./outbox.js";

/** "pending" once a v1 row arrived or may be here; "done" once none is left. */
type MigrationState = "pending" | "done";

export class Migration {
  private readonly stateKey: string;

  constructor(
    private readonly db: StewardDatabase,
    private readonly keys: KeySource,
    private readonly patient: string,
    private readonly cursorKey: string,
    private readonly author: Author,
    private readonly outbox: Outbox,
  ) {
    this.stateKey = `migration:${patient}`;
  }

  /** v1 envelopes as v2 content: each hour's v1 updates, merged, are that hour's Yjs state. */
  legacyContent(rows: readonly StoredEnvelope[], scope: Scope): ShardContent {
    const byHour = new Map<number, Uint8Array[]>();
    for (const row of rows) {
      const envelope = decodeEnvelope(row.bytes, { legacy: true });
      const keys = epochKeys(this.keys.leaf(scope, envelope.header.generation, envelope.header.hour));
      try {
        const update = openBody(keys, envelope.headerBytes, envelope.body, "v1", "envelope");
        byHour.set(envelope.header.hour, [...(byHour.get(envelope.header.hour) ?? []), update]);
      } finally {
        wipeKeys(keys);
      }
    }
    const yjs = [...byHour]
      .sort(([a], [b]) => a - b)
      .map(([hour, updates]) => ({ hour, update: updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates) }));
    return { readings: [], view: [], deleted: [], yjs };
  }

  /** Marks that v1 rows arrived (a pull of a log no v2 device re-sealed yet). */
  async arrived(): Promise<void> {
    await this.db.settings.put("pending" satisfies MigrationState, this.stateKey);
  }

  /**
   * Makes the v1 rows this device holds ready to re-seal: each gets its chain link, and v1 writes the
   * server never stored become v2 writes (their v1 outbox entries and a v1 compaction still waiting
   * go; the compaction's sources are still whole here and on the server). Returns whether any v1 row
   * is here, so the caller seals their hours.
   */
  async prepare(): Promise<boolean> {
    if (!this.keys.seesWholeLog || (await this.db.settings.get(this.stateKey)) === "done") return false;
    const legacy = (
      await this.db.envelopes
        .where("[patient+seq]")
        .between([this.patient, 0], [this.patient, Infinity], true, true)
        .toArray()
    ).filter(isLegacy);
    if (legacy.length === 0) {
      await this.db.settings.put("done" satisfies MigrationState, this.stateKey);
      return false;
    }
    await this.db.transaction("rw", [this.db.envelopes, this.db.outbox, this.db.writes, this.db.cursors], async () => {
      const linked = legacy
        .filter((r) => r.link === undefined)
        .map((r) => {
          const prefix = splitEnvelopePrefix(r.bytes);
          return {
            key: r.id,
            changes: { link: toHex(envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash)) },
          };
        });
      if (linked.length > 0) await this.db.envelopes.bulkUpdate(linked);
      const unsent = legacy.filter((r) => r.seq === 0);
      if (unsent.length === 0) return;
      const entries = (await this.db.outbox.where("patient").equals(this.patient).toArray()).filter(
        (e) => e.kind === undefined,
      );
      const order = new Map(entries.map((e) => [e.id, e.order!]));
      unsent.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      const changes = unsent.flatMap((row) => {
        const envelope = decodeEnvelope(row.bytes, { legacy: true });
        // A v1 compaction waiting to be sent adds nothing: its sources are whole here and on the server.
        if (envelope.header.kind === "compaction") return [];
        const scope = this.keys.scopeOfTag(envelope.header.scopeTag);
        if (!scope) return [];
        return [{ scope, hour: envelope.header.hour, content: this.legacyContent([row], scope) }];
      });
      await this.outbox.addWrites(changes);
      // The device's own chain continues from the last envelope the server stored (a chain is its
      // author key and device id: a device now signing with its own key starts a new one).
      const cursor: Cursor = (await this.db.cursors.get(this.cursorKey)) ?? {
        patient: this.cursorKey,
        after: 0,
        heads: {},
      };
      const own = deviceKey({ authorKey: this.author.signKey, deviceId: this.author.deviceId });
      const firstUnsent = unsent
        .map((r) => decodeEnvelope(r.bytes, { legacy: true }).header)
        .filter((h) => deviceKey(h) === own)
        .sort((a, b) => a.seq - b.seq)[0];
      if (firstUnsent) {
        if (firstUnsent.seq === 1) delete cursor.heads[own];
        else cursor.heads[own] = { seq: firstUnsent.seq - 1, link: toHex(firstUnsent.prevHash) };
        await this.db.cursors.put(cursor);
      }
      await this.db.outbox.bulkDelete(entries.map((e) => e.order!));
      await this.db.envelopes.bulkDelete(unsent.map((r) => r.id));
    });
    return true;
  }

  /** Once no whole v1 row is left (every v1 hour re-sealed and replaced), there is nothing more to do. */
  async finishIfDone(): Promise<void> {
    const rows = await this.db.envelopes
      .where("[patient+seq]")
      .between([this.patient, 1], [this.patient, Infinity], true, true)
      .toArray();
    if (!rows.some(isLegacy)) await this.db.settings.put("done" satisfies MigrationState, this.stateKey);
  }
}
