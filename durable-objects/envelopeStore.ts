// Envelope rows, device chains and declared generations of one patient log. Synchronous SQL only,
// so callers can run a whole batch inside one transactionSync.
import { bytesEqual, toHex } from "../shared/bytes.js";
import { PREFIX_BYTES, envelopeLink, type Envelope } from "../shared/envelopeCodec.js";
import type { PageEntry } from "../shared/syncFrames.js";
import type { Shard } from "./grantRules.js";
import { Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";

export interface ScannedRow extends Shard {
  readonly seq: number;
  readonly size: number;
}

export class EnvelopeStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The seq of an already stored envelope with this id: a retry when the bytes are identical. */
  existingSeq(envelope: Envelope, bytes: Uint8Array): number | null {
    const row = this.sql.exec<{ seq: number; prefix: ArrayBuffer }>("SELECT seq, prefix FROM envelopes WHERE envelope_id = ?", blob(envelope.header.envelopeId)).toArray()[0];
    if (!row) return null;
    if (!bytesEqual(bytesOf(row.prefix), bytes.subarray(0, PREFIX_BYTES))) {
      throw new Refusal("conflict", `envelope id ${toHex(envelope.header.envelopeId)} is already stored with different content`);
    }
    return row.seq;
  }

  currentGeneration(scopeTag: Uint8Array): number | null {
    return this.sql.exec<{ generation: number }>("SELECT generation FROM generations WHERE scope_tag = ?", blob(scopeTag)).toArray()[0]?.generation ?? null;
  }

  declareGeneration(scopeTag: Uint8Array, generation: number): void {
    const current = this.currentGeneration(scopeTag);
    if (current !== null && generation < current) throw new Refusal("stale_generation", `generation ${generation} is older than the current generation ${current} of this scope`);
    this.sql.exec("INSERT INTO generations (scope_tag, generation) VALUES (?, ?) ON CONFLICT (scope_tag) DO UPDATE SET generation = excluded.generation", blob(scopeTag), generation);
  }

  generations(): { scopeTag: string; generation: number }[] {
    return this.sql
      .exec<{ scope_tag: ArrayBuffer; generation: number }>("SELECT scope_tag, generation FROM generations ORDER BY scope_tag")
      .toArray()
      .map((r) => ({ scopeTag: toHex(bytesOf(r.scope_tag)), generation: r.generation }));
  }

  /** Refuses unless the envelope continues its author device's chain (seq = last + 1, prevHash = last link). */
  checkChain(envelope: Envelope): void {
    const { authorKey, deviceId, seq, prevHash } = envelope.header;
    const row = this.sql.exec<{ last_seq: number; last_link: ArrayBuffer }>("SELECT last_seq, last_link FROM chains WHERE author_key = ? AND device_id = ?", blob(authorKey), blob(deviceId)).toArray()[0];
    const lastSeq = row?.last_seq ?? 0;
    if (seq !== lastSeq + 1) throw new Refusal("chain_broken", `device ${toHex(deviceId)} sent seq ${seq} but the server holds up to ${lastSeq}: push the missing envelopes in order`);
    const expected = row ? bytesOf(row.last_link) : new Uint8Array(32);
    if (!bytesEqual(prevHash, expected)) throw new Refusal("chain_broken", `envelope ${seq} of device ${toHex(deviceId)} does not link to the device's previous envelope`);
  }

  /** Appends the envelope and advances its device chain; returns the server seq. */
  append(envelope: Envelope, bytes: Uint8Array): number {
    const h = envelope.header;
    const seq = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO envelopes (envelope_id, kind, scope_tag, generation, hour, prefix, body, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        blob(h.envelopeId),
        h.kind,
        blob(h.scopeTag),
        h.generation,
        h.hour,
        blob(bytes.subarray(0, PREFIX_BYTES)),
        blob(envelope.body),
        bytes.length,
      )
      .one().seq;
    const link = envelopeLink(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
    this.sql.exec(
      "INSERT INTO chains (author_key, device_id, last_seq, last_link) VALUES (?, ?, ?, ?) ON CONFLICT (author_key, device_id) DO UPDATE SET last_seq = excluded.last_seq, last_link = excluded.last_link",
      blob(h.authorKey),
      blob(h.deviceId),
      h.seq,
      blob(link),
    );
    return seq;
  }

  /** Drops the body of each listed envelope of `shard`; refuses ids that are unknown, elsewhere or already compacted. */
  dropBodies(ids: readonly Uint8Array[], shard: Shard): void {
    for (const id of ids) {
      const row = this.sql
        .exec<{ scope_tag: ArrayBuffer; generation: number; hour: number; compacted: number }>("SELECT scope_tag, generation, hour, body IS NULL AS compacted FROM envelopes WHERE envelope_id = ?", blob(id))
        .toArray()[0];
      if (!row) throw new Refusal("not_found", `envelope ${toHex(id)} to compact is not stored`);
      if (!bytesEqual(bytesOf(row.scope_tag), shard.scopeTag) || row.generation !== shard.generation || row.hour !== shard.hour) {
        throw new Refusal("conflict", `envelope ${toHex(id)} is not in the compacted shard (same scope tag, generation and hour)`);
      }
      if (row.compacted) throw new Refusal("conflict", `envelope ${toHex(id)} is already compacted`);
      this.sql.exec("UPDATE envelopes SET body = NULL, size = ? WHERE envelope_id = ?", PREFIX_BYTES, blob(id));
    }
  }

  /** Metadata of up to `limit` rows after `after`, in seq order, read lazily and without any body. */
  *scan(after: number, limit: number): Generator<ScannedRow> {
    const rows = this.sql.exec<{ seq: number; scope_tag: ArrayBuffer; generation: number; hour: number; size: number }>(
      "SELECT seq, scope_tag, generation, hour, size FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?",
      after,
      limit,
    );
    for (const r of rows) yield { seq: r.seq, scopeTag: bytesOf(r.scope_tag), generation: r.generation, hour: r.hour, size: r.size };
  }

  lastSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM envelopes").one().s ?? 0;
  }

  /** The page entry of one row: the whole envelope, or only its prefix once compacted. */
  entry(seq: number): PageEntry {
    const row = this.sql.exec<{ prefix: ArrayBuffer; body: ArrayBuffer | null }>("SELECT prefix, body FROM envelopes WHERE seq = ?", seq).one();
    const prefix = bytesOf(row.prefix);
    if (row.body === null) return { seq, compacted: true, bytes: prefix };
    const body = bytesOf(row.body);
    const bytes = new Uint8Array(prefix.length + body.length);
    bytes.set(prefix);
    bytes.set(body, prefix.length);
    return { seq, compacted: false, bytes };
  }
}
