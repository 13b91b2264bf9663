// Binary framing of the sync API, pure so the server and every client read the same bytes.
//
//   upload := "STWU" ‖ u8 version (2) ‖ u32 count ‖ count × (u32 length ‖ object) ‖ extras
//   page   := "STWP" ‖ u8 version (2) ‖ u8 flags (1 = more) ‖ u64 cursor ‖ u32 count ‖ count × entry ‖ extras
//   entry  := u64 seq ‖ u8 flags ‖ u32 length ‖ object [‖ u32 length ‖ manifest]
//             flags: 1 = prefix only (header ‖ seal ‖ signature: the body was replaced by a block),
//                    2 = the block's manifest follows (manifest.ts)
//   extras := u32 count ‖ count × (u8 kind ‖ u32 length ‖ bytes)
//
// An object is an hour envelope ("STWE…") or a block ("STWB…"). Entries are in seq order. A page may
// end with blocks numbered past its cursor: they prove what its prefix-only entries hold, and come
// again in the next page. Extras carry signed objects that travel beside envelopes (#10: signed heads
// and read receipts); their kinds are reserved here and their bytes defined with them. A live
// WebSocket message is a page (more = 0, cursor = its last seq), so a client has one decoder.
import { ByteReader, ByteWriter, bytesEqual, expectMagic, utf8 } from "./bytes.js";
import { BLOCK_MAGIC, BLOCK_PREFIX_BYTES, MAX_BLOCK_BODY_BYTES } from "./blockCodec.js";
import { ENVELOPE_MAGIC, HEADER_BYTES, PREFIX_BYTES, SIGNATURE_BYTES } from "./envelopeCodec.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { MANIFEST_ENTRY_BYTES } from "./manifest.js";

export const FRAMES_VERSION = 2;
export const MAX_OBJECT_BYTES = BLOCK_PREFIX_BYTES + MAX_BLOCK_BODY_BYTES;
export const MAX_BATCH_ENVELOPES = 1024;
/** Upper bound of an upload; the worker refuses larger bodies with 413. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** A manifest travels only with a block of one hour (level 0), whose envelopes it lists. */
export const MAX_MANIFEST_ENTRIES = 65_536;
export const MAX_EXTRAS = 1024;
export const MAX_EXTRA_BYTES = 64 * 1024;
/** Kinds of extras; #10 defines their bytes. Any other kind is refused. */
export const EXTRA_KINDS = { head: 1, receipt: 2 } as const;

export type ObjectKind = "envelope" | "block";

export interface Extra {
  readonly kind: number;
  readonly bytes: Uint8Array;
}

export function objectKind(bytes: Uint8Array): ObjectKind {
  const magic = bytes.subarray(0, 4);
  if (bytesEqual(magic, utf8(ENVELOPE_MAGIC))) return "envelope";
  if (bytesEqual(magic, utf8(BLOCK_MAGIC))) return "block";
  throw new MalformedInput("a sync object is neither an envelope nor a block");
}

function writeExtras(w: ByteWriter, extras: readonly Extra[]): void {
  w.u32(extras.length);
  for (const e of extras) w.u8(e.kind).bytes(e.bytes);
}

function readExtras(r: ByteReader): Extra[] {
  const count = r.u32("extras");
  if (count > MAX_EXTRAS) throw new MalformedInput(`at most ${MAX_EXTRAS} extras, this message claims ${count}`);
  const out: Extra[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8("extra kind");
    if (!Object.values(EXTRA_KINDS).includes(kind as never)) throw new MalformedInput(`extra kind ${kind} is unknown`);
    out.push({ kind, bytes: r.bytes("extra", MAX_EXTRA_BYTES) });
  }
  return out;
}

function readVersion(r: ByteReader, magic: string, what: string): void {
  expectMagic(r, magic, what);
  const version = r.u8("version");
  if (version !== FRAMES_VERSION)
    throw new UnsupportedVersion(
      `${what} version ${version} is not supported (this build speaks version ${FRAMES_VERSION})`,
    );
}

export function encodeUpload(objects: readonly Uint8Array[], extras: readonly Extra[] = []): Uint8Array {
  if (objects.length > MAX_BATCH_ENVELOPES || (objects.length === 0 && extras.length === 0))
    throw new MalformedInput(`an upload holds 1 to ${MAX_BATCH_ENVELOPES} objects`);
  const w = new ByteWriter(13 + objects.reduce((n, e) => n + 4 + e.length, 0))
    .raw(utf8("STWU"))
    .u8(FRAMES_VERSION)
    .u32(objects.length);
  for (const o of objects) w.bytes(o);
  writeExtras(w, extras);
  return w.finish();
}

export function decodeUpload(bytes: Uint8Array): { objects: Uint8Array[]; extras: Extra[] } {
  if (bytes.length > MAX_BATCH_BYTES) throw new MalformedInput(`an upload is at most ${MAX_BATCH_BYTES} bytes`);
  const r = new ByteReader(bytes, "upload");
  readVersion(r, "STWU", "upload");
  const count = r.u32("count");
  if (count > MAX_BATCH_ENVELOPES)
    throw new MalformedInput(`an upload holds 1 to ${MAX_BATCH_ENVELOPES} objects, this one claims ${count}`);
  const objects: Uint8Array[] = [];
  for (let i = 0; i < count; i++) objects.push(r.bytes(`object ${i}`, MAX_OBJECT_BYTES));
  const extras = readExtras(r);
  r.end();
  if (objects.length === 0 && extras.length === 0)
    throw new MalformedInput(`an upload holds 1 to ${MAX_BATCH_ENVELOPES} objects`);
  return { objects, extras };
}

export interface PageEntry {
  readonly seq: number;
  /** Only the prefix (header ‖ seal ‖ signature): a block holds its content. */
  readonly compacted: boolean;
  readonly bytes: Uint8Array;
  /** With a block of one hour: the envelopes it holds (manifest.ts encoding), for prefix-only entries. */
  readonly manifest?: Uint8Array;
}

export interface Page {
  readonly entries: readonly PageEntry[];
  /** Pull again with after = cursor; every seq up to it has been considered for this reader. */
  readonly cursor: number;
  readonly more: boolean;
  readonly extras?: readonly Extra[];
}

export function encodePage(page: Page): Uint8Array {
  const size =
    22 + page.entries.reduce((n, e) => n + 17 + e.bytes.length + (e.manifest ? 4 + e.manifest.length : 0), 0);
  const w = new ByteWriter(size)
    .raw(utf8("STWP"))
    .u8(FRAMES_VERSION)
    .u8(page.more ? 1 : 0)
    .u64(page.cursor)
    .u32(page.entries.length);
  for (const e of page.entries) {
    w.u64(e.seq)
      .u8((e.compacted ? 1 : 0) | (e.manifest ? 2 : 0))
      .bytes(e.bytes);
    if (e.manifest) w.bytes(e.manifest);
  }
  writeExtras(w, page.extras ?? []);
  return w.finish();
}

export function decodePage(bytes: Uint8Array): Page {
  const r = new ByteReader(bytes, "sync page");
  readVersion(r, "STWP", "sync page");
  const flags = r.u8("flags");
  if (flags > 1) throw new MalformedInput("sync page has unknown flags");
  const cursor = r.u64("cursor");
  const count = r.u32("count");
  if (count > r.remaining) throw new MalformedInput("sync page claims more entries than it holds");
  const entries: PageEntry[] = [];
  for (let i = 0; i < count; i++) {
    const seq = r.u64("seq");
    const entryFlags = r.u8("entry flags");
    if (entryFlags > 3) throw new MalformedInput("sync page entry has unknown flags");
    const compacted = (entryFlags & 1) === 1;
    const object = r.bytes("entry", MAX_OBJECT_BYTES);
    const kind = objectKind(object);
    if (compacted && object.length !== (kind === "block" ? BLOCK_PREFIX_BYTES : PREFIX_BYTES))
      throw new MalformedInput(
        `a prefix-only ${kind} is ${kind === "block" ? BLOCK_PREFIX_BYTES : PREFIX_BYTES} bytes, got ${object.length}`,
      );
    const entry: PageEntry = { seq, compacted, bytes: object };
    if ((entryFlags & 2) === 2) {
      if (kind !== "block") throw new MalformedInput("only a block carries a manifest");
      entries.push({ ...entry, manifest: r.bytes("manifest", MAX_MANIFEST_ENTRIES * MANIFEST_ENTRY_BYTES) });
    } else entries.push(entry);
  }
  const extras = readExtras(r);
  r.end();
  return { entries, cursor, more: flags === 1, ...(extras.length > 0 ? { extras } : {}) };
}

export interface EnvelopePrefix {
  readonly headerBytes: Uint8Array;
  readonly bodyLength: number;
  readonly bodyHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** Splits an envelope (or its prefix) into what its signature and chain link cover. */
export function splitEnvelopePrefix(bytes: Uint8Array): EnvelopePrefix {
  const r = new ByteReader(bytes.subarray(0, PREFIX_BYTES), "envelope prefix");
  const headerBytes = r.fixed(HEADER_BYTES, "header");
  const bodyLength = r.u32("bodyLength");
  const bodyHash = r.fixed(32, "bodyHash");
  const signature = r.fixed(SIGNATURE_BYTES, "signature");
  r.end();
  return { headerBytes, bodyLength, bodyHash, signature };
}
