// One hour's part of a local write: the hour as it shows now, the readings the write adds and its
// edits of the hour's Yjs document, which is built only when the write edits it or asks about it
// (an hour of readings alone has none).
import * as Y from "yjs";
import type { Scope, StewardRecord } from "../../shared/records.js";
import type { ShardContent } from "../../shared/shardContent.js";
import { docFrom, recordsOf } from "./hourDoc.js";
import { shardKey, type HourDocs, type Source } from "./materialise.js";

/** Changes a write makes to one hour: new readings, and edits of its Yjs document. */
export interface HourEditor {
  readonly scope: Scope;
  readonly hour: number;
  /** The record of this id as the hour shows it now, if any. */
  current(id: string): StewardRecord | undefined;
  /** Whether the hour's document has an entry for this id, a tombstone included. */
  inDoc(id: string): boolean;
  addReading(record: StewardRecord): void;
  /** Edits the hour's document; all a write's edits of it are kept as one update. */
  change(edit: (doc: Y.Doc) => void): void;
}

const LOCAL = Symbol("local");

export class HourWrite implements HourEditor {
  private readonly readings: StewardRecord[] = [];
  private readonly edits: Uint8Array[] = [];

  constructor(
    readonly scope: Scope,
    readonly hour: number,
    /** What the device holds for the hour. */
    private readonly sources: readonly Source[],
    /** The hour's records as they show now, by id. */
    private readonly records: ReadonlyMap<string, StewardRecord>,
    private readonly docs: HourDocs,
  ) {}

  current(id: string): StewardRecord | undefined {
    return this.records.get(id);
  }

  inDoc(id: string): boolean {
    const stated =
      this.docs.has(this.hour) || this.sources.some((s) => s.content.yjs.some((u) => u.hour === this.hour));
    return stated && recordsOf(this.doc()).has(id);
  }

  addReading(record: StewardRecord): void {
    this.readings.push(record);
  }

  change(edit: (doc: Y.Doc) => void): void {
    const doc = this.doc();
    const collect = (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL) this.edits.push(update);
    };
    doc.on("update", collect);
    try {
      doc.transact(() => edit(doc), LOCAL);
    } finally {
      doc.off("update", collect);
    }
  }

  /** What the write adds to the hour, or undefined when it changes nothing. */
  content(): ShardContent | undefined {
    if (this.readings.length === 0 && this.edits.length === 0) return undefined;
    const update = this.edits.length > 1 ? Y.mergeUpdates(this.edits) : this.edits[0];
    return { readings: this.readings, view: [], deleted: [], yjs: update ? [{ hour: this.hour, update }] : [] };
  }

  /** The hour's document, built from every update the device holds for it if not kept already. */
  private doc(): Y.Doc {
    let doc = this.docs.get(this.hour);
    if (!doc) {
      doc = docFrom(
        this.sources.flatMap((s) => s.content.yjs.filter((u) => u.hour === this.hour).map((u) => u.update)),
        shardKey(this.scope, this.hour),
      );
      this.docs.set(this.hour, doc);
    }
    return doc;
  }
}
