// The hour envelope's wire format, pure so the server can decode and check it without libsodium.
//
//   header (150 bytes, the AEAD's associated data)
//     0  magic "STWE"        4  version u8 (2)      5  kind u8 (1 update)
//     6  patientId 16        22 scopeTag 16         38 generation u32    42 hour u32
//     46 envelopeId 16       62 authorKey 32 (Ed25519 device key)        94 deviceId 16
//     110 seq u64 (per author device, from 1)       118 prevHash 32 (link of the device's previous envelope)
//   seal: bodyLength u32, bodyHash 32 (SHA-256 of the body)
//   signature 64: Ed25519 by authorKey over context "steward/envelope/v1" ‖ header ‖ seal
//   body: nonce 24 ‖ commitment 32 ‖ XChaCha20-Poly1305 ciphertext of the padded plaintext
//
// The signature covers the body through bodyHash, so a header alone is verifiable: an envelope
// whose body a block replaced keeps its prefix, and the device chains stay checkable. Version 1
// (the same layout, with kind 2 for v1 compactions) is read only to migrate v1 logs.
import { ByteReader, ByteWriter, bytesEqual, expectMagic, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { labelledHash, sha256 } from "./hash.js";
import { signedMessage } from "./signing.js";

/** The body shared with blocks (sealedBody.ts): nonce ‖ commitment ‖ ciphertext with its tag. */
export const NONCE_BYTES = 24;
export const COMMIT_BYTES = 32;
export const TAG_BYTES = 16;
export const ENVELOPE_MAGIC = "STWE";
export const ENVELOPE_VERSION = 2;
/** The version v1 clients wrote; readable only by the migration. */
export const LEGACY_ENVELOPE_VERSION = 1;
export const HEADER_BYTES = 150;
export const SEAL_BYTES = 36;
export const SIGNATURE_BYTES = 64;
export const PREFIX_BYTES = HEADER_BYTES + SEAL_BYTES + SIGNATURE_BYTES;
export const MIN_BODY_BYTES = NONCE_BYTES + COMMIT_BYTES + 256 + TAG_BYTES;
/** One hour of one scope stays far below this; anything larger is refused before decryption. */
export const MAX_BODY_BYTES = 1 << 20;
export const ID_BYTES = 16;
export const ZERO_HASH = new Uint8Array(32);

/** `compaction` exists only in version 1 (v2 replaces v1 compactions by blocks). */
export const ENVELOPE_KINDS = { update: 1, compaction: 2 } as const;
export type EnvelopeKind = keyof typeof ENVELOPE_KINDS;

export interface EnvelopeHeader {
  readonly version: number;
  readonly kind: EnvelopeKind;
  readonly patientId: Uint8Array;
  readonly scopeTag: Uint8Array;
  readonly generation: number;
  readonly hour: number;
  readonly envelopeId: Uint8Array;
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly seq: number;
  readonly prevHash: Uint8Array;
}

export interface Envelope {
  readonly header: EnvelopeHeader;
  readonly bodyHash: Uint8Array;
  readonly signature: Uint8Array;
  readonly body: Uint8Array;
  /** The encoded header: the AEAD's associated data. */
  readonly headerBytes: Uint8Array;
}

export interface DecodeOptions {
  /** Accept version 1 (only the migration of a v1 log does). */
  readonly legacy?: boolean;
}

export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  const kind = ENVELOPE_KINDS[h.kind];
  if (kind === undefined) throw new MalformedInput(`unknown envelope kind ${String(h.kind)}`);
  if (h.seq < 1) throw new MalformedInput("envelope seq starts at 1");
  return new ByteWriter(HEADER_BYTES)
    .raw(utf8(ENVELOPE_MAGIC))
    .u8(h.version)
    .u8(kind)
    .fixed(h.patientId, ID_BYTES, "patientId")
    .fixed(h.scopeTag, ID_BYTES, "scopeTag")
    .u32(h.generation)
    .u32(h.hour)
    .fixed(h.envelopeId, ID_BYTES, "envelopeId")
    .fixed(h.authorKey, 32, "authorKey")
    .fixed(h.deviceId, ID_BYTES, "deviceId")
    .u64(h.seq)
    .fixed(h.prevHash, 32, "prevHash")
    .finish();
}

function decodeHeader(reader: ByteReader, options: DecodeOptions): EnvelopeHeader {
  expectMagic(reader, ENVELOPE_MAGIC, "envelope");
  const version = reader.u8("version");
  if (version !== ENVELOPE_VERSION && !(options.legacy && version === LEGACY_ENVELOPE_VERSION)) {
    throw new UnsupportedVersion(
      `envelope version ${version} is not supported (this build reads version ${ENVELOPE_VERSION})`,
    );
  }
  const kindCode = reader.u8("kind");
  const kind = (Object.keys(ENVELOPE_KINDS) as EnvelopeKind[]).find((k) => ENVELOPE_KINDS[k] === kindCode);
  if (!kind || (kind === "compaction" && version !== LEGACY_ENVELOPE_VERSION))
    throw new MalformedInput(`envelope kind ${kindCode} is unknown`);
  const header: EnvelopeHeader = {
    version,
    kind,
    patientId: reader.fixed(ID_BYTES, "patientId"),
    scopeTag: reader.fixed(ID_BYTES, "scopeTag"),
    generation: reader.u32("generation"),
    hour: reader.u32("hour"),
    envelopeId: reader.fixed(ID_BYTES, "envelopeId"),
    authorKey: reader.fixed(32, "authorKey"),
    deviceId: reader.fixed(ID_BYTES, "deviceId"),
    seq: reader.u64("seq"),
    prevHash: reader.fixed(32, "prevHash"),
  };
  if (header.seq < 1) throw new MalformedInput("envelope seq must start at 1");
  return header;
}

/** Decodes a header on its own (a replaced envelope is served as its prefix). */
export function decodeEnvelopeHeader(headerBytes: Uint8Array, options: DecodeOptions = {}): EnvelopeHeader {
  const reader = new ByteReader(headerBytes, "envelope header");
  const header = decodeHeader(reader, options);
  reader.end();
  return header;
}

/** The bytes the author signs: context, header and seal (which commits to the body). */
export function envelopeSignedBytes(headerBytes: Uint8Array, bodyLength: number, bodyHash: Uint8Array): Uint8Array {
  return signedMessage("envelope", headerBytes, encodeSeal(bodyLength, bodyHash));
}

export function encodeSeal(bodyLength: number, bodyHash: Uint8Array): Uint8Array {
  return new ByteWriter(SEAL_BYTES).u32(bodyLength).fixed(bodyHash, 32, "bodyHash").finish();
}

export function encodeEnvelope(envelope: Omit<Envelope, "headerBytes"> & { headerBytes?: Uint8Array }): Uint8Array {
  const headerBytes = envelope.headerBytes ?? encodeHeader(envelope.header);
  return new ByteWriter(PREFIX_BYTES + envelope.body.length)
    .raw(headerBytes)
    .raw(encodeSeal(envelope.body.length, envelope.bodyHash))
    .fixed(envelope.signature, SIGNATURE_BYTES, "signature")
    .raw(envelope.body)
    .finish();
}

/**
 * Decodes and checks an envelope's structure: version, sizes, and that the body matches the
 * signed body hash. Signature and decryption are checked by the caller (server: WebCrypto;
 * clients: libsodium, along with the key commitment).
 */
export function decodeEnvelope(bytes: Uint8Array, options: DecodeOptions = {}): Envelope {
  if (bytes.length > PREFIX_BYTES + MAX_BODY_BYTES)
    throw new MalformedInput(
      `envelope is ${bytes.length} bytes, more than the ${PREFIX_BYTES + MAX_BODY_BYTES} allowed`,
    );
  const reader = new ByteReader(bytes, "envelope");
  const header = decodeHeader(reader, options);
  const bodyLength = reader.u32("bodyLength");
  if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES)
    throw new MalformedInput(`envelope body length ${bodyLength} is out of bounds`);
  const bodyHash = reader.fixed(32, "bodyHash");
  const signature = reader.fixed(SIGNATURE_BYTES, "signature");
  const body = reader.fixed(bodyLength, "body");
  reader.end();
  if (!bytesEqual(sha256(body), bodyHash)) throw new MalformedInput("envelope body does not match its signed hash");
  return { header, bodyHash, signature, body, headerBytes: bytes.slice(0, HEADER_BYTES) };
}

/** Link of an envelope in its author device's chain: the next envelope's prevHash. */
export function envelopeLink(headerBytes: Uint8Array, bodyLength: number, bodyHash: Uint8Array): Uint8Array {
  return labelledHash("steward/envelope-link/v1", headerBytes, encodeSeal(bodyLength, bodyHash));
}
