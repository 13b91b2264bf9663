// One patient's log on this device: the local side of sync. It wires the jobs that each live in a
// module of their own (reading objects into records, the outbox of local writes, verifying what the
// server sends, sealing blocks, migrating v1) around one IndexedDB and one set of keys, and keeps
// what is decoded in memory: each object's content once opened, and the Yjs documents of hours that
// were written here or that several objects edit.
import * as Y from "yjs";
import { toHex } from "../../shared/bytes.js";
import { decodeBlock } from "../../shared/blockCodec.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import type { ShardContent } from "../../shared/shardContent.js";
import type { PageEntry } from "../../shared/syncFrames.js";
import type { KeySource } from "../keySource.js";
import type { Heads } from "../sync/chain.js";
import { Ingest, type Ingested, type Received } from "../sync/ingest.js";
import { Compaction } from "./compaction.js";
import type { PendingWrite, StewardDatabase, StoredBlock, StoredEnvelope } from "./database.js";
import { HourWrite, type HourEditor } from "./hourWrite.js";
import { materialise, shardKey, type HourDocs, type InvalidRecord, type Source } from "./materialise.js";
import { Migration } from "./migration.js";
import { openBlockContent, openEnvelopeContent } from "./objects.js";
import { Outbox, type Author, type Outgoing } from "./outbox.js";
import { ContentCache } from "./contentCache.js";

export type { Author, Outgoing } from "./outbox.js";

export interface ShardChange {
  readonly scope: Scope;
  readonly hour: number;
}

/** What the sync engine needs from the local log, as it needs a SyncTransport from the network. */
export interface SyncLog {
  readonly patient: string;
  /** Highest server sequence this reader took in. */
  cursor(): Promise<number>;
  advanceCursorTo(seq: number): Promise<void>;
  /** Pulls from the start next time (what is stored is skipped): the server was caught withholding. */
  rewindCursor(): Promise<void>;
  /** Seals waiting local writes into envelopes (before a push). */
  sealWrites(): Promise<number>;
  outgoing(limit: number): Promise<Outgoing[]>;
  acknowledge(acks: readonly { id: string; seq: number }[]): Promise<void>;
  /** An object the server refused for good (a block whose span changed meanwhile). */
  refuse(id: string): Promise<void>;
  /** After a key rotation elsewhere: re-seal unsent envelopes under the current generation. */
  reseal(): Promise<number>;
  pendingCount(): Promise<number>;
  /**
   * Takes a page's entries; blocks numbered past `pageCursor` only vouch for its prefix-only entries.
   * Returns how many it refused because their author's access had ended when it signed them (a
   * removed device, a revoked writer): nothing of those is kept, everything else is. `refreshed`:
   * the keys and device list were just fetched again, so a signer a grantee cannot place is passed over.
   */
  ingest(entries: readonly PageEntry[], pageCursor?: number, refreshed?: boolean): Promise<{ refused: number }>;
  /** Seals blocks for closed nodes (the patient's devices); returns how many. */
  sealClosed(nowHour: number): Promise<number>;
}

/** Hours a local write reads at once when it finds its hour not in memory: a day. */
const HOURS_READ = 24;
/** Hours of sources kept in memory between local writes: about a month of both scopes. */
const HOURS_KEPT = 1536;

export class LocalLog implements SyncLog {
  readonly patient: string;
  /** Records that failed validation on read (written by a buggy or hostile writer). */
  readonly invalid: InvalidRecord[] = [];
  /** Envelopes passed over because their author could not be verified from this device (a grantee's view). */
  unverifiableAuthors = 0;
  /** Where this reader's cursor is kept: per patient, or per grant for a grantee's view. */
  readonly cursorKey: string;
  private readonly outbox: Outbox;
  private readonly ingester: Ingest;
  private readonly compaction: Compaction;
  private readonly migration: Migration;
  private readonly contents = new ContentCache();
  private readonly docs = new Map<Scope, HourDocs>();
  /**
   * What each hour holds, by shardKey, kept between local writes so a write one record at a time
   * reads nothing back: read a day at a time, a local write adds itself, so does a pulled envelope of an
   * hour no block holds, a pull of other objects drops their hours, and every other change to the
   * store (a seal, an ack, a long block) drops it all.
   */
  private readonly hourSources = new Map<string, Source[]>();
  private readonly listeners = new Set<(changes: ShardChange[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private migrated?: Promise<void>;

  constructor(
    readonly db: StewardDatabase,
    readonly keys: KeySource,
    author: Author,
    /** A grantee's view names its grant: two grants from one patient see different objects, so each keeps its own cursor. */
    reader?: string,
  ) {
    this.patient = toHex(keys.patientId);
    this.cursorKey = reader ? `${this.patient}/${reader}` : this.patient;
    this.outbox = new Outbox(db, keys, author, this.patient, this.cursorKey);
    this.ingester = new Ingest(db, keys, this.patient, this.cursorKey);
    this.migration = new Migration(db, keys, this.patient, this.cursorKey, author, this.outbox);
    this.compaction = new Compaction(db, keys, author, this.patient, {
      envelopeContent: (row, scope) => this.envelopeContent(row, scope),
      blockContent: (row, scope) => this.blockContent(row, scope),
      legacyContent: (rows, scope) => this.migration.legacyContent(rows, scope),
    });
  }

  onChange(listener: (changes: ShardChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(changes: ShardChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  /** Runs store changes one at a time: a write, a seal and an ingest never interleave. */
  private serial<T>(task: () => Promise<T>, keepSources = false): Promise<T> {
    const run = this.queue.then(() => {
      if (!keepSources) this.hourSources.clear();
      return task();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Re-seals a v1 log once, before anything reads or writes it (client/store/migration.ts). */
  private ready(): Promise<void> {
    this.migrated ??= this.serial(async () => {
      if (await this.migration.prepare())
        await this.compaction.sealClosed(Math.floor(Date.now() / MS_PER_HOUR), await this.cursorNow());
    }).catch((error) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  private docsOf(scope: Scope): HourDocs {
    let docs = this.docs.get(scope);
    if (!docs) this.docs.set(scope, (docs = new Map()));
    return docs;
  }

  private envelopeContent(row: StoredEnvelope, scope: Scope): ShardContent {
    return (
      this.contents.get(row.id) ??
      this.contents.put(row.id, openEnvelopeContent(this.keys, decodeEnvelope(row.bytes), scope, "stored"))
    );
  }

  private blockContent(row: StoredBlock, scope: Scope): ShardContent {
    return (
      this.contents.get(row.id) ??
      this.contents.put(row.id, openBlockContent(this.keys, decodeBlock(row.bytes), scope, "stored"))
    );
  }

  private writeContent(row: PendingWrite, scope: Scope): ShardContent {
    const id = `write:${row.order}`;
    return this.contents.get(id) ?? this.contents.put(id, this.outbox.openWrite(row, scope));
  }

  /**
   * What this device holds for `scope` in [fromHour, toHour]: the blocks no other held block
   * contains, the whole envelopes no such block holds, and local writes not yet sealed.
   */
  private async sourcesFor(scope: Scope, fromHour: number, toHour: number): Promise<Source[]> {
    const tag = toHex(this.keys.tagOf(scope));
    const [blocks, envelopes, writes] = await Promise.all([
      this.db.blocks
        .where("[patient+tag+last]")
        .between([this.patient, tag, fromHour], [this.patient, tag, Infinity], true, true)
        .toArray(),
      this.db.envelopes
        .where("[patient+whole+tag+hour]")
        .between([this.patient, 1, tag, fromHour], [this.patient, 1, tag, toHour], true, true)
        .toArray(),
      this.outbox.writesBetween(tag, fromHour, toHour),
    ]);
    const kept: StoredBlock[] = [];
    const reached = (generation: number, first: number, last: number) =>
      this.keys.reaches(scope, generation, first, last);
    for (const b of blocks
      .filter((x) => x.first <= toHour && reached(x.generation, x.first, x.last))
      .sort((x, y) => y.level - x.level || y.basis - x.basis)) {
      if (
        !kept.some((k) => k.generation === b.generation && k.first <= b.first && k.last >= b.last && k.basis >= b.basis)
      )
        kept.push(b);
    }
    const covered = (e: StoredEnvelope) =>
      e.seq > 0 &&
      kept.some((k) => k.generation === e.generation && e.hour >= k.first && e.hour <= k.last && e.seq <= k.basis);
    return [
      ...kept.map(
        (b): Source => ({ kind: "block", first: b.first, last: b.last, content: this.blockContent(b, scope) }),
      ),
      ...envelopes
        .filter((e) => !covered(e) && reached(e.generation, e.hour, e.hour))
        .map(
          (e): Source => ({ kind: "envelope", first: e.hour, last: e.hour, content: this.envelopeContent(e, scope) }),
        ),
      ...writes.map(
        (w): Source => ({ kind: "write", first: w.hour, last: w.hour, content: this.writeContent(w, scope) }),
      ),
    ];
  }

  /**
   * What each of `hours` holds, from hourSources or else read for the whole days around them (a
   * device writing as it goes writes the next hour next). The lists are hourSources' own.
   */
  private async heldIn(scope: Scope, hours: readonly number[]): Promise<Map<number, Source[]>> {
    if (hours.some((h) => !this.hourSources.has(shardKey(scope, h)))) {
      const from = Math.floor(Math.min(...hours) / HOURS_READ) * HOURS_READ;
      const to = Math.floor(Math.max(...hours) / HOURS_READ) * HOURS_READ + HOURS_READ - 1;
      const byHour = new Map<number, Source[]>();
      for (const day of new Set(hours.map((h) => Math.floor(h / HOURS_READ)))) {
        for (let h = day * HOURS_READ; h < (day + 1) * HOURS_READ; h++) byHour.set(h, []);
      }
      for (const s of await this.sourcesFor(scope, from, to)) {
        for (let h = Math.max(s.first, from); h <= Math.min(s.last, to); h++) byHour.get(h)?.push(s);
      }
      if (this.hourSources.size + byHour.size > HOURS_KEPT) this.hourSources.clear();
      for (const [h, list] of byHour) this.hourSources.set(shardKey(scope, h), list);
    }
    return new Map(hours.map((h) => [h, this.hourSources.get(shardKey(scope, h))!]));
  }

  /** The first and last hour of `scope` holding data here, or undefined when none does. */
  async extent(scope: Scope): Promise<{ fromHour: number; toHour: number } | undefined> {
    await this.ready();
    const tag = toHex(this.keys.tagOf(scope));
    const ends = await Promise.all([
      this.db.blocks
        .where("[patient+tag+last]")
        .between([this.patient, tag, 0], [this.patient, tag, Infinity])
        .toArray(),
      this.db.envelopes
        .where("[patient+whole+tag+hour]")
        .between([this.patient, 1, tag, 0], [this.patient, 1, tag, Infinity])
        .first(),
      this.db.envelopes
        .where("[patient+whole+tag+hour]")
        .between([this.patient, 1, tag, 0], [this.patient, 1, tag, Infinity])
        .last(),
      this.outbox.writesBetween(tag, 0, Infinity),
    ]);
    const [blocks, firstEnvelope, lastEnvelope, writes] = ends;
    const firsts = [
      ...blocks.map((b) => b.first),
      ...(firstEnvelope ? [firstEnvelope.hour] : []),
      ...writes.map((w) => w.hour),
    ];
    const lasts = [
      ...blocks.map((b) => b.last),
      ...(lastEnvelope ? [lastEnvelope.hour] : []),
      ...writes.map((w) => w.hour),
    ];
    if (firsts.length === 0) return undefined;
    // A block's span reaches past its data: its records say where the data really starts and ends.
    const fromHour = Math.min(...firsts);
    const toHour = Math.max(...lasts);
    const inside = await this.read(scope, fromHour * MS_PER_HOUR, (toHour + 1) * MS_PER_HOUR - 1);
    if (inside.length === 0) return undefined;
    return {
      fromHour: Math.floor(inside[0]!.time / MS_PER_HOUR),
      toHour: Math.floor(inside.at(-1)!.time / MS_PER_HOUR),
    };
  }

  /** Live records of `scope` with data time in [from, to], oldest first. */
  async read(scope: Scope, from: number, to: number): Promise<StewardRecord[]> {
    await this.ready();
    const identity = scope === "identity";
    const fromHour = identity ? 0 : Math.floor(from / MS_PER_HOUR);
    const toHour = identity ? 0 : Math.floor(to / MS_PER_HOUR);
    const sources = await this.sourcesFor(scope, fromHour, toHour);
    return materialise(
      scope,
      sources,
      { fromHour, toHour, from: identity ? -Infinity : from, to: identity ? Infinity : to },
      this.docsOf(scope),
      this.invalid,
    );
  }

  /**
   * Applies local changes to hours of one scope and keeps them as writes, in one transaction. Each
   * `mutate` sees the hour as it is and returns nothing; an hour it leaves unchanged writes nothing.
   * Returns how many hours changed.
   */
  async edit(
    scope: Scope,
    hours: ReadonlyMap<number, (editor: HourEditor) => void>,
    onProgress?: (phase: "encrypt" | "store", hour: number) => void,
  ): Promise<number> {
    await this.ready();
    return this.serial(async () => {
      if (hours.size === 0) return 0;
      const held = await this.heldIn(scope, [...hours.keys()]);
      const docs = this.docsOf(scope);
      const changes: { scope: Scope; hour: number; content: ShardContent }[] = [];
      for (const [hour, mutate] of hours) {
        const inHour = held.get(hour)!;
        const records = new Map(
          materialise(
            scope,
            inHour,
            { fromHour: hour, toHour: hour, from: -Infinity, to: Infinity },
            docs,
            this.invalid,
          ).map((r) => [r.id, r]),
        );
        const write = new HourWrite(scope, hour, inHour, records, docs);
        mutate(write);
        const content = write.content();
        if (content) changes.push({ scope, hour, content });
      }
      const changed = new Set(changes.map((c) => c.hour));
      for (const hour of hours.keys()) {
        if (changed.has(hour)) continue;
        onProgress?.("encrypt", hour);
        onProgress?.("store", hour);
      }
      await this.outbox.addWrites(
        changes,
        (hour) => onProgress?.("encrypt", hour),
        (hour) => onProgress?.("store", hour),
      );
      for (const c of changes)
        held.get(c.hour)!.push({ kind: "write", first: c.hour, last: c.hour, content: c.content });
      this.emit(changes.map(({ hour }) => ({ scope, hour })));
      return changes.length;
    }, true);
  }

  // --- SyncLog -------------------------------------------------------------------------------

  private async cursorNow(): Promise<number> {
    return (await this.outbox.cursor()).after;
  }

  async cursor(): Promise<number> {
    return this.cursorNow();
  }

  /** Each author device's last seq and link as this reader saw them (client/sync/chain.ts). */
  async chainHeads(): Promise<Heads> {
    return (await this.outbox.cursor()).heads;
  }

  advanceCursorTo(seq: number): Promise<void> {
    // Every read-modify-write of the cursor runs in a transaction: a local seal advancing this
    // device's own head in between would otherwise be overwritten, and the next seal would reuse its seq.
    return this.db.transaction("rw", this.db.cursors, async () => {
      const cursor = await this.outbox.cursor();
      if (seq > cursor.after) await this.db.cursors.put({ ...cursor, after: seq });
    });
  }

  rewindCursor(): Promise<void> {
    this.ingester.rewound();
    return this.db.transaction("rw", this.db.cursors, async () => {
      await this.db.cursors.put({ ...(await this.outbox.cursor()), after: 0 });
    });
  }

  async sealWrites(): Promise<number> {
    await this.ready();
    return this.serial(() => this.outbox.seal());
  }

  outgoing(limit: number): Promise<Outgoing[]> {
    return this.outbox.outgoing(limit);
  }

  async acknowledge(acks: readonly { id: string; seq: number }[]): Promise<void> {
    await this.serial(() => this.outbox.acknowledge(acks));
    const blocks = (await this.db.blocks.bulkGet(acks.map((a) => a.id))).filter(
      (b): b is StoredBlock => b !== undefined,
    );
    if (blocks.length > 0) await this.serial(() => this.compaction.settle(blocks));
  }

  refuse(id: string): Promise<void> {
    return this.serial(async () => {
      const block = await this.db.blocks.get(id);
      await this.outbox.refuse(id);
      if (block) await this.compaction.refused(block);
    });
  }

  reseal(): Promise<number> {
    return this.serial(() => this.outbox.reseal());
  }

  pendingCount(): Promise<number> {
    return this.outbox.count();
  }

  async ingest(entries: readonly PageEntry[], pageCursor = Infinity, refreshed = false): Promise<{ refused: number }> {
    if (entries.length === 0) return { refused: 0 };
    await this.ready();
    const result = await this.serial(async () => {
      // What a failed page stored before its error is not known here: forget every hour.
      const ingested = await this.ingester.ingest(entries, pageCursor, refreshed).catch((error: unknown) => {
        this.hourSources.clear();
        throw error;
      });
      this.forgetSources(ingested);
      return ingested;
    }, true);
    this.unverifiableAuthors += result.passedOver;
    if (result.legacy > 0) await this.migration.arrived();
    const changes = this.take(result.received);
    const blocks = result.received.filter((r) => r.kind === "block");
    if (blocks.length > 0)
      await this.serial(async () =>
        this.compaction.settle(
          (await this.db.blocks.bulkGet(blocks.map((b) => b.id))).filter((b): b is StoredBlock => b !== undefined),
        ),
      );
    if (result.legacy > 0) {
      this.migrated = undefined;
      await this.ready();
    }
    // Told once the pull is settled (blocks in place of the envelopes they hold), so a reader
    // re-reading on the news sees the whole of it.
    this.emit(changes);
    return { refused: result.refused };
  }

  /** After an ingest: hourSources takes in the hours it brought, or forgets them (or all, after an ack). */
  private forgetSources({ received, acked, legacy }: Ingested): void {
    if (acked > 0 || legacy > 0 || received.some((r) => r.last - r.first >= HOURS_READ)) {
      this.hourSources.clear();
      return;
    }
    for (const r of received) {
      const list = r.kind === "envelope" ? this.hourSources.get(shardKey(r.scope, r.first)) : undefined;
      // A new envelope of an hour no block holds yet (a live reading) joins the hour's list where a
      // read would put it, before the local writes; anything else is read again.
      if (list && !list.some((x) => x.kind === "block") && this.keys.reaches(r.scope, r.generation, r.first, r.first)) {
        const writes = list.findIndex((x) => x.kind === "write");
        list.splice(writes < 0 ? list.length : writes, 0, {
          kind: "envelope",
          first: r.first,
          last: r.first,
          content: r.content,
        });
        continue;
      }
      for (let h = r.first; h <= r.last; h++) this.hourSources.delete(shardKey(r.scope, h));
    }
  }

  /**
   * Keeps what a pull brought in memory (contents, and edits of hours whose document is loaded);
   * returns the scope × hours it touched.
   */
  private take(received: readonly Received[]): ShardChange[] {
    const changes = new Map<string, ShardChange>();
    for (const r of received) {
      this.contents.put(r.id, r.content);
      const docs = this.docsOf(r.scope);
      for (const { hour, update } of r.content.yjs) docs.get(hour) && Y.applyUpdate(docs.get(hour)!, update);
      const { readings, view, deleted, yjs } = r.content;
      const hours = new Set<number>();
      for (const x of readings) hours.add(Math.floor(x.time / MS_PER_HOUR));
      for (const x of view) hours.add(Math.floor(x.time / MS_PER_HOUR));
      for (const d of deleted) hours.add(d.hour);
      for (const u of yjs) hours.add(u.hour);
      if (r.scope === "identity") hours.add(0);
      for (const hour of hours) changes.set(shardKey(r.scope, hour), { scope: r.scope, hour });
    }
    return [...changes.values()];
  }

  sealClosed(nowHour: number): Promise<number> {
    return this.serial(async () => {
      const sealed = await this.compaction.sealClosed(nowHour, await this.cursorNow());
      await this.migration.finishIfDone();
      return sealed;
    });
  }

  /** Drops decrypted contents and documents from memory (on lock or sign-out). */
  evict(): void {
    for (const docs of this.docs.values()) for (const doc of docs.values()) doc.destroy();
    this.docs.clear();
    this.contents.clear();
    this.hourSources.clear();
    this.outbox.evict();
  }
}
