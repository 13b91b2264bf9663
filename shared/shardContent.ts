// The plaintext of an hour envelope or a block: what one scope holds over a span of hours.
//
//   content := u8 format (1)
//              ‖ varint n ‖ readings  (packed device readings: CGM, finger-sticks, basal, boluses, …)
//              ‖ varint n ‖ view      (packed editable records as the Yjs states below leave them)
//              ‖ varint k ‖ k × (varint hour offset ‖ varint n ‖ id)      (records the states delete)
//              ‖ varint m ‖ m × (varint hour offset ‖ varint n ‖ Yjs update of that hour's document)
//
// Device readings never change once written, so they are columns, not CRDT state. Everything a
// person edits (meals, notes, settings, identity, and any correction or deletion of a reading) is a
// Yjs document per hour, so offline edits on several devices still merge; an entry there overrides a
// packed reading of the same id. An hour envelope carries Yjs updates and no view; a block carries
// each hour's whole Yjs state and, beside it, the view and deletions read off that state, so opening
// a block builds no Yjs document unless a later hour envelope edits that hour.
import { ByteReader, ByteWriter, fromUtf8, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { decodeRecords, encodeRecords } from "./packedColumns.js";
import { PACKED_TYPES } from "./recordColumns.js";
import { MS_PER_HOUR, SCOPE_OF, hourOf, type Scope, type StewardRecord } from "./records.js";

export const CONTENT_FORMAT = 1;
const MAX_ID_BYTES = 800;

export interface HourUpdate {
  readonly hour: number;
  readonly update: Uint8Array;
}

export interface DeletedRecord {
  readonly hour: number;
  readonly id: string;
}

export interface ShardContent {
  readonly readings: readonly StewardRecord[];
  readonly view: readonly StewardRecord[];
  readonly deleted: readonly DeletedRecord[];
  /** At most one per hour, in hour order. */
  readonly yjs: readonly HourUpdate[];
}

/** Where an object's content must lie: its scope and the hours of its span, both inclusive. */
export interface ContentSpan {
  readonly scope: Scope;
  readonly first: number;
  readonly last: number;
}

export const EMPTY_CONTENT: ShardContent = { readings: [], view: [], deleted: [], yjs: [] };

function offsetOf(hour: number, span: ContentSpan, what: string): number {
  if (!Number.isInteger(hour) || hour < span.first || hour > span.last)
    throw new MalformedInput(`${what} of hour ${hour} lies outside hours ${span.first}–${span.last}`);
  return hour - span.first;
}

export function encodeContent(content: ShardContent, span: ContentSpan): Uint8Array {
  const readings = encodeRecords(content.readings);
  const view = encodeRecords(content.view);
  let size = 32 + readings.length + view.length;
  for (const d of content.deleted) size += 8 + 3 * d.id.length;
  for (const u of content.yjs) size += 8 + u.update.length;
  const w = new ByteWriter(size);
  w.u8(CONTENT_FORMAT);
  w.varBytes(readings);
  w.varBytes(view);
  w.varint(content.deleted.length);
  for (const d of content.deleted) w.varint(offsetOf(d.hour, span, "a deletion")).varBytes(utf8(d.id));
  w.varint(content.yjs.length);
  let previous = -1;
  for (const { hour, update } of content.yjs) {
    if (hour <= previous) throw new MalformedInput("Yjs states must be one per hour, in hour order");
    previous = hour;
    w.varint(offsetOf(hour, span, "a Yjs update")).varBytes(update);
  }
  return w.finish();
}

function checkRecords(
  records: readonly StewardRecord[],
  span: ContentSpan,
  packed: boolean | undefined,
  what: string,
): void {
  // Records come grouped by type: each type is checked once, each time against the span's bounds.
  const from = span.first * MS_PER_HOUR;
  const to = (span.last + 1) * MS_PER_HOUR;
  let checked: string | undefined;
  for (const r of records) {
    if (r.type !== checked) {
      if (SCOPE_OF[r.type] !== span.scope)
        throw new MalformedInput(`${what} holds a ${r.type} record, which is not ${span.scope}`);
      if (packed !== undefined && PACKED_TYPES.has(r.type) !== packed)
        throw new MalformedInput(
          `${what} holds a ${r.type} record, which belongs ${packed ? "in Yjs" : "with the readings"}`,
        );
      checked = r.type;
    }
    if (!(r.time >= from && r.time < to) || span.scope === "identity") offsetOf(hourOf(r), span, what);
  }
}

/** Decodes and checks a content: every record of the object's scope and inside its span. */
export function decodeContent(bytes: Uint8Array, span: ContentSpan): ShardContent {
  const r = new ByteReader(bytes, "content");
  const format = r.u8("format");
  if (format !== CONTENT_FORMAT)
    throw new UnsupportedVersion(
      `content format ${format} is not supported (this build reads format ${CONTENT_FORMAT})`,
    );
  const readings = decodeRecords(r.varView("readings", bytes.length));
  checkRecords(readings, span, true, "the readings");
  // The view may hold corrections of readings, so any type of the scope.
  const view = decodeRecords(r.varView("view", bytes.length));
  checkRecords(view, span, undefined, "the view");
  const deletedCount = r.varint("deletions");
  if (deletedCount > r.remaining) throw new MalformedInput("content: more deletions than bytes");
  const deleted: DeletedRecord[] = [];
  for (let i = 0; i < deletedCount; i++) {
    const hour = span.first + r.varint("deletion hour");
    offsetOf(hour, span, "a deletion");
    deleted.push({ hour, id: fromUtf8(r.varView("deleted id", MAX_ID_BYTES), "deleted id") });
  }
  const count = r.varint("Yjs updates");
  if (count > r.remaining) throw new MalformedInput("content: more Yjs updates than bytes");
  const yjs: HourUpdate[] = [];
  for (let i = 0; i < count; i++) {
    const hour = span.first + r.varint("Yjs hour");
    offsetOf(hour, span, "a Yjs update");
    if (yjs.length > 0 && hour <= yjs[yjs.length - 1]!.hour)
      throw new MalformedInput("content: Yjs updates out of hour order");
    yjs.push({ hour, update: r.varBytes("Yjs update", bytes.length) });
  }
  r.end();
  // The view and the deletions are read off the Yjs states: an hour without a state has neither.
  const stated = new Set(yjs.map((u) => u.hour));
  if (view.some((v) => !stated.has(hourOf(v))) || deleted.some((d) => !stated.has(d.hour)))
    throw new MalformedInput("content: a view or a deletion for an hour without a Yjs state");
  return { readings, view, deleted, yjs };
}
