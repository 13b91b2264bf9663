// Binary framing of the sync API, pure so the server and every client read the same bytes.
//
//   push batch:   u32 count ‖ count × (u32 length ‖ envelope)
//   page:         u8 flags (1 = more) ‖ u64 cursor ‖ u32 count ‖ count × entry
//     entry:      u64 seq ‖ u8 flags (1 = compacted) ‖ u32 length ‖ bytes
//                 bytes = a whole envelope, or for a compacted one only its 250-byte prefix
//                 (header ‖ seal ‖ signature): enough to verify the signature and the device chain.
//   compaction:   u32 count ‖ count × envelopeId 16 ‖ u32 length ‖ compaction envelope
//
// A pull page and a live WebSocket message use the same page encoding (a live message has more = 0
// and cursor = the last seq it carries), so a client has one decoder for both.
import { ByteReader, ByteWriter } from "./bytes.js";
import { ID_BYTES, MAX_BODY_BYTES, PREFIX_BYTES, HEADER_BYTES, SIGNATURE_BYTES } from "./envelopeCodec.js";
import { MalformedInput } from "./errors.js";

export const MAX_ENVELOPE_BYTES = PREFIX_BYTES + MAX_BODY_BYTES;
export const MAX_BATCH_ENVELOPES = 256;
/** Upper bound of a push or compaction request body; the worker refuses larger bodies with 413. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
export const MAX_COMPACTION_SOURCES = 4096;

export function encodeEnvelopeBatch(envelopes: readonly Uint8Array[]): Uint8Array {
  if (envelopes.length === 0 || envelopes.length > MAX_BATCH_ENVELOPES) throw new MalformedInput(`a batch holds 1 to ${MAX_BATCH_ENVELOPES} envelopes`);
  const w = new ByteWriter(4 + envelopes.reduce((n, e) => n + 4 + e.length, 0)).u32(envelopes.length);
  for (const e of envelopes) w.bytes(e);
  return w.finish();
}

export function decodeEnvelopeBatch(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length > MAX_BATCH_BYTES) throw new MalformedInput(`a batch is at most ${MAX_BATCH_BYTES} bytes`);
  const r = new ByteReader(bytes, "envelope batch");
  const count = r.u32("count");
  if (count === 0 || count > MAX_BATCH_ENVELOPES) throw new MalformedInput(`a batch holds 1 to ${MAX_BATCH_ENVELOPES} envelopes, this one claims ${count}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(r.bytes(`envelope ${i}`, MAX_ENVELOPE_BYTES));
  r.end();
  return out;
}

export interface PageEntry {
  readonly seq: number;
  readonly compacted: boolean;
  readonly bytes: Uint8Array;
}

export interface Page {
  readonly entries: readonly PageEntry[];
  /** Pull again with after = cursor; every seq up to it has been considered for this reader. */
  readonly cursor: number;
  readonly more: boolean;
}

export function encodePage(page: Page): Uint8Array {
  const size = 13 + page.entries.reduce((n, e) => n + 13 + e.bytes.length, 0);
  const w = new ByteWriter(size).u8(page.more ? 1 : 0).u64(page.cursor).u32(page.entries.length);
  for (const e of page.entries) w.u64(e.seq).u8(e.compacted ? 1 : 0).bytes(e.bytes);
  return w.finish();
}

export function decodePage(bytes: Uint8Array): Page {
  const r = new ByteReader(bytes, "sync page");
  const flags = r.u8("flags");
  if (flags > 1) throw new MalformedInput("sync page has unknown flags");
  const cursor = r.u64("cursor");
  const count = r.u32("count");
  const entries: PageEntry[] = [];
  for (let i = 0; i < count; i++) {
    const seq = r.u64("seq");
    const entryFlags = r.u8("entry flags");
    if (entryFlags > 1) throw new MalformedInput("sync page entry has unknown flags");
    const compacted = entryFlags === 1;
    const body = r.bytes("entry", MAX_ENVELOPE_BYTES);
    if (compacted && body.length !== PREFIX_BYTES) throw new MalformedInput(`a compacted entry is ${PREFIX_BYTES} bytes, got ${body.length}`);
    entries.push({ seq, compacted, bytes: body });
  }
  r.end();
  return { entries, cursor, more: flags === 1 };
}

export interface EnvelopePrefix {
  readonly headerBytes: Uint8Array;
  readonly bodyLength: number;
  readonly bodyHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** Splits a compacted entry (or any envelope's first bytes) into what its signature and chain link cover. */
export function splitEnvelopePrefix(bytes: Uint8Array): EnvelopePrefix {
  const r = new ByteReader(bytes.subarray(0, PREFIX_BYTES), "envelope prefix");
  const headerBytes = r.fixed(HEADER_BYTES, "header");
  const bodyLength = r.u32("bodyLength");
  const bodyHash = r.fixed(32, "bodyHash");
  const signature = r.fixed(SIGNATURE_BYTES, "signature");
  r.end();
  return { headerBytes, bodyLength, bodyHash, signature };
}

export interface CompactionRequest {
  /** Ids of the envelopes the compaction envelope replaces: one shard (tag, generation, hour). */
  readonly replaces: readonly Uint8Array[];
  readonly envelope: Uint8Array;
}

export function encodeCompaction(request: CompactionRequest): Uint8Array {
  if (request.replaces.length === 0 || request.replaces.length > MAX_COMPACTION_SOURCES) throw new MalformedInput(`a compaction replaces 1 to ${MAX_COMPACTION_SOURCES} envelopes`);
  const w = new ByteWriter(8 + request.replaces.length * ID_BYTES + request.envelope.length).u32(request.replaces.length);
  for (const id of request.replaces) w.fixed(id, ID_BYTES, "envelopeId");
  return w.bytes(request.envelope).finish();
}

export function decodeCompaction(bytes: Uint8Array): CompactionRequest {
  const r = new ByteReader(bytes, "compaction");
  const count = r.u32("count");
  if (count === 0 || count > MAX_COMPACTION_SOURCES) throw new MalformedInput(`a compaction replaces 1 to ${MAX_COMPACTION_SOURCES} envelopes, this one claims ${count}`);
  const replaces: Uint8Array[] = [];
  for (let i = 0; i < count; i++) replaces.push(r.fixed(ID_BYTES, "envelopeId"));
  const envelope = r.bytes("envelope", MAX_ENVELOPE_BYTES);
  r.end();
  return { replaces, envelope };
}
