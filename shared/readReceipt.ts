// A signed read receipt: a grantee's device says, under its own signature, what it read of the
// patient's log (which grant, which range of server sequence numbers, how many envelopes, when)
// and which writers' heads it was shown. Receipts chain per reader device and grant, so the patient
// sees a receipt the server hid as a hole in the chain, and the echoed heads let the patient's
// devices compare the history the server showed the grantee with their own.
//
//   body: magic "STRC" ‖ version u8 ‖ patientId 16 ‖ grantId 16 ‖ readerKey 32 (grantee identity key)
//         ‖ readerDeviceId 16 ‖ seq u64 (from 1) ‖ prevHash 32 ‖ time u64 (ms) ‖ kind u8 (1 open, 2 read)
//         ‖ after u64 ‖ cursor u64 ‖ count u32 ‖ headCount u8 ‖ headCount × head seen
//     head seen: authorKey 32 ‖ deviceId 16 ‖ seq u64 ‖ link 32 ‖ time u64 (of the writer's signed head)
//   signature 64: Ed25519 by readerKey over "steward/read-receipt/v1" ‖ 0 ‖ body
//   prevHash of receipt n+1 = labelledHash("steward/read-receipt-link/v1", receipt n); zeros for the first
//
// Pure codec: the server verifies with WebCrypto, clients with libsodium.
import { ByteReader, ByteWriter, expectMagic, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { labelledHash } from "./hash.js";
import { signedMessage } from "./signing.js";

export const READ_RECEIPT_VERSION = 1;
export const MAX_RECEIPT_HEADS = 64;
const HEAD_SEEN_BYTES = 32 + 16 + 8 + 32 + 8;
export const MAX_READ_RECEIPT_BYTES =
  4 + 1 + 16 + 16 + 32 + 16 + 8 + 32 + 8 + 1 + 8 + 8 + 4 + 1 + MAX_RECEIPT_HEADS * HEAD_SEEN_BYTES + 64;
const KINDS = { open: 1, read: 2 } as const;
export type ReceiptKind = keyof typeof KINDS;

/** A writer's head as a reader was shown it (shared/signedHead.ts). */
export interface HeadSeen {
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly seq: number;
  readonly link: Uint8Array;
  readonly time: number;
}

export interface ReadReceipt {
  readonly patientId: Uint8Array;
  readonly grantId: Uint8Array;
  readonly readerKey: Uint8Array;
  readonly readerDeviceId: Uint8Array;
  readonly seq: number;
  readonly prevHash: Uint8Array;
  readonly time: number;
  /** "open": the share was opened; "read": envelopes after `after` up to `cursor` were received. */
  readonly kind: ReceiptKind;
  readonly after: number;
  readonly cursor: number;
  readonly count: number;
  readonly heads: readonly HeadSeen[];
  readonly signature: Uint8Array;
}

export type UnsignedReadReceipt = Omit<ReadReceipt, "signature">;

function body(r: UnsignedReadReceipt): Uint8Array {
  if (r.heads.length > MAX_RECEIPT_HEADS)
    throw new MalformedInput(`a receipt echoes at most ${MAX_RECEIPT_HEADS} heads`);
  if (r.seq < 1) throw new MalformedInput("receipt sequence numbers start at 1");
  if (r.cursor < r.after) throw new MalformedInput("a receipt's range ends before it starts");
  const w = new ByteWriter(MAX_READ_RECEIPT_BYTES)
    .raw(utf8("STRC"))
    .u8(READ_RECEIPT_VERSION)
    .fixed(r.patientId, 16, "patientId")
    .fixed(r.grantId, 16, "grantId")
    .fixed(r.readerKey, 32, "readerKey")
    .fixed(r.readerDeviceId, 16, "readerDeviceId")
    .u64(r.seq)
    .fixed(r.prevHash, 32, "prevHash")
    .u64(r.time)
    .u8(KINDS[r.kind])
    .u64(r.after)
    .u64(r.cursor)
    .u32(r.count)
    .u8(r.heads.length);
  for (const h of r.heads)
    w.fixed(h.authorKey, 32, "authorKey")
      .fixed(h.deviceId, 16, "deviceId")
      .u64(h.seq)
      .fixed(h.link, 32, "link")
      .u64(h.time);
  return w.finish();
}

export function readReceiptSignedBytes(r: UnsignedReadReceipt): Uint8Array {
  return signedMessage("readReceipt", body(r));
}

export function encodeReadReceipt(r: ReadReceipt): Uint8Array {
  return new ByteWriter(MAX_READ_RECEIPT_BYTES).raw(body(r)).fixed(r.signature, 64, "signature").finish();
}

/** The next receipt's prevHash. */
export function readReceiptLink(encoded: Uint8Array): Uint8Array {
  return labelledHash("steward/read-receipt-link/v1", encoded);
}

/** Decodes a receipt's structure; the reader's signature is checked by the caller. */
export function decodeReadReceipt(bytes: Uint8Array): ReadReceipt {
  if (bytes.length > MAX_READ_RECEIPT_BYTES) throw new MalformedInput("read receipt is too long");
  const r = new ByteReader(bytes, "read receipt");
  expectMagic(r, "STRC", "read receipt");
  const version = r.u8("version");
  if (version !== READ_RECEIPT_VERSION)
    throw new UnsupportedVersion(`read receipt version ${version} is not supported`);
  const fields = {
    patientId: r.fixed(16, "patientId"),
    grantId: r.fixed(16, "grantId"),
    readerKey: r.fixed(32, "readerKey"),
    readerDeviceId: r.fixed(16, "readerDeviceId"),
    seq: r.u64("seq"),
    prevHash: r.fixed(32, "prevHash"),
    time: r.u64("time"),
  };
  const kindCode = r.u8("kind");
  const kind = (Object.keys(KINDS) as ReceiptKind[]).find((k) => KINDS[k] === kindCode);
  if (!kind) throw new MalformedInput(`read receipt kind ${kindCode} is unknown`);
  const after = r.u64("after");
  const cursor = r.u64("cursor");
  const count = r.u32("count");
  const headCount = r.u8("headCount");
  if (headCount > MAX_RECEIPT_HEADS) throw new MalformedInput(`a receipt echoes at most ${MAX_RECEIPT_HEADS} heads`);
  const heads = Array.from({ length: headCount }, () => ({
    authorKey: r.fixed(32, "authorKey"),
    deviceId: r.fixed(16, "deviceId"),
    seq: r.u64("seq"),
    link: r.fixed(32, "link"),
    time: r.u64("time"),
  }));
  const signature = r.fixed(64, "signature");
  r.end();
  if (fields.seq < 1 || cursor < after) throw new MalformedInput("read receipt numbers are out of range");
  return { ...fields, kind, after, cursor, count, heads, signature };
}
