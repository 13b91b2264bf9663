// The CRDT store: one Yjs document per shard (scope × hour) holding that hour's records. Shards
// load lazily from the encrypted envelopes in IndexedDB. Every local change becomes one envelope
// (a Yjs update, sealed and signed) written to the log and the outbox in one transaction, so a
// write is durable before anything goes over the network.
import * as Y from "yjs";
import { bytesEqual, fromHex, toHex } from "../../shared/bytes.js";
import { openEnvelope, sealEnvelope, verifyEnvelopeSignature } from "../../shared/envelope.js";
import { PREFIX_BYTES, ZERO_HASH, decodeEnvelope, decodeEnvelopeHeader, encodeEnvelope, encodeSeal, envelopeLink, type Envelope, type EnvelopeHeader } from "../../shared/envelopeCodec.js";
import { verify } from "../../shared/accountKeys.js";
import { MAX_COMPACTION_SOURCES, splitEnvelopePrefix, type EnvelopePrefix, type PageEntry } from "../../shared/syncFrames.js";
import { ForkDetected, InvalidSignature, OutsideGrant, UnknownAuthor } from "../../shared/errors.js";
import type { Scope } from "../../shared/records.js";
import type { KeySource } from "../keySource.js";
import { advanceChain, deviceKey, type Heads } from "../sync/chain.js";
import type { Cursor, OutboxEntry, StewardDatabase, StoredEnvelope } from "./database.js";
import { UpdateCache } from "./updateCache.js";

export interface Author {
  readonly signKey: Uint8Array;
  readonly signSecretKey: Uint8Array;
  readonly deviceId: Uint8Array;
}

export interface ShardChange {
  readonly scope: Scope;
  readonly hour: number;
}

/** An envelope waiting in the outbox; a compaction carries the ids of the envelopes it replaces. */
export interface PendingEnvelope extends StoredEnvelope {
  readonly replaces?: readonly string[];
}

const LOCAL = Symbol("local");

export class ShardStore {
  private readonly docs = new Map<string, Y.Doc>();
  private readonly loading = new Map<string, Promise<Y.Doc>>();
  /** Updates decrypted at ingest for shards not loaded yet, so their first load does not open them again. */
  private readonly ingested = new UpdateCache();
  private readonly listeners = new Set<(changes: ShardChange[]) => void>();
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** Envelopes passed over because their author could not be verified from this device (a grantee's view). */
  unverifiableAuthors = 0;
  readonly patient: string;

  /** Where this reader's cursor is kept: per patient, or per grant for a grantee's view. */
  readonly cursorKey: string;

  constructor(
    private readonly db: StewardDatabase,
    readonly keys: KeySource,
    private readonly author: Author,
    /** A grantee's view names its grant: two grants from one patient see different envelopes, so each keeps its own cursor. */
    reader?: string,
  ) {
    this.patient = toHex(keys.patientId);
    this.cursorKey = reader ? `${this.patient}/${reader}` : this.patient;
  }

  onChange(listener: (changes: ShardChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(changes: ShardChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  /** Hours of `scope` that hold any envelope, within [fromHour, toHour]. */
  async hoursWithData(scope: Scope, fromHour: number, toHour: number): Promise<number[]> {
    const tag = toHex(this.keys.tagOf(scope));
    const keys = await this.db.envelopes
      .where("[patient+tag+hour]")
      .between([this.patient, tag, fromHour], [this.patient, tag, toHour], true, true)
      .uniqueKeys();
    return (keys as unknown as [string, string, number][]).map((key) => key[2]);
  }

  /** The shard's document, decrypting its envelopes on first use. */
  doc(scope: Scope, hour: number): Promise<Y.Doc> {
    const id = shardKey(scope, hour);
    const loaded = this.docs.get(id);
    if (loaded) return Promise.resolve(loaded);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.loadDoc(scope, hour).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async loadDoc(scope: Scope, hour: number): Promise<Y.Doc> {
    return this.docFromRows(scope, hour, await this.shardRows(scope, hour));
  }

  /**
   * The shards of `scope` in [fromHour, toHour] that hold any envelope, by hour, their documents
   * loaded from one range read (one request, not one per hour).
   */
  async docsBetween(scope: Scope, fromHour: number, toHour: number): Promise<[hour: number, doc: Y.Doc][]> {
    const tag = toHex(this.keys.tagOf(scope));
    const rows = await this.db.envelopes
      .where("[patient+tag+hour]")
      .between([this.patient, tag, fromHour], [this.patient, tag, toHour], true, true)
      .toArray();
    const byHour = new Map<number, StoredEnvelope[]>();
    for (const row of rows) {
      const hourRows = byHour.get(row.hour);
      if (hourRows) hourRows.push(row);
      else byHour.set(row.hour, [row]);
    }
    return [...byHour].map(([hour, hourRows]) => [hour, this.docFromRows(scope, hour, hourRows)]);
  }

  /**
   * The shard's document from its rows, unless one is loaded already. Updates kept at ingest stand
   * in for decrypting their rows; one ingested after `rows` were read is in the cache only.
   */
  private docFromRows(scope: Scope, hour: number, rows: readonly StoredEnvelope[]): Y.Doc {
    const id = shardKey(scope, hour);
    const loaded = this.docs.get(id);
    if (loaded) return loaded;
    const cached = this.ingested.take(id);
    const updates = rows.filter((row) => !row.compacted).map((row) => cached?.get(row.id) ?? this.decrypt(decodeEnvelope(row.bytes), scope));
    if (cached) {
      const read = new Set(rows.map((row) => row.id));
      for (const [envelopeId, update] of cached) if (!read.has(envelopeId)) updates.push(update);
    }
    // A guid of our own: Yjs would otherwise draw a random UUID per document, a cost seen on a 90-day open.
    const doc = new Y.Doc({ guid: id });
    if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates));
    this.docs.set(id, doc);
    return doc;
  }

  private shardRows(scope: Scope, hour: number): Promise<StoredEnvelope[]> {
    return this.db.envelopes.where("[patient+tag+hour]").equals([this.patient, toHex(this.keys.tagOf(scope)), hour]).toArray();
  }

  private decrypt(envelope: Envelope, scope: Scope): Uint8Array {
    const { header } = envelope;
    if (!this.keys.authorAllowed(header.authorKey, scope, header.hour, header.generation)) {
      throw new UnknownAuthor(`an envelope in ${scope} is signed by a key that may not write there`);
    }
    let leaf: Uint8Array;
    try {
      leaf = this.keys.leaf(scope, header.generation, header.hour);
    } catch (error) {
      // A header the server altered is reported as tampering, not as a missing key.
      verifyEnvelopeSignature(envelope);
      throw error;
    }
    // openEnvelope verifies the signature before the commitment and the decryption.
    return openEnvelope(envelope, leaf);
  }

  /**
   * Applies a local change to one shard and records it as one envelope. `mutate` runs inside a
   * Yjs transaction; when it changes nothing, nothing is written. `onSealed` runs once the
   * envelope is encrypted and signed, before it is stored (an import's progress shows both steps).
   */
  write(scope: Scope, hour: number, mutate: (doc: Y.Doc) => void, onSealed?: () => void): Promise<boolean> {
    const run = this.writeQueue.then(() => this.writeNow(scope, hour, mutate, onSealed));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(scope: Scope, hour: number, mutate: (doc: Y.Doc) => void, onSealed?: () => void): Promise<boolean> {
    const generation = this.keys.writeGeneration(scope, hour);
    const doc = await this.doc(scope, hour);
    const updates: Uint8Array[] = [];
    const collect = (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL) updates.push(update);
    };
    doc.on("update", collect);
    try {
      doc.transact(() => mutate(doc), LOCAL);
    } finally {
      doc.off("update", collect);
    }
    if (updates.length === 0) return false;
    const update = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    await this.appendLocal(scope, hour, generation, update, undefined, onSealed);
    this.emit([{ scope, hour }]);
    return true;
  }

  /** Seals `update` as this device's next envelope, into the log and the outbox at once; with `replaces`, as a compaction of them. */
  private async appendLocal(scope: Scope, hour: number, generation: number, update: Uint8Array, replaces?: string[], onSealed?: () => void): Promise<StoredEnvelope> {
    return this.db.transaction("rw", this.db.envelopes, this.db.outbox, this.db.cursors, async () => {
      const cursor = await this.cursor();
      const stored = this.sealNext(cursor, scope, hour, generation, update, replaces ? "compaction" : "update");
      onSealed?.();
      await this.db.envelopes.add(stored);
      await this.db.outbox.add({ id: stored.id, patient: this.patient, ...(replaces ? { replaces } : {}) });
      await this.db.cursors.put(cursor);
      return stored;
    });
  }

  /**
   * Replaces the shard's acknowledged envelopes of the current generation by one compaction
   * envelope: their updates merged, sealed as this device's next envelope and queued in the outbox
   * with the ids it replaces (it advances the device chain, so it must be sent in order). The
   * replaced bodies are dropped once the server acknowledges it. Returns whether there was anything
   * to compact (at least two such envelopes not already in a waiting compaction). The caller
   * decides which hours are closed; compacting an open one is correct, only less useful.
   */
  compact(scope: Scope, hour: number): Promise<boolean> {
    const run = this.writeQueue.then(() => this.compactNow(scope, hour));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private async compactNow(scope: Scope, hour: number): Promise<boolean> {
    if (!this.keys.seesWholeLog) throw new OutsideGrant("only the patient's own devices can compact the log");
    const generation = this.keys.writeGeneration(scope, hour);
    const waiting = new Set((await this.outboxEntries()).flatMap((e) => e.replaces ?? []));
    const sources = (await this.shardRows(scope, hour))
      .filter((row) => row.seq > 0 && !row.compacted && row.generation === generation && !waiting.has(row.id))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, MAX_COMPACTION_SOURCES);
    if (sources.length < 2) return false;
    const merged = Y.mergeUpdates(sources.map((row) => this.decrypt(decodeEnvelope(row.bytes), scope)));
    await this.appendLocal(scope, hour, generation, merged, sources.map((row) => row.id));
    return true;
  }

  /** Compacts every shard of every scope before `beforeHour`; returns how many were compacted. */
  async compactBefore(beforeHour: number): Promise<number> {
    let compacted = 0;
    if (beforeHour <= 0) return compacted;
    for (const scope of this.keys.scopes()) {
      for (const hour of await this.hoursWithData(scope, 0, beforeHour - 1)) {
        if (await this.compact(scope, hour)) compacted++;
      }
    }
    return compacted;
  }

  /** Keeps only the prefix of envelopes whose content a compaction now carries, as the server does. */
  private async dropBodies(ids: readonly string[]): Promise<void> {
    const rows = await this.db.envelopes.bulkGet([...ids]);
    const bodies = rows.filter((row): row is StoredEnvelope => row !== undefined && !row.compacted);
    await this.db.envelopes.bulkPut(bodies.map((row) => ({ ...row, bytes: row.bytes.slice(0, PREFIX_BYTES), compacted: true as const })));
  }

  /** Seals `update` as this device's next envelope and advances its own chain head in `cursor`. */
  private sealNext(cursor: Cursor, scope: Scope, hour: number, generation: number, update: Uint8Array, kind: "update" | "compaction"): StoredEnvelope {
    const own = cursor.heads[deviceKey({ authorKey: this.author.signKey, deviceId: this.author.deviceId })];
    const envelope = sealEnvelope({
      header: {
        kind,
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
      plaintext: update,
      leaf: this.keys.leaf(scope, generation, hour),
      authorSecretKey: this.author.signSecretKey,
    });
    advanceChain(cursor.heads, envelope.header, envelopeLink(envelope.headerBytes, envelope.body.length, envelope.bodyHash), true);
    return { id: toHex(envelope.header.envelopeId), patient: this.patient, tag: toHex(envelope.header.scopeTag), hour, generation, seq: 0, bytes: encodeEnvelope(envelope) };
  }

  /**
   * Re-seals every unsent envelope under the current key generation, in order, continuing this
   * device's chain from the last envelope the server accepted. For a device that wrote offline while
   * another device rotated the keys: the server refuses the old generation, and nothing of what was
   * written may be lost. Only for envelopes the server never stored (it refused their batch).
   */
  resealPending(): Promise<number> {
    return this.rechainPending();
  }

  /**
   * Drops a waiting compaction the server refused (its sources were compacted elsewhere or are
   * gone) and re-chains what was written after it: the server never stored it, so its seq is free.
   * Nothing is lost: the replaced envelopes keep their bodies here.
   */
  discardCompaction(id: string): Promise<number> {
    return this.rechainPending(id);
  }

  /**
   * Re-seals the outbox in order from the first unsent seq, without `discard`. A waiting compaction
   * whose generation is no longer current is dropped too: it must stay in its sources' generation,
   * and its sources are still on the server and here. Returns how many envelopes were re-sealed.
   */
  private rechainPending(discard?: string): Promise<number> {
    return this.db.transaction("rw", this.db.envelopes, this.db.outbox, this.db.cursors, async () => {
      const pending = await this.pending();
      if (pending.length === 0) return 0;
      const cursor = await this.cursor();
      const own = deviceKey({ authorKey: this.author.signKey, deviceId: this.author.deviceId });
      const first = decodeEnvelopeHeader(splitEnvelopePrefix(pending[0]!.bytes).headerBytes);
      if (first.seq === 1) delete cursor.heads[own];
      else cursor.heads[own] = { seq: first.seq - 1, link: toHex(first.prevHash) };
      let resealed = 0;
      for (const old of pending) {
        await this.db.outbox.where("id").equals(old.id).delete();
        await this.db.envelopes.delete(old.id);
        const envelope = decodeEnvelope(old.bytes);
        const { header } = envelope;
        const scope = this.keys.scopeOfTag(header.scopeTag);
        if (!scope) throw new OutsideGrant("an unsent envelope belongs to a scope this device has no key for");
        const generation = this.keys.writeGeneration(scope, header.hour);
        if (old.id === discard || (old.replaces && header.generation !== generation)) continue;
        const update = openEnvelope(envelope, this.keys.leaf(scope, header.generation, header.hour));
        const fresh = this.sealNext(cursor, scope, header.hour, generation, update, header.kind);
        await this.db.envelopes.add(fresh);
        await this.db.outbox.add({ id: fresh.id, patient: this.patient, ...(old.replaces ? { replaces: [...old.replaces] } : {}) });
        resealed++;
      }
      await this.db.cursors.put(cursor);
      return resealed;
    });
  }

  async cursor(): Promise<Cursor> {
    return (await this.db.cursors.get(this.cursorKey)) ?? { patient: this.cursorKey, after: 0, heads: {} };
  }

  /**
   * Takes envelopes from the server (pull or live), in server order, as one IndexedDB transaction.
   * Each is checked (structure, patient, fork, scope, author, signature, commitment, decryption,
   * device chain) before anything of it is kept; the first failure raises its typed error, nothing
   * of that envelope is stored, and the envelopes before it are. A compacted entry (its body
   * replaced by a compaction envelope) is checked for signature and chain only and kept as its
   * prefix. A compaction envelope is applied like any update (Yjs is idempotent).
   */
  async ingest(items: readonly PageEntry[]): Promise<ShardChange[]> {
    if (items.length === 0) return [];
    let failure: { error: unknown } | undefined;
    const accepted: Ingested[] = [];
    let passedOver = 0;
    await this.db.transaction("rw", this.db.envelopes, this.db.cursors, async () => {
      const { headers, malformed } = decodeHeaders(items);
      const cursor = await this.cursor();
      const known = new Map<string, StoredEnvelope>();
      for (const row of await this.db.envelopes.bulkGet(headers.map((h) => h.id))) if (row) known.set(row.id, row);
      const heldSeqs = await this.seqsHeld(items);
      const added: StoredEnvelope[] = [];
      const acknowledged = new Map<string, number>();
      try {
        for (const [i, { prefix, header, id }] of headers.entries()) {
          const item = items[i]!;
          const stored = known.get(id);
          if (stored) {
            if (stored.seq === 0 && !acknowledged.has(id)) {
              acknowledged.set(id, item.seq);
              heldSeqs.add(item.seq);
            }
            cursor.after = Math.max(cursor.after, item.seq);
            continue;
          }
          if (toHex(header.patientId) !== this.patient) throw new InvalidSignature("the server sent an envelope of another patient");
          if (heldSeqs.has(item.seq)) {
            throw new ForkDetected(`the server already gave number ${item.seq} to another envelope this device holds: it is showing different histories to different devices`);
          }
          const scope = this.keys.scopeOfTag(header.scopeTag);
          if (!scope) throw new OutsideGrant("the server sent an envelope of a scope this device has no key for");
          const link = envelopeLink(prefix.headerBytes, prefix.bodyLength, prefix.bodyHash);
          if (!this.keys.authorAllowed(header.authorKey, scope, header.hour, header.generation)) {
            if (this.keys.seesWholeLog) throw new UnknownAuthor(`an envelope in ${scope} is signed by a key that may not write there`);
            // A grantee cannot know the patient's other write grantees (a parent logging meals): a
            // genuine envelope of theirs is passed over, counted, never shown as the patient's data.
            verify("envelope", prefix.signature, header.authorKey, "envelope", prefix.headerBytes, encodeSeal(prefix.bodyLength, prefix.bodyHash));
            this.advance(cursor, header, link, item.seq);
            passedOver++;
            continue;
          }
          let update: Uint8Array | undefined;
          if (item.compacted) verify("envelope", prefix.signature, header.authorKey, "compacted envelope", prefix.headerBytes, encodeSeal(prefix.bodyLength, prefix.bodyHash));
          else update = this.decrypt(decodeEnvelope(item.bytes), scope);
          this.advance(cursor, header, link, item.seq);
          const row = storedRow(this.patient, header, item);
          added.push(row);
          known.set(id, row);
          heldSeqs.add(item.seq);
          if (!update) continue;
          accepted.push({ scope, hour: header.hour, id, update });
          if (header.kind === "compaction") {
            // The rows it may cover must be in the table first, earlier ones of this page included.
            await this.db.envelopes.bulkAdd(added.splice(0));
            await this.dropCovered(scope, header.hour, item.seq, update);
          }
        }
        if (malformed) throw malformed.error;
      } catch (error) {
        failure = { error };
      }
      if (added.length > 0) await this.db.envelopes.bulkAdd(added);
      if (acknowledged.size > 0) await this.db.envelopes.bulkUpdate([...acknowledged].map(([key, seq]) => ({ key, changes: { seq } })));
      await this.db.cursors.put(cursor);
    });
    this.unverifiableAuthors += passedOver;
    const changes = new Map<string, ShardChange>();
    for (const { scope, hour, id, update } of accepted) {
      const shard = shardKey(scope, hour);
      const loaded = this.docs.get(shard);
      if (loaded) Y.applyUpdate(loaded, update);
      else this.ingested.add(shard, id, update);
      changes.set(shard, { scope, hour });
    }
    const list = [...changes.values()];
    this.emit(list);
    if (failure) throw failure.error;
    return list;
  }

  /** Server sequence numbers, within the page's range, that envelopes this device holds already have. */
  private async seqsHeld(items: readonly PageEntry[]): Promise<Set<number>> {
    let low = Infinity;
    let high = -Infinity;
    for (const { seq } of items) {
      low = Math.min(low, seq);
      high = Math.max(high, seq);
    }
    // Unacknowledged rows have seq 0 and hold no number.
    const rows = await this.db.envelopes.where("[patient+seq]").between([this.patient, Math.max(low, 1)], [this.patient, high], true, true).toArray();
    return new Set(rows.map((row) => row.seq));
  }

  /** Checks the envelope against its device's chain and moves the heads and the cursor past it. */
  private advance(cursor: Cursor, header: EnvelopeHeader, link: Uint8Array, seq: number): void {
    advanceChain(cursor.heads, header, link, this.keys.seesWholeLog);
    cursor.after = Math.max(cursor.after, seq);
  }

  /**
   * Drops the bodies of the shard's acknowledged envelopes older than a compaction envelope that
   * already carries their content. Decided by content, not by the server's compacted flag, so a
   * server that marks an envelope compacted without any compaction covering it cannot make this
   * device lose it.
   */
  private async dropCovered(scope: Scope, hour: number, seq: number, compaction: Uint8Array): Promise<void> {
    const older = (await this.shardRows(scope, hour)).filter((row) => row.seq > 0 && row.seq < seq && !row.compacted);
    const covered = older.filter((row) => carries(compaction, this.decrypt(decodeEnvelope(row.bytes), scope)));
    if (covered.length > 0) await this.db.transaction("rw", this.db.envelopes, () => this.dropBodies(covered.map((row) => row.id)));
  }

  // Every read-modify-write of the cursor runs in a transaction: a local write advancing this
  // device's own head in between would otherwise be overwritten, and the next write would reuse its seq.
  /** Records that the server considered everything up to `seq` for this reader. */
  advanceCursorTo(seq: number): Promise<void> {
    return this.advanceCursor(seq);
  }

  private advanceCursor(seq: number): Promise<void> {
    return this.db.transaction("rw", this.db.cursors, async () => {
      const cursor = await this.cursor();
      if (seq > cursor.after) {
        cursor.after = seq;
        await this.db.cursors.put(cursor);
      }
    });
  }

  /** This patient's outbox in order of writing: the index on patient keeps equal keys in primary-key (order) order. */
  private outboxEntries(limit = Infinity): Promise<OutboxEntry[]> {
    const entries = this.db.outbox.where("patient").equals(this.patient);
    return (Number.isFinite(limit) ? entries.limit(limit) : entries).toArray();
  }

  /** Envelopes written here and not yet acknowledged, oldest first. */
  async pending(limit = Infinity): Promise<PendingEnvelope[]> {
    const entries = await this.outboxEntries(limit);
    const rows = await this.db.envelopes.bulkGet(entries.map((e) => e.id));
    return rows.flatMap((row, i) => {
      if (!row) return [];
      const replaces = entries[i]!.replaces;
      return [replaces ? { ...row, replaces } : row];
    });
  }

  /** How many envelopes wait in the outbox. */
  pendingCount(): Promise<number> {
    return this.db.outbox.where("patient").equals(this.patient).count();
  }

  /**
   * Marks envelopes acknowledged by the server with their sequence numbers, in one transaction. An
   * acknowledged compaction also drops the bodies it replaces, as the server just did.
   */
  async acknowledge(acks: readonly { id: string; seq: number }[]): Promise<void> {
    await this.db.transaction("rw", this.db.envelopes, this.db.outbox, async () => {
      // One get per id, all in flight at once: an anyOf over the id index walks a cursor, far slower.
      const found = await Promise.all(acks.map((ack) => this.db.outbox.get({ id: ack.id })));
      const entries = found.filter((entry): entry is OutboxEntry => entry !== undefined);
      await this.db.envelopes.bulkUpdate(acks.map((ack) => ({ key: ack.id, changes: { seq: ack.seq } })));
      await this.db.outbox.bulkDelete(entries.map((entry) => entry.order!));
      const replaced = entries.flatMap((entry) => entry.replaces ?? []);
      if (replaced.length > 0) await this.dropBodies(replaced);
    });
  }

  /** Drops decrypted shards from memory (on lock or sign-out). */
  evict(): void {
    for (const doc of this.docs.values()) doc.destroy();
    this.docs.clear();
    this.ingested.clear();
  }
}

/** Whether `update` adds nothing to `base`: every insertion and deletion in it is already there. */
function carries(base: Uint8Array, update: Uint8Array): boolean {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, base);
    const before = Y.encodeStateAsUpdate(doc);
    Y.applyUpdate(doc, update);
    return bytesEqual(before, Y.encodeStateAsUpdate(doc));
  } finally {
    doc.destroy();
  }
}

interface Ingested {
  readonly scope: Scope;
  readonly hour: number;
  readonly id: string;
  readonly update: Uint8Array;
}

interface DecodedHeader {
  readonly prefix: EnvelopePrefix;
  readonly header: EnvelopeHeader;
  readonly id: string;
}

/** The page's headers up to the first that does not decode; that one's error is kept to raise in its turn. */
function decodeHeaders(items: readonly PageEntry[]): { headers: DecodedHeader[]; malformed?: { error: unknown } } {
  const headers: DecodedHeader[] = [];
  for (const item of items) {
    try {
      const prefix = splitEnvelopePrefix(item.bytes);
      const header = decodeEnvelopeHeader(prefix.headerBytes);
      headers.push({ prefix, header, id: toHex(header.envelopeId) });
    } catch (error) {
      return { headers, malformed: { error } };
    }
  }
  return { headers };
}

function shardKey(scope: Scope, hour: number): string {
  return `${scope}:${hour}`;
}

function storedRow(patient: string, header: EnvelopeHeader, item: PageEntry): StoredEnvelope {
  return {
    id: toHex(header.envelopeId),
    patient,
    tag: toHex(header.scopeTag),
    hour: header.hour,
    generation: header.generation,
    seq: item.seq,
    bytes: item.bytes,
    ...(item.compacted ? { compacted: true as const } : {}),
  };
}
