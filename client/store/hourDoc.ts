// The Yjs document of one scope × hour: what a person edits. Root map `records`: id → Y.Map with
// `record` (the JSON), `deleted` (a tombstone, so a concurrent edit elsewhere cannot resurrect it
// silently) and, for a note, `text` (a Y.Text, so two devices editing it offline merge instead of
// clobbering). An entry here overrides a packed reading of the same id (docs/protocol.md §6B).
import * as Y from "yjs";
import { MalformedInput } from "../../shared/errors.js";
import { MS_PER_HOUR, SCOPE_OF, hourOf, parseRecord, type Scope, type StewardRecord } from "../../shared/records.js";
import type { DeletedRecord } from "../../shared/shardContent.js";

const RECORDS = "records";

type Entry = Y.Map<unknown>;

export function recordsOf(doc: Y.Doc): Y.Map<Entry> {
  return doc.getMap<Entry>(RECORDS);
}

/** Replaces the differing middle of a Y.Text, so concurrent edits elsewhere in it survive. */
function editText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  while (start < current.length && start < next.length && current[start] === next[start]) start++;
  let end = 0;
  while (
    end < current.length - start &&
    end < next.length - start &&
    current[current.length - 1 - end] === next[next.length - 1 - end]
  )
    end++;
  text.delete(start, current.length - start - end);
  text.insert(start, next.slice(start, next.length - end));
}

function stored(record: StewardRecord): Record<string, unknown> {
  if (record.type !== "note") return record as unknown as Record<string, unknown>;
  const { text: _text, ...body } = record.body;
  return { ...record, body };
}

/** Whether two JSON values are equal, whatever the order of their keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** Writes (or replaces) a record's entry; its hour and type never change. */
export function putEntry(doc: Y.Doc, record: StewardRecord): void {
  const map = recordsOf(doc);
  let entry = map.get(record.id);
  if (entry && entry.get("deleted") !== true) {
    const existing = entry.get("record") as { type?: string; time?: number } | undefined;
    if (
      existing &&
      (existing.type !== record.type ||
        Math.floor((existing.time ?? 0) / MS_PER_HOUR) !== Math.floor(record.time / MS_PER_HOUR))
    ) {
      throw new MalformedInput(
        `record ${record.id} cannot change its type or move to another hour; delete it and add a new one`,
      );
    }
  }
  if (!entry) {
    entry = new Y.Map<unknown>();
    map.set(record.id, entry);
  }
  const value = stored(record);
  if (!sameValue(entry.get("record"), value)) entry.set("record", value);
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

/** A tombstone for `id`, also over a packed reading that has no entry yet. */
export function deleteEntry(doc: Y.Doc, id: string): void {
  const map = recordsOf(doc);
  let entry = map.get(id);
  if (!entry) {
    entry = new Y.Map<unknown>();
    map.set(id, entry);
  }
  if (entry.get("deleted") !== true) entry.set("deleted", true);
}

export interface HourView {
  /** Live records the document holds (editable ones, and corrections of readings). */
  readonly records: StewardRecord[];
  /** Ids the document deletes (entries that are tombstones). */
  readonly deleted: DeletedRecord[];
  /** Entries that failed validation (written by a buggy or hostile writer). */
  readonly invalid: { id: string; reason: string }[];
}

/** What an hour's document leaves: its live records and its tombstones, each entry checked. */
export function viewOf(doc: Y.Doc, scope: Scope, hour: number): HourView {
  const view: HourView = { records: [], deleted: [], invalid: [] };
  recordsOf(doc).forEach((entry, id) => {
    if (!(entry instanceof Y.Map)) return;
    if (entry.get("deleted") === true) {
      view.deleted.push({ hour, id });
      return;
    }
    const raw = entry.get("record") as Record<string, unknown> | undefined;
    if (raw === undefined) return;
    const text = entry.get("text");
    const candidate =
      raw.type === "note"
        ? { ...raw, body: { ...(raw.body as object), text: text instanceof Y.Text ? text.toString() : "" } }
        : raw;
    try {
      const record = parseRecord(candidate);
      if (record.id !== id || SCOPE_OF[record.type] !== scope || hourOf(record) !== hour)
        throw new MalformedInput("record is filed under the wrong id, scope or hour");
      view.records.push(record);
    } catch (error) {
      view.invalid.push({ id, reason: (error as Error).message });
    }
  });
  return view;
}

/** A fresh document from updates (an hour's state and its later changes). */
export function docFrom(updates: readonly Uint8Array[], guid: string): Y.Doc {
  // A guid of our own: Yjs would otherwise draw a random UUID per document.
  const doc = new Y.Doc({ guid });
  if (updates.length > 0) Y.applyUpdate(doc, updates.length === 1 ? updates[0]! : Y.mergeUpdates([...updates]));
  return doc;
}
