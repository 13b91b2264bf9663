// The record API over the local log: typed records in, typed records out. A record lives in the
// hour of its data time for its whole life. Device readings are packed the first time they are
// written; everything a person edits, and any change to a reading, goes into the hour's Yjs document
// (client/store/hourDoc.ts), where it overrides the packed reading by id.
import { MalformedInput } from "../../shared/errors.js";
import { PACKED_TYPES } from "../../shared/recordColumns.js";
import { SCOPE_OF, hourOf, parseRecord, type Scope, type StewardRecord } from "../../shared/records.js";
import { deleteEntry, putEntry, sameValue } from "./hourDoc.js";
import { liveQuery, type LiveResult } from "./liveQuery.js";
import type { HourEditor } from "./hourWrite.js";
import type { LocalLog, ShardChange } from "./localLog.js";
import type { InvalidRecord } from "./materialise.js";

export type { InvalidRecord } from "./materialise.js";

export interface RecordQuery {
  readonly scope: Scope;
  /** Data time range, ms UTC, inclusive. */
  readonly from: number;
  readonly to: number;
}

/** Records of a `put` encrypted (sealed at rest as its hour's write) or stored on this device so far. */
export interface PutProgress {
  readonly phase: "encrypt" | "store";
  /** Records in the hour just handled. */
  readonly records: number;
}

/**
 * Puts `records` into one hour: a reading written for the first time is packed; everything else
 * (an edit, a change to a reading, one deleted before) goes into the hour's document in one change.
 */
function putInto(editor: HourEditor, records: readonly StewardRecord[]): void {
  const added = new Set<string>();
  const edits: StewardRecord[] = [];
  for (const record of records) {
    const current = editor.current(record.id);
    if (current && current.type !== record.type)
      throw new MalformedInput(
        `record ${record.id} cannot change its type or move to another hour; delete it and add a new one`,
      );
    if (PACKED_TYPES.has(record.type)) {
      if ((current && sameValue(current, record)) || added.has(record.id)) continue;
      if (!current && !editor.inDoc(record.id)) {
        editor.addReading(record);
        added.add(record.id);
        continue;
      }
    }
    edits.push(record);
  }
  if (edits.length > 0)
    editor.change((doc) => {
      for (const record of edits) putEntry(doc, record);
    });
}

export class RecordStore {
  constructor(readonly log: LocalLog) {}

  /** Records in the log that failed validation on read (written by a buggy or hostile writer). */
  get invalid(): readonly InvalidRecord[] {
    return this.log.invalid;
  }

  /**
   * Adds or replaces records (upsert by id). A record identical to what is stored writes nothing, so
   * re-importing a file adds no duplicates and sends nothing. Returns how many hours changed.
   * `onProgress` hears each hour's records once encrypted and once stored.
   */
  async put(records: readonly StewardRecord[], onProgress?: (progress: PutProgress) => void): Promise<number> {
    const byScope = new Map<Scope, Map<number, StewardRecord[]>>();
    for (const input of records) {
      const record = parseRecord(input);
      const scope = SCOPE_OF[record.type];
      let hours = byScope.get(scope);
      if (!hours) byScope.set(scope, (hours = new Map()));
      const hour = hourOf(record);
      const list = hours.get(hour);
      if (list) list.push(record);
      else hours.set(hour, [record]);
    }
    let written = 0;
    for (const [scope, hours] of byScope) {
      const edits = new Map(
        [...hours].map(([hour, list]) => [hour, (editor: HourEditor) => putInto(editor, list)] as const),
      );
      const counts = new Map([...hours].map(([hour, list]) => [hour, list.length]));
      written += await this.log.edit(
        scope,
        edits,
        onProgress && ((phase, hour) => onProgress({ phase, records: counts.get(hour) ?? 0 })),
      );
    }
    return written;
  }

  /** Deletes by tombstone: the entry stays so a concurrent edit elsewhere cannot resurrect it silently. */
  async delete(record: Pick<StewardRecord, "id" | "type" | "time">): Promise<boolean> {
    const edits = new Map([
      [
        hourOf(record),
        (editor: HourEditor) => {
          if (editor.current(record.id) || editor.inDoc(record.id)) editor.change((doc) => deleteEntry(doc, record.id));
        },
      ] as const,
    ]);
    return (await this.log.edit(SCOPE_OF[record.type], edits)) > 0;
  }

  /** Live (not deleted) records of a scope whose data time lies in [from, to], oldest first. */
  query(query: RecordQuery): Promise<StewardRecord[]> {
    return this.log.read(query.scope, query.from, query.to);
  }

  /** The first and last hour of `scope` holding data on this device, or undefined when none does. */
  extent(scope: Scope): Promise<{ fromHour: number; toHour: number } | undefined> {
    return this.log.extent(scope);
  }

  /** Calls `listener` with the hours that changed, locally or from sync. */
  subscribe(listener: (changes: ShardChange[]) => void): () => void {
    return this.log.onChange(listener);
  }

  /**
   * Reads `query` now and again whenever the store changes in its scope and hours (liveQuery.ts).
   * Given several queries, it reads them together (one list each, in order) and again whenever a
   * change touches any of them.
   */
  live(query: RecordQuery, listener: (result: LiveResult) => void): () => void;
  live(queries: readonly RecordQuery[], listener: (result: LiveResult<StewardRecord[][]>) => void): () => void;
  live(
    query: RecordQuery | readonly RecordQuery[],
    listener: ((result: LiveResult) => void) | ((result: LiveResult<StewardRecord[][]>) => void),
  ): () => void {
    if (Array.isArray(query))
      return liveQuery(this, query, listener as (result: LiveResult<StewardRecord[][]>) => void);
    const one = listener as (result: LiveResult) => void;
    return liveQuery(this, [query as RecordQuery], (r) => one(r.error ? r : { records: r.records[0]! }));
  }
}
