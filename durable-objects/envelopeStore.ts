// The rows of one patient log: hour envelopes and blocks in one numbered sequence, device chains and
// declared generations. Synchronous SQL only, so callers can run a whole upload inside one
// transactionSync.
import { bytesEqual, toHex } from "../shared/bytes.js";
import { BLOCK_PREFIX_BYTES, blockSpan, type Block } from "../shared/blockCodec.js";
import { PREFIX_BYTES, envelopeLink, type Envelope } from "../shared/envelopeCodec.js";
import type { PageEntry } from "../shared/syncFrames.js";
import type { Shard } from "./grantRules.js";
import { Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";

export interface ScannedRow extends Shard {
  readonly seq: number;
  readonly size: number;
  readonly kind: string;
  readonly version: number;
  /** Blocks: level and last hour of the span (hour is the first). */
  readonly level: number | null;
  readonly lastHour: number | null;
  readonly basis: number | null;
  /** Envelopes whose body a level-0 block replaced: that block's seq. */
  readonly replacedBy: number | null;
}

/** Bound parameters per statement: the Durable Object SQLite limit. */
export const MAX_PARAMS = 100;
const ROW_COLUMNS = [
  "seq",
  "envelope_id",
  "kind",
  "scope_tag",
  "generation",
  "hour",
  "prefix",
  "body",
  "size",
  "version",
  "link",
  "level",
  "last_hour",
  "basis",
];
const ROWS_PER_INSERT = Math.floor(MAX_PARAMS / ROW_COLUMNS.length);
export const SCAN_COLUMNS =
  "seq, kind, scope_tag, generation, hour, size, version, level, last_hour, basis, replaced_by";

export type ScanRow = {
  seq: number;
  kind: string;
  scope_tag: ArrayBuffer;
  generation: number;
  hour: number;
  size: number;
  version: number;
  level: number | null;
  last_hour: number | null;
  basis: number | null;
  replaced_by: number | null;
};

export function scanned(r: ScanRow): ScannedRow {
  return {
    seq: r.seq,
    kind: r.kind,
    scopeTag: bytesOf(r.scope_tag),
    generation: r.generation,
    hour: r.hour,
    size: r.size,
    version: r.version,
    level: r.level,
    lastHour: r.last_hour,
    basis: r.basis,
    replacedBy: r.replaced_by,
  };
}

interface ChainHead {
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  lastSeq: number;
  lastLink: Uint8Array;
  moved: boolean;
}

/** What one upload has read and queued; dropped when it ends, whether it wrote or not. */
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
   * Runs `fn`, which checks and appends the objects of one upload, inside the caller's
   * transactionSync. Stored ids, chain heads and generations are read once per upload and rows are
   * written many to a statement when `fn` returns; if `fn` throws, nothing is written.
   */
  appendBatch<T>(ids: readonly Uint8Array[], fn: () => T): T {
    this.appending = {
      stored: this.storedIds(ids),
      chains: new Map(),
      generations: new Map(),
      rows: [],
      nextSeq: this.lastSeq() + 1,
    };
    try {
      const result = fn();
      this.writeQueued(this.appending);
      return result;
    } finally {
      this.appending = null;
    }
  }

  /** The seq of an already stored object with this id: a retry when its prefix is identical. */
  existingSeq(id: Uint8Array, bytes: Uint8Array, prefixBytes: number): number | null {
    const row = this.batch().stored.get(mapKey(id));
    if (!row) return null;
    if (!bytesEqual(row.prefix, bytes.subarray(0, prefixBytes)))
      throw new Refusal("conflict", `id ${toHex(id)} is already stored with different content`);
    return row.seq;
  }

  currentGeneration(scopeTag: Uint8Array): number | null {
    const read = () =>
      this.sql
        .exec<{ generation: number }>("SELECT generation FROM generations WHERE scope_tag = ?", blob(scopeTag))
        .toArray()[0]?.generation ?? null;
    if (!this.appending) return read();
    const key = mapKey(scopeTag);
    if (!this.appending.generations.has(key)) this.appending.generations.set(key, read());
    return this.appending.generations.get(key)!;
  }

  declareGeneration(scopeTag: Uint8Array, generation: number): void {
    const current = this.currentGeneration(scopeTag);
    if (current !== null && generation < current)
      throw new Refusal(
        "stale_generation",
        `generation ${generation} is older than the current generation ${current} of this scope`,
      );
    this.sql.exec(
      "INSERT INTO generations (scope_tag, generation) VALUES (?, ?) ON CONFLICT (scope_tag) DO UPDATE SET generation = excluded.generation",
      blob(scopeTag),
      generation,
    );
  }

  generations(): { scopeTag: string; generation: number }[] {
    return this.sql
      .exec<{ scope_tag: ArrayBuffer; generation: number }>(
        "SELECT scope_tag, generation FROM generations ORDER BY scope_tag",
      )
      .toArray()
      .map((r) => ({ scopeTag: toHex(bytesOf(r.scope_tag)), generation: r.generation }));
  }

  /** Refuses unless the envelope continues its author device's chain (seq = last + 1, prevHash = last link). */
  checkChain(envelope: Envelope): void {
    const { deviceId, seq, prevHash } = envelope.header;
    const head = this.chainHead(envelope);
    if (seq !== head.lastSeq + 1)
      throw new Refusal(
        "chain_broken",
        `device ${toHex(deviceId)} sent seq ${seq} but the server holds up to ${head.lastSeq}: push the missing envelopes in order`,
      );
    if (!bytesEqual(prevHash, head.lastLink))
      throw new Refusal(
        "chain_broken",
        `envelope ${seq} of device ${toHex(deviceId)} does not link to the device's previous envelope`,
      );
  }

  /** Queues the envelope, advances its device chain and returns the server seq it is stored at. */
  append(envelope: Envelope, bytes: Uint8Array): number {
    const batch = this.batch();
    const h = envelope.header;
    const seq = batch.nextSeq++;
    const prefix = bytes.slice(0, PREFIX_BYTES);
    const link = envelopeLink(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
    batch.rows.push([
      seq,
      blob(h.envelopeId),
      h.kind,
      blob(h.scopeTag),
      h.generation,
      h.hour,
      prefix.buffer,
      blob(envelope.body),
      bytes.length,
      h.version,
      blob(link),
      null,
      null,
      null,
    ]);
    // A later copy of the same envelope in this upload is then a retry, as it would be in the next one.
    batch.stored.set(mapKey(h.envelopeId), { seq, prefix });
    const head = this.chainHead(envelope);
    head.lastSeq = h.seq;
    head.lastLink = link;
    head.moved = true;
    return seq;
  }

  /** Queues a block the caller checked; returns its seq. */
  appendBlock(block: Block, bytes: Uint8Array): number {
    const batch = this.batch();
    const h = block.header;
    const seq = batch.nextSeq++;
    const prefix = bytes.slice(0, BLOCK_PREFIX_BYTES);
    const { first, last } = blockSpan(h);
    batch.rows.push([
      seq,
      blob(h.blockId),
      "block",
      blob(h.scopeTag),
      h.generation,
      first,
      prefix.buffer,
      blob(block.body),
      bytes.length,
      h.version,
      null,
      h.level,
      last,
      h.basis,
    ]);
    batch.stored.set(mapKey(h.blockId), { seq, prefix });
    return seq;
  }

  /** The seq the next append of this upload takes. */
  nextSeq(): number {
    return this.batch().nextSeq;
  }

  /** Metadata of up to `limit` rows after `after`, in seq order, read lazily and without any body. */
  *scan(after: number, limit: number): Generator<ScannedRow> {
    for (const r of this.sql.exec<ScanRow>(
      `SELECT ${SCAN_COLUMNS} FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?`,
      after,
      limit,
    ))
      yield scanned(r);
  }

  private batch(): Appending {
    if (!this.appending) throw new Error("objects are checked and appended inside appendBatch");
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
      for (const row of rows)
        stored.set(mapKey(bytesOf(row.envelope_id)), { seq: row.seq, prefix: bytesOf(row.prefix) });
    }
    return stored;
  }

  private chainHead(envelope: Envelope): ChainHead {
    const chains = this.batch().chains;
    const { authorKey, deviceId } = envelope.header;
    const key = mapKey(authorKey) + mapKey(deviceId);
    let head = chains.get(key);
    if (!head) {
      const row = this.sql
        .exec<{ last_seq: number; last_link: ArrayBuffer }>(
          "SELECT last_seq, last_link FROM chains WHERE author_key = ? AND device_id = ?",
          blob(authorKey),
          blob(deviceId),
        )
        .toArray()[0];
      head = {
        authorKey,
        deviceId,
        lastSeq: row?.last_seq ?? 0,
        lastLink: row ? bytesOf(row.last_link) : new Uint8Array(32),
        moved: false,
      };
      chains.set(key, head);
    }
    return head;
  }

  private writeQueued(batch: Appending): void {
    for (let i = 0; i < batch.rows.length; i += ROWS_PER_INSERT) {
      const chunk = batch.rows.slice(i, i + ROWS_PER_INSERT);
      this.sql.exec(
        `INSERT INTO envelopes (${ROW_COLUMNS.join(", ")}) VALUES ${chunk.map((row) => `(${placeholders(row.length)})`).join(", ")}`,
        ...chunk.flat(),
      );
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

  /** Where a device's chain ends in the stored log (seq 0 and a zero link before its first envelope). */
  chainOf(authorKey: Uint8Array, deviceId: Uint8Array): { seq: number; link: Uint8Array } {
    const row = this.sql
      .exec<{ last_seq: number; last_link: ArrayBuffer }>(
        "SELECT last_seq, last_link FROM chains WHERE author_key = ? AND device_id = ?",
        blob(authorKey),
        blob(deviceId),
      )
      .toArray()[0];
    return row ? { seq: row.last_seq, link: bytesOf(row.last_link) } : { seq: 0, link: new Uint8Array(32) };
  }

  lastSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM envelopes").one().s ?? 0;
  }

  /** The page entries of these rows, in seq order: whole objects, or only the prefix of a replaced envelope. */
  entries(seqs: readonly number[]): PageEntry[] {
    const out: PageEntry[] = [];
    const sorted = [...seqs].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i += MAX_PARAMS) {
      const chunk = sorted.slice(i, i + MAX_PARAMS);
      const rows = this.sql.exec<{ seq: number; prefix: ArrayBuffer; body: ArrayBuffer | null }>(
        `SELECT seq, prefix, body FROM envelopes WHERE seq IN (${placeholders(chunk.length)}) ORDER BY seq`,
        ...chunk,
      );
      for (const row of rows)
        out.push(pageEntry(row.seq, bytesOf(row.prefix), row.body === null ? null : bytesOf(row.body)));
    }
    return out;
  }
}

/** A Map key for fixed-length ids and keys: one char per byte, cheaper than hex for thousands of rows. */
export function mapKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

function pageEntry(seq: number, prefix: Uint8Array, body: Uint8Array | null): PageEntry {
  if (body === null) return { seq, compacted: true, bytes: prefix };
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix);
  bytes.set(body, prefix.length);
  return { seq, compacted: false, bytes };
}
