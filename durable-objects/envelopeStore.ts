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

/** Bound parameters per statement: the Durable Object SQLite limit. */
const MAX_PARAMS = 100;
const ROW_COLUMNS = ["seq", "envelope_id", "kind", "scope_tag", "generation", "hour", "prefix", "body", "size"];
const ROWS_PER_INSERT = Math.floor(MAX_PARAMS / ROW_COLUMNS.length);

interface ChainHead {
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  lastSeq: number;
  lastLink: Uint8Array;
  moved: boolean;
}

/** What one batch of appends has read and queued; dropped when the batch ends, whether it wrote or not. */
interface Appending {
  readonly stored: Map<string, { seq: number; prefix: Uint8Array }>;
  readonly chains: Map<string, ChainHead>;
  readonly generations: Map<string, number | null>;
  readonly rows: SqlStorageValue[][];
  nextSeq: number;
}

export class EnvelopeStore {
  private appending: Appending | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /**
   * Runs `fn`, which checks and appends the envelopes of one batch, inside the caller's
   * transactionSync. Stored ids, chain heads and generations are read once per batch and the rows
   * are written many to a statement when `fn` returns, instead of five statements per envelope; if
   * `fn` throws, nothing is written.
   */
  appendBatch<T>(envelopes: readonly Envelope[], fn: () => T): T {
    this.appending = { stored: this.storedIds(envelopes.map((e) => e.header.envelopeId)), chains: new Map(), generations: new Map(), rows: [], nextSeq: this.lastSeq() + 1 };
    try {
      const result = fn();
      this.writeQueued(this.appending);
      return result;
    } finally {
      this.appending = null;
    }
  }

  /** The seq of an already stored envelope with this id: a retry when the bytes are identical. */
  existingSeq(envelope: Envelope, bytes: Uint8Array): number | null {
    const row = this.batch().stored.get(mapKey(envelope.header.envelopeId));
    if (!row) return null;
    if (!bytesEqual(row.prefix, bytes.subarray(0, PREFIX_BYTES))) {
      throw new Refusal("conflict", `envelope id ${toHex(envelope.header.envelopeId)} is already stored with different content`);
    }
    return row.seq;
  }

  currentGeneration(scopeTag: Uint8Array): number | null {
    const read = () => this.sql.exec<{ generation: number }>("SELECT generation FROM generations WHERE scope_tag = ?", blob(scopeTag)).toArray()[0]?.generation ?? null;
    if (!this.appending) return read();
    const key = mapKey(scopeTag);
    if (!this.appending.generations.has(key)) this.appending.generations.set(key, read());
    return this.appending.generations.get(key)!;
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
    const { deviceId, seq, prevHash } = envelope.header;
    const head = this.chainHead(envelope);
    if (seq !== head.lastSeq + 1) throw new Refusal("chain_broken", `device ${toHex(deviceId)} sent seq ${seq} but the server holds up to ${head.lastSeq}: push the missing envelopes in order`);
    if (!bytesEqual(prevHash, head.lastLink)) throw new Refusal("chain_broken", `envelope ${seq} of device ${toHex(deviceId)} does not link to the device's previous envelope`);
  }

  /** Queues the envelope, advances its device chain and returns the server seq it is stored at. */
  append(envelope: Envelope, bytes: Uint8Array): number {
    const batch = this.batch();
    const h = envelope.header;
    const seq = batch.nextSeq++;
    const prefix = bytes.slice(0, PREFIX_BYTES);
    batch.rows.push([seq, blob(h.envelopeId), h.kind, blob(h.scopeTag), h.generation, h.hour, prefix.buffer, blob(envelope.body), bytes.length]);
    // A later copy of the same envelope in this batch is then a retry, as it would be in the next one.
    batch.stored.set(mapKey(h.envelopeId), { seq, prefix });
    const head = this.chainHead(envelope);
    head.lastSeq = h.seq;
    head.lastLink = envelopeLink(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
    head.moved = true;
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

  private batch(): Appending {
    if (!this.appending) throw new Error("envelopes are checked and appended inside appendBatch");
    return this.appending;
  }

  private storedIds(ids: readonly Uint8Array[]): Appending["stored"] {
    const stored: Appending["stored"] = new Map();
    for (let i = 0; i < ids.length; i += MAX_PARAMS) {
      const chunk = ids.slice(i, i + MAX_PARAMS);
      const rows = this.sql.exec<{ envelope_id: ArrayBuffer; seq: number; prefix: ArrayBuffer }>(
        `SELECT envelope_id, seq, prefix FROM envelopes WHERE envelope_id IN (${placeholders(chunk.length)})`,
        ...chunk.map(blob),
      );
      for (const row of rows) stored.set(mapKey(bytesOf(row.envelope_id)), { seq: row.seq, prefix: bytesOf(row.prefix) });
    }
    return stored;
  }

  private chainHead(envelope: Envelope): ChainHead {
    const chains = this.batch().chains;
    const { authorKey, deviceId } = envelope.header;
    const key = mapKey(authorKey) + mapKey(deviceId);
    let head = chains.get(key);
    if (!head) {
      const row = this.sql.exec<{ last_seq: number; last_link: ArrayBuffer }>("SELECT last_seq, last_link FROM chains WHERE author_key = ? AND device_id = ?", blob(authorKey), blob(deviceId)).toArray()[0];
      head = { authorKey, deviceId, lastSeq: row?.last_seq ?? 0, lastLink: row ? bytesOf(row.last_link) : new Uint8Array(32), moved: false };
      chains.set(key, head);
    }
    return head;
  }

  private writeQueued(batch: Appending): void {
    for (let i = 0; i < batch.rows.length; i += ROWS_PER_INSERT) {
      const chunk = batch.rows.slice(i, i + ROWS_PER_INSERT);
      this.sql.exec(`INSERT INTO envelopes (${ROW_COLUMNS.join(", ")}) VALUES ${chunk.map((row) => `(${placeholders(row.length)})`).join(", ")}`, ...chunk.flat());
    }
    for (const head of batch.chains.values()) {
      if (!head.moved) continue;
      this.sql.exec(
        "INSERT INTO chains (author_key, device_id, last_seq, last_link) VALUES (?, ?, ?, ?) ON CONFLICT (author_key, device_id) DO UPDATE SET last_seq = excluded.last_seq, last_link = excluded.last_link",
        blob(head.authorKey),
        blob(head.deviceId),
        head.lastSeq,
        blob(head.lastLink),
      );
    }
  }

  lastSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM envelopes").one().s ?? 0;
  }

  /** The page entries of these rows, in the order of `seqs` (ascending): whole envelopes, or only the prefix once compacted. */
  entries(seqs: readonly number[]): PageEntry[] {
    const out: PageEntry[] = [];
    for (let i = 0; i < seqs.length; i += MAX_PARAMS) {
      const chunk = seqs.slice(i, i + MAX_PARAMS);
      const rows = this.sql.exec<{ seq: number; prefix: ArrayBuffer; body: ArrayBuffer | null }>(`SELECT seq, prefix, body FROM envelopes WHERE seq IN (${placeholders(chunk.length)}) ORDER BY seq`, ...chunk);
      for (const row of rows) out.push(pageEntry(row.seq, bytesOf(row.prefix), row.body === null ? null : bytesOf(row.body)));
    }
    return out;
  }
}

/** A Map key for fixed-length ids and keys: one char per byte, cheaper than hex for thousands of envelopes. */
function mapKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

function pageEntry(seq: number, prefix: Uint8Array, body: Uint8Array | null): PageEntry {
  if (body === null) return { seq, compacted: true, bytes: prefix };
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix);
  bytes.set(body, prefix.length);
  return { seq, compacted: false, bytes };
}
