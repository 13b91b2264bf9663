// The record API over the shard store: typed records in, typed records out. A record lives in the
// shard of its data time (scope × hour) for its whole life; its fields sit in a Y.Map entry, and a
// note's text in a Y.Text so two devices editing the same note offline merge instead of clobbering.
import * as Y from "yjs";
import { MalformedInput } from "../../shared/errors.js";
import { MS_PER_HOUR, SCOPE_OF, hourOf, parseRecord, type Scope, type StewardRecord } from "../../shared/records.js";
import { liveQuery, type LiveResult } from "./liveQuery.js";
import type { ShardChange, ShardStore } from "./shards.js";

const RECORDS = "records";

export interface RecordQuery {
  readonly scope: Scope;
  /** Data time range, ms UTC, inclusive. */
  readonly from: number;
  readonly to: number;
}

/** Records of a `put` encrypted (sealed into their hour's envelope) or stored on this device so far. */
export interface PutProgress {
  readonly phase: "encrypt" | "store";
  /** Records in the shard just handled. */
  readonly records: number;
}

export interface InvalidRecord {
  readonly scope: Scope;
  readonly hour: number;
  readonly id: string;
  readonly reason: string;
}

type Entry = Y.Map<unknown>;

function recordsOf(doc: Y.Doc): Y.Map<Entry> {
  return doc.getMap<Entry>(RECORDS);
}

/** Replaces the differing middle of a Y.Text, so concurrent edits elsewhere in it survive. */
function editText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  while (start < current.length && start < next.length && current[start] === next[start]) start++;
  let end = 0;
  while (end < current.length - start && end < next.length - start && current[current.length - 1 - end] === next[next.length - 1 - end]) end++;
  text.delete(start, current.length - start - end);
  text.insert(start, next.slice(start, next.length - end));
}

function stored(record: StewardRecord): Record<string, unknown> {
  if (record.type !== "note") return record as unknown as Record<string, unknown>;
  const { text: _text, ...body } = record.body;
  return { ...record, body };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class RecordStore {
  /** Records in the log that failed validation on read (written by a buggy or hostile writer). */
  readonly invalid: InvalidRecord[] = [];

  constructor(readonly shards: ShardStore) {}

  /**
   * Adds or replaces records (upsert by id). Records are grouped per shard, one envelope per shard;
   * a record identical to what is stored writes nothing, so re-importing a file adds no duplicates
   * and sends nothing. `onProgress` hears each shard's records once encrypted and once stored.
   */
  async put(records: readonly StewardRecord[], onProgress?: (progress: PutProgress) => void): Promise<number> {
    const byShard = new Map<string, { scope: Scope; hour: number; records: StewardRecord[] }>();
    for (const input of records) {
      const record = parseRecord(input);
      const scope = SCOPE_OF[record.type];
      const hour = hourOf(record);
      const id = `${scope}:${hour}`;
      let group = byShard.get(id);
      if (!group) byShard.set(id, (group = { scope, hour, records: [] }));
      group.records.push(record);
    }
    let written = 0;
    for (const group of byShard.values()) {
      const count = group.records.length;
      const changed = await this.shards.write(
        group.scope,
        group.hour,
        (doc) => {
          const map = recordsOf(doc);
          for (const record of group.records) this.putInto(map, record);
        },
        () => onProgress?.({ phase: "encrypt", records: count }),
      );
      if (!changed) onProgress?.({ phase: "encrypt", records: count });
      onProgress?.({ phase: "store", records: count });
      if (changed) written++;
    }
    return written;
  }

  private putInto(map: Y.Map<Entry>, record: StewardRecord): void {
    let entry = map.get(record.id);
    if (entry && entry.get("deleted") !== true) {
      const existing = entry.get("record") as { type?: string; time?: number } | undefined;
      if (existing && (existing.type !== record.type || Math.floor((existing.time ?? 0) / MS_PER_HOUR) !== Math.floor(record.time / MS_PER_HOUR))) {
        throw new MalformedInput(`record ${record.id} cannot change its type or move to another hour; delete it and add a new one`);
      }
    }
    if (!entry) {
      entry = new Y.Map<unknown>();
      map.set(record.id, entry);
    }
    const value = stored(record);
    if (!sameJson(entry.get("record"), value)) entry.set("record", value);
    if (entry.get("deleted") === true) entry.delete("deleted");
    if (record.type === "note") {
      let text = entry.get("text") as Y.Text | undefined;
      if (!(text instanceof Y.Text)) {
        text = new Y.Text();
        entry.set("text", text);
      }
      editText(text, record.body.text);
    }
  }

  /** Deletes by tombstone: the entry stays so a concurrent edit elsewhere cannot resurrect it silently. */
  async delete(record: Pick<StewardRecord, "id" | "type" | "time">): Promise<boolean> {
    const scope = SCOPE_OF[record.type];
    return this.shards.write(scope, hourOf(record), (doc) => {
      const entry = recordsOf(doc).get(record.id);
      if (entry && entry.get("deleted") !== true) entry.set("deleted", true);
    });
  }

  /** Live (not deleted) records of a scope whose data time lies in [from, to], oldest first. */
  async query(query: RecordQuery): Promise<StewardRecord[]> {
    const identity = query.scope === "identity";
    const fromHour = identity ? 0 : Math.floor(query.from / MS_PER_HOUR);
    const toHour = identity ? 0 : Math.floor(query.to / MS_PER_HOUR);
    const out: StewardRecord[] = [];
    for (const [hour, doc] of await this.shards.docsBetween(query.scope, fromHour, toHour)) {
      for (const record of this.readShard(query.scope, hour, doc)) {
        if (identity || (record.time >= query.from && record.time <= query.to)) out.push(record);
      }
    }
    return out.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private readShard(scope: Scope, hour: number, doc: Y.Doc): StewardRecord[] {
    const out: StewardRecord[] = [];
    recordsOf(doc).forEach((entry, id) => {
      if (!(entry instanceof Y.Map) || entry.get("deleted") === true) return;
      const raw = entry.get("record") as Record<string, unknown> | undefined;
      const text = entry.get("text");
      const candidate = raw && raw.type === "note" ? { ...raw, body: { ...(raw.body as object), text: text instanceof Y.Text ? text.toString() : "" } } : raw;
      try {
        const record = parseRecord(candidate);
        if (record.id !== id || SCOPE_OF[record.type] !== scope || hourOf(record) !== hour) throw new MalformedInput("record is filed under the wrong id, scope or hour");
        out.push(record);
      } catch (error) {
        if (!this.invalid.some((i) => i.id === id && i.hour === hour)) this.invalid.push({ scope, hour, id, reason: (error as Error).message });
      }
    });
    return out;
  }

  /** The first and last hour of `scope` holding data on this device, or undefined when none does. */
  async extent(scope: Scope): Promise<{ fromHour: number; toHour: number } | undefined> {
    const hours = await this.shards.hoursWithData(scope, 0, 2 ** 21 - 1);
    return hours.length === 0 ? undefined : { fromHour: hours[0]!, toHour: hours[hours.length - 1]! };
  }

  /** Calls `listener` with the shards that changed, locally or from sync. */
  subscribe(listener: (changes: ShardChange[]) => void): () => void {
    return this.shards.onChange(listener);
  }

  /** Reads `query` now and again whenever the store changes in its scope and hours (liveQuery.ts). */
  live(query: RecordQuery, listener: (result: LiveResult) => void): () => void {
    return liveQuery(this, query, listener);
  }
}
