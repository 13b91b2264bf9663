// What this device wrote and the server has not acknowledged yet. A write is kept first as a
// pending write: its content sealed at rest under a key of its hour, unsigned, one IndexedDB request.
// Before a push, every pending write is sealed into hour envelopes, one per (scope, hour), signed and
// chained in one transaction (`seal`); those, and blocks this device sealed, wait in the outbox in
// order until the server numbers them (`acknowledge`).
import { ByteWriter, concat, fromHex, toHex, utf8 } from "../../shared/bytes.js";
import { sealEnvelope } from "../../crypto/envelope.js";
import {
  ZERO_HASH,
  decodeEnvelope,
  decodeEnvelopeHeader,
  encodeEnvelope,
  envelopeLink,
} from "../../shared/envelopeCodec.js";
import { OutsideGrant, TamperedEnvelope } from "../../shared/errors.js";
import type { Scope } from "../../shared/records.js";
import { decodeContent, encodeContent, type ShardContent } from "../../shared/shardContent.js";
import { sodium } from "../../crypto/sodium.js";
import { splitEnvelopePrefix } from "../../shared/syncFrames.js";
import type { KeySource } from "../keySource.js";
import { advanceChain, deviceKey } from "../sync/chain.js";
import type { Cursor, PendingWrite, StewardDatabase, StoredEnvelope } from "./database.js";
import { mergeWrites } from "./merge.js";
import { openEnvelopeContent } from "./objects.js";

export interface Author {
  readonly signKey: Uint8Array;
  readonly signSecretKey: Uint8Array;
  readonly deviceId: Uint8Array;
}

export interface Outgoing {
  readonly id: string;
  readonly kind: "envelope" | "block";
  readonly bytes: Uint8Array;
}

export interface LocalChange {
  readonly scope: Scope;
  readonly hour: number;
  readonly content: ShardContent;
}

const NONCE_BYTES = 24;
const STORE_SLICE = 32;

/** Write keys kept while the keys are unlocked: a week of both scopes' hours, written one record at a time. */
const WRITE_KEYS = 512;

/** Contents of this session's pending writes kept in memory, at most; past it they are read back. */
const WRITTEN_KEPT = 20_000;

const WRITE_AD_DOMAIN = concat(utf8("steward/local-write/v1"), new Uint8Array([0]));

export class Outbox {
  /** Write keys by scope, generation and hour, oldest first: deriving one walks the key tree. */
  private readonly writeKeys = new Map<string, Uint8Array>();
  /** The start of a write's associated data, the same for every write of a patient's scope, by patient and tag. */
  private readonly adPrefixes = new Map<string, Uint8Array>();
  /** What this session wrote, by write order, until sealed: sealing it needs no decryption. */
  private readonly written = new Map<number, ShardContent>();

  constructor(
    private readonly db: StewardDatabase,
    private readonly keys: KeySource,
    private readonly author: Author,
    private readonly patient: string,
    /** Where this reader's cursor (and so this device's own chain head) is kept. */
    private readonly cursorKey: string,
  ) {}

  async cursor(): Promise<Cursor> {
    return (await this.db.cursors.get(this.cursorKey)) ?? { patient: this.cursorKey, after: 0, heads: {} };
  }

  /**
   * Keeps changes as pending writes, in one transaction; `onSealed` hears each hour once sealed at
   * rest, `onStored` once stored. Rows are added a slice at a time so a large import shows storing
   * as it goes.
   */
  async addWrites(
    changes: readonly LocalChange[],
    onSealed?: (hour: number) => void,
    onStored?: (hour: number) => void,
  ): Promise<void> {
    const rows: PendingWrite[] = changes.map(({ scope, hour, content }) => {
      const generation = this.keys.writeGeneration(scope, hour);
      const tag = toHex(this.keys.tagOf(scope));
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const sealed = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
        encodeContent(content, { scope, first: hour, last: hour }),
        this.writeAd(this.patient, tag, generation, hour),
        null,
        nonce,
        this.writeKey(scope, generation, hour),
      );
      onSealed?.(hour);
      return { patient: this.patient, tag, hour, generation, bytes: concat(nonce, sealed) };
    });
    // One slice is one request in Dexie's own transaction, which it resolves once committed; an
    // explicit transaction around it costs as much again as the write.
    const contents = changes.map((c) => c.content);
    await (rows.length <= STORE_SLICE
      ? this.store(rows, contents, onStored)
      : this.db.transaction("rw", this.db.writes, () => this.store(rows, contents, onStored)));
  }

  /** Adds rows a slice at a time, so a large import shows storing as it goes. */
  private async store(
    rows: readonly PendingWrite[],
    contents: readonly ShardContent[],
    onStored?: (hour: number) => void,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += STORE_SLICE) {
      const slice = rows.length <= STORE_SLICE ? rows : rows.slice(i, i + STORE_SLICE);
      const orders = await this.db.writes.bulkAdd(slice, { allKeys: true });
      if (this.written.size + orders.length > WRITTEN_KEPT) this.written.clear();
      for (const [j, order] of orders.entries()) this.written.set(order as number, contents[i + j]!);
      for (const row of slice) onStored?.(row.hour);
    }
  }

  /** A key for writes at rest only: subkey 3 of the hour's leaf, never used on the wire. */
  private writeKey(scope: Scope, generation: number, hour: number): Uint8Array {
    const id = `${scope}:${generation}:${hour}`;
    let key = this.writeKeys.get(id);
    if (!key) {
      key = sodium().crypto_kdf_derive_from_key(32, 3, "STWepoch", this.keys.leaf(scope, generation, hour));
      if (this.writeKeys.size >= WRITE_KEYS) {
        const [oldest, old] = this.writeKeys.entries().next().value!;
        sodium().memzero(old);
        this.writeKeys.delete(oldest);
      }
      this.writeKeys.set(id, key);
    }
    return key;
  }

  private writeAd(patient: string, tag: string, generation: number, hour: number): Uint8Array {
    const id = `${patient}:${tag}`;
    let prefix = this.adPrefixes.get(id);
    if (!prefix) this.adPrefixes.set(id, (prefix = concat(WRITE_AD_DOMAIN, fromHex(patient, 16), fromHex(tag, 16))));
    return new ByteWriter(prefix.length + 8).raw(prefix).u32(generation).u32(hour).finish();
  }

  /** Forgets the write keys and what this session wrote (on lock or sign-out). */
  evict(): void {
    for (const key of this.writeKeys.values()) sodium().memzero(key);
    this.writeKeys.clear();
    this.written.clear();
  }

  /** A pending write's content. */
  openWrite(row: PendingWrite, scope: Scope): ShardContent {
    const kept = row.order === undefined ? undefined : this.written.get(row.order);
    if (kept) return kept;
    const key = this.writeKey(scope, row.generation, row.hour);
    try {
      const plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        row.bytes.subarray(NONCE_BYTES),
        this.writeAd(row.patient, row.tag, row.generation, row.hour),
        row.bytes.subarray(0, NONCE_BYTES),
        key,
      );
      return decodeContent(plaintext, { scope, first: row.hour, last: row.hour });
    } catch (error) {
      if (error instanceof Error && /decrypt|ciphertext/i.test(error.message))
        throw new TamperedEnvelope("a write kept on this device does not decrypt: the store was altered");
      throw error;
    }
  }

  /** Pending writes of a scope in [fromHour, toHour]. */
  writesBetween(tag: string, fromHour: number, toHour: number): Promise<PendingWrite[]> {
    return this.db.writes
      .where("[patient+tag+hour]")
      .between([this.patient, tag, fromHour], [this.patient, tag, toHour], true, true)
      .toArray();
  }

  /**
   * Seals every pending write into hour envelopes, one per (scope, hour), this device's next ones in
   * its chain, and queues them. Writes of a scope this holder may no longer write stay pending (they
   * stay readable here). Returns how many envelopes were sealed.
   */
  seal(): Promise<number> {
    return this.db.transaction("rw", [this.db.writes, this.db.envelopes, this.db.outbox, this.db.cursors], async () => {
      const writes = await this.db.writes.where("patient").equals(this.patient).toArray();
      if (writes.length === 0) return 0;
      const groups = new Map<string, PendingWrite[]>();
      for (const w of writes) {
        const key = `${w.tag}:${w.hour}`;
        const group = groups.get(key);
        if (group) group.push(w);
        else groups.set(key, [w]);
      }
      const cursor = await this.cursor();
      const sealed: StoredEnvelope[] = [];
      const done: number[] = [];
      for (const group of groups.values()) {
        const { tag, hour } = group[0]!;
        const scope = this.keys.scopeOfTag(fromHex(tag, 16));
        if (!scope) continue;
        let generation: number;
        try {
          generation = this.keys.writeGeneration(scope, hour);
        } catch (error) {
          if (error instanceof OutsideGrant) continue;
          throw error;
        }
        const content = mergeWrites(group.map((w) => this.openWrite(w, scope)));
        sealed.push(this.sealNext(cursor, scope, hour, generation, content));
        done.push(...group.map((w) => w.order!));
      }
      await this.db.envelopes.bulkAdd(sealed);
      await this.db.outbox.bulkAdd(sealed.map((e) => ({ id: e.id, patient: this.patient, kind: "envelope" as const })));
      await this.db.writes.bulkDelete(done);
      await this.db.cursors.put(cursor);
      for (const order of done) this.written.delete(order);
      return sealed.length;
    });
  }

  /** Seals `content` as this device's next envelope and advances its own chain head in `cursor`. */
  private sealNext(
    cursor: Cursor,
    scope: Scope,
    hour: number,
    generation: number,
    content: ShardContent,
  ): StoredEnvelope {
    const own = cursor.heads[deviceKey({ authorKey: this.author.signKey, deviceId: this.author.deviceId })];
    const envelope = sealEnvelope({
      header: {
        kind: "update",
        patientId: this.keys.patientId,
        scopeTag: this.keys.tagOf(scope),
        generation,
        hour,
        // One platform call for the 16 bytes; libsodium's randombytes_buf asks for 32 bits at a time.
        envelopeId: crypto.getRandomValues(new Uint8Array(16)),
        authorKey: this.author.signKey,
        deviceId: this.author.deviceId,
        seq: (own?.seq ?? 0) + 1,
        prevHash: own ? fromHex(own.link, 32) : ZERO_HASH,
      },
      plaintext: encodeContent(content, { scope, first: hour, last: hour }),
      leaf: this.keys.leaf(scope, generation, hour),
      authorSecretKey: this.author.signSecretKey,
    });
    const link = envelopeLink(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
    advanceChain(cursor.heads, envelope.header, link, true);
    return {
      id: toHex(envelope.header.envelopeId),
      patient: this.patient,
      tag: toHex(envelope.header.scopeTag),
      hour,
      generation,
      seq: 0,
      whole: 1,
      link: toHex(link),
      bytes: encodeEnvelope(envelope),
    };
  }

  /** Objects waiting for the server, oldest first. */
  async outgoing(limit = Infinity): Promise<Outgoing[]> {
    const entries = this.db.outbox.where("patient").equals(this.patient);
    const list = await (Number.isFinite(limit) ? entries.limit(limit) : entries).toArray();
    const envelopes = await this.db.envelopes.bulkGet(list.filter((e) => e.kind === "envelope").map((e) => e.id));
    const blocks = await this.db.blocks.bulkGet(list.filter((e) => e.kind === "block").map((e) => e.id));
    const rows = new Map<string, { bytes: Uint8Array }>();
    for (const row of [...envelopes, ...blocks]) if (row) rows.set(row.id, row);
    return list.flatMap((e) =>
      e.kind && rows.has(e.id) ? [{ id: e.id, kind: e.kind, bytes: rows.get(e.id)!.bytes }] : [],
    );
  }

  /** Pending writes and outbox entries not yet acknowledged. */
  /** Writes not sealed yet and objects not acknowledged yet, in one read transaction. */
  count(): Promise<number> {
    return this.db.transaction("r", [this.db.writes, this.db.outbox], async () => {
      const [writes, queued] = await Promise.all([
        this.db.writes.where("patient").equals(this.patient).count(),
        this.db.outbox.where("patient").equals(this.patient).count(),
      ]);
      return writes + queued;
    });
  }

  /** Marks objects acknowledged with their server sequence numbers, in one transaction. */
  async acknowledge(acks: readonly { id: string; seq: number }[]): Promise<void> {
    await this.db.transaction("rw", [this.db.envelopes, this.db.blocks, this.db.outbox], async () => {
      // One get per id, all in flight at once: an anyOf over the id index walks a cursor, far slower.
      const found = (await Promise.all(acks.map((ack) => this.db.outbox.get({ id: ack.id })))).filter(
        (e) => e !== undefined,
      );
      const seqOf = new Map(acks.map((a) => [a.id, a.seq]));
      const envelopes = found.filter((e) => e.kind === "envelope");
      const blocks = found.filter((e) => e.kind === "block");
      await this.db.envelopes.bulkUpdate(envelopes.map((e) => ({ key: e.id, changes: { seq: seqOf.get(e.id)! } })));
      await this.db.blocks.bulkUpdate(blocks.map((e) => ({ key: e.id, changes: { seq: seqOf.get(e.id)! } })));
      await this.db.outbox.bulkDelete(found.map((e) => e.order!));
    });
  }

  /** Drops a block the server refused for good (its span changed meanwhile): nothing is lost, its sources are still here. */
  async refuse(id: string): Promise<void> {
    await this.db.transaction("rw", [this.db.blocks, this.db.outbox], async () => {
      await this.db.outbox.where("id").equals(id).delete();
      await this.db.blocks.delete(id);
    });
  }

  /**
   * Re-seals every unsent envelope under the current key generation, in order, continuing this
   * device's chain from the last one the server accepted. For a device that wrote offline while
   * another rotated the keys: the server refuses the old generation, and nothing written may be lost.
   * Only for envelopes the server never stored (it refused their batch). Returns how many.
   */
  reseal(): Promise<number> {
    return this.db.transaction("rw", [this.db.envelopes, this.db.outbox, this.db.cursors], async () => {
      const entries = (await this.db.outbox.where("patient").equals(this.patient).toArray()).filter(
        (e) => e.kind === "envelope",
      );
      const pending = (await this.db.envelopes.bulkGet(entries.map((e) => e.id))).filter(
        (r): r is StoredEnvelope => r !== undefined,
      );
      if (pending.length === 0) return 0;
      const cursor = await this.cursor();
      const own = deviceKey({ authorKey: this.author.signKey, deviceId: this.author.deviceId });
      const first = decodeEnvelopeHeader(splitEnvelopePrefix(pending[0]!.bytes).headerBytes);
      if (first.seq === 1) delete cursor.heads[own];
      else cursor.heads[own] = { seq: first.seq - 1, link: toHex(first.prevHash) };
      const fresh: StoredEnvelope[] = [];
      for (const old of pending) {
        const envelope = decodeEnvelope(old.bytes);
        const scope = this.keys.scopeOfTag(envelope.header.scopeTag);
        if (!scope) throw new OutsideGrant("an unsent envelope belongs to a scope this device has no key for");
        const content = openEnvelopeContent(this.keys, envelope, scope, "stored");
        fresh.push(
          this.sealNext(
            cursor,
            scope,
            envelope.header.hour,
            this.keys.writeGeneration(scope, envelope.header.hour),
            content,
          ),
        );
      }
      await this.db.outbox.bulkDelete(entries.map((e) => e.order!));
      await this.db.envelopes.bulkDelete(pending.map((p) => p.id));
      await this.db.envelopes.bulkAdd(fresh);
      await this.db.outbox.bulkAdd(fresh.map((e) => ({ id: e.id, patient: this.patient, kind: "envelope" as const })));
      await this.db.cursors.put(cursor);
      return fresh.length;
    });
  }
}
