// The block's wire format, pure so the server can check it without libsodium. A block seals one
// scope's data for one node of the key tree (2^level consecutive hours) under a key derived from
// that node's key; it is sealed by one of the patient's devices once the node's hours are over.
//
//   header (154 bytes, the AEAD's associated data)
//     0  magic "STWB"        4  version u8 (2)      5  level u8 (0 … 13)
//     6  patientId 16        22 scopeTag 16         38 generation u32    42 node u32 (index at that level)
//     46 blockId 16          62 authorKey 32 (Ed25519 device key)        94 deviceId 16
//     110 basis u64: the block holds every hour envelope of (scope, generation, node) the server
//         numbered at or below basis
//     118 count u32 and 122 manifestHash 32: how many those envelopes are and the hash of their ids
//         and links in server order (the manifest, see manifestHash)
//   seal: bodyLength u32, bodyHash 32 (SHA-256 of the body)
//   signature 64: Ed25519 by authorKey over context "steward/block/v1" ‖ header ‖ seal
//   body: nonce 24 ‖ commitment 32 ‖ XChaCha20-Poly1305 ciphertext of the padded plaintext
import { ByteReader, ByteWriter, bytesEqual, expectMagic, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { sha256 } from "./hash.js";
import { TREE_DEPTH } from "./hours.js";
import { signedMessage } from "./signing.js";
import {
  COMMIT_BYTES,
  ID_BYTES,
  NONCE_BYTES,
  SEAL_BYTES,
  SIGNATURE_BYTES,
  TAG_BYTES,
  encodeSeal,
} from "./envelopeCodec.js";

export const BLOCK_MAGIC = "STWB";
export const BLOCK_VERSION = 2;
export const BLOCK_HEADER_BYTES = 154;
export const BLOCK_PREFIX_BYTES = BLOCK_HEADER_BYTES + SEAL_BYTES + SIGNATURE_BYTES;
/** Level 13 is 8192 hours (341 days): a year's cover needs at most a couple of such blocks per scope. */
export const MAX_BLOCK_LEVEL = 13;
export const MIN_BLOCK_BODY_BYTES = NONCE_BYTES + COMMIT_BYTES + 256 + TAG_BYTES;
/** A block of the highest level holds months of readings; larger content is not sealed at that level. */
export const MAX_BLOCK_BODY_BYTES = 4 << 20;

export interface BlockHeader {
  readonly version: number;
  readonly level: number;
  readonly patientId: Uint8Array;
  readonly scopeTag: Uint8Array;
  readonly generation: number;
  readonly node: number;
  readonly blockId: Uint8Array;
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly basis: number;
  readonly count: number;
  readonly manifestHash: Uint8Array;
}

export interface Block {
  readonly header: BlockHeader;
  readonly headerBytes: Uint8Array;
  readonly bodyHash: Uint8Array;
  readonly signature: Uint8Array;
  readonly body: Uint8Array;
}

/** The hours a block covers, both inclusive. */
export function blockSpan(header: Pick<BlockHeader, "level" | "node">): { first: number; last: number } {
  const size = 2 ** header.level;
  return { first: header.node * size, last: (header.node + 1) * size - 1 };
}

export function encodeBlockHeader(h: BlockHeader): Uint8Array {
  checkNode(h.level, h.node);
  return new ByteWriter(BLOCK_HEADER_BYTES)
    .raw(utf8(BLOCK_MAGIC))
    .u8(h.version)
    .u8(h.level)
    .fixed(h.patientId, ID_BYTES, "patientId")
    .fixed(h.scopeTag, ID_BYTES, "scopeTag")
    .u32(h.generation)
    .u32(h.node)
    .fixed(h.blockId, ID_BYTES, "blockId")
    .fixed(h.authorKey, 32, "authorKey")
    .fixed(h.deviceId, ID_BYTES, "deviceId")
    .u64(h.basis)
    .u32(h.count)
    .fixed(h.manifestHash, 32, "manifestHash")
    .finish();
}

function checkNode(level: number, node: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_BLOCK_LEVEL)
    throw new MalformedInput(`block level ${level} is outside 0 … ${MAX_BLOCK_LEVEL}`);
  if (!Number.isInteger(node) || node < 0 || node >= 2 ** (TREE_DEPTH - level))
    throw new MalformedInput(`block node ${node} is outside the key tree at level ${level}`);
}

function decodeHeader(reader: ByteReader): BlockHeader {
  expectMagic(reader, BLOCK_MAGIC, "block");
  const version = reader.u8("version");
  if (version !== BLOCK_VERSION)
    throw new UnsupportedVersion(
      `block version ${version} is not supported (this build reads version ${BLOCK_VERSION})`,
    );
  const level = reader.u8("level");
  const header: BlockHeader = {
    version,
    level,
    patientId: reader.fixed(ID_BYTES, "patientId"),
    scopeTag: reader.fixed(ID_BYTES, "scopeTag"),
    generation: reader.u32("generation"),
    node: reader.u32("node"),
    blockId: reader.fixed(ID_BYTES, "blockId"),
    authorKey: reader.fixed(32, "authorKey"),
    deviceId: reader.fixed(ID_BYTES, "deviceId"),
    basis: reader.u64("basis"),
    count: reader.u32("count"),
    manifestHash: reader.fixed(32, "manifestHash"),
  };
  checkNode(level, header.node);
  return header;
}

export function decodeBlockHeader(headerBytes: Uint8Array): BlockHeader {
  const reader = new ByteReader(headerBytes, "block header");
  const header = decodeHeader(reader);
  reader.end();
  return header;
}

/** The bytes the sealing device signs: context, header and seal (which commits to the body). */
export function blockSignedBytes(headerBytes: Uint8Array, bodyLength: number, bodyHash: Uint8Array): Uint8Array {
  return signedMessage("block", headerBytes, encodeSeal(bodyLength, bodyHash));
}

export function encodeBlock(block: Block): Uint8Array {
  return new ByteWriter(BLOCK_PREFIX_BYTES + block.body.length)
    .raw(block.headerBytes)
    .raw(encodeSeal(block.body.length, block.bodyHash))
    .fixed(block.signature, SIGNATURE_BYTES, "signature")
    .raw(block.body)
    .finish();
}

export interface BlockPrefix {
  readonly header: BlockHeader;
  readonly headerBytes: Uint8Array;
  readonly bodyLength: number;
  readonly bodyHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** Header, seal and signature of a block: all a reader needs to check who sealed what, without the body. */
export function decodeBlockPrefix(bytes: Uint8Array): BlockPrefix {
  const reader = new ByteReader(bytes.subarray(0, BLOCK_PREFIX_BYTES), "block");
  const header = decodeHeader(reader);
  const bodyLength = reader.u32("bodyLength");
  if (bodyLength < MIN_BLOCK_BODY_BYTES || bodyLength > MAX_BLOCK_BODY_BYTES)
    throw new MalformedInput(`block body length ${bodyLength} is out of bounds`);
  const bodyHash = reader.fixed(32, "bodyHash");
  const signature = reader.fixed(SIGNATURE_BYTES, "signature");
  reader.end();
  return { header, headerBytes: bytes.slice(0, BLOCK_HEADER_BYTES), bodyLength, bodyHash, signature };
}

/** Decodes a whole block and checks that its body matches the signed hash. */
export function decodeBlock(bytes: Uint8Array): Block {
  if (bytes.length > BLOCK_PREFIX_BYTES + MAX_BLOCK_BODY_BYTES)
    throw new MalformedInput(
      `block is ${bytes.length} bytes, more than the ${BLOCK_PREFIX_BYTES + MAX_BLOCK_BODY_BYTES} allowed`,
    );
  const prefix = decodeBlockPrefix(bytes);
  if (bytes.length !== BLOCK_PREFIX_BYTES + prefix.bodyLength)
    throw new MalformedInput("block length does not match its body length");
  const body = bytes.slice(BLOCK_PREFIX_BYTES);
  if (!bytesEqual(sha256(body), prefix.bodyHash)) throw new MalformedInput("block body does not match its signed hash");
  return {
    header: prefix.header,
    headerBytes: prefix.headerBytes,
    bodyHash: prefix.bodyHash,
    signature: prefix.signature,
    body,
  };
}
