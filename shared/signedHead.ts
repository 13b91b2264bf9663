// A signed head: where one writer's chain stands, in the writer's own words. Every writing device
// signs one with each push, and the patient's devices sign a heartbeat head every few minutes while
// online; the patient log keeps the latest head of every writer and serves them all with every pull
// and on the live socket. A reader compares each head with what it holds: a head beyond what it
// was served means data is being withheld; two heads of one writer with one sequence number and
// different links are a fork; a head older than the heartbeat bound means the data may be
// incomplete since that time.
//
//   body: magic "STHD" ‖ version u8 ‖ patientId 16 ‖ authorKey 32 ‖ deviceId 16 ‖ seq u64 (0: nothing
//         written yet) ‖ link 32 (of envelope `seq`; zeros for 0) ‖ keyRingVersion u32 (the patient's
//         key ring it writes under; 0 for a grantee) ‖ devicesIndex u32 ‖ devicesHash 32 (the
//         patient's device list as the writer knows it, its newest change; zeros for a grantee)
//         ‖ time u64 (ms) ‖ scopeCount u8
//         ‖ scopeCount × (scopeTag 16 ‖ generation u32 (it writes under) ‖ newest: envelopeId 16
//           ‖ hour u32 ‖ generation u32, of its envelope in that scope at the latest hour; zeros if none)
//   signature 64: Ed25519 by authorKey over "steward/head/v1" ‖ 0 ‖ body
//
// Pure codec: the server verifies with WebCrypto, clients with libsodium.
import { ByteReader, ByteWriter, bytesEqual, expectMagic, toHex, utf8 } from "./bytes.js";
import type { ChainPoint } from "./deviceList.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { signedMessage } from "./signing.js";

export const HEAD_VERSION = 1;
export const MAX_HEAD_SCOPES = 6;
const SCOPE_BYTES = 16 + 4 + 16 + 4 + 4;
export const MAX_HEAD_BYTES = 4 + 1 + 16 + 32 + 16 + 8 + 32 + 4 + 36 + 8 + 1 + MAX_HEAD_SCOPES * SCOPE_BYTES + 64;
/** Patient devices sign a heartbeat head at least this often while online. */
export const HEARTBEAT_MS = 5 * 60_000;
/**
 * A writer whose newest head is older than this (three heartbeats: one lost, and clocks a few
 * minutes apart) has either been offline or is being withheld: its data may be incomplete since.
 */
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

export interface HeadScope {
  readonly scopeTag: Uint8Array;
  /** The generation the writer uses for new writes in this scope. */
  readonly generation: number;
  /** Its envelope of this scope at the latest hour it wrote (a reader of that hour must hold it). */
  readonly newest?: { readonly envelopeId: Uint8Array; readonly hour: number; readonly generation: number };
}

export interface SignedHead {
  readonly patientId: Uint8Array;
  readonly authorKey: Uint8Array;
  readonly deviceId: Uint8Array;
  readonly seq: number;
  readonly link: Uint8Array;
  readonly keyRingVersion: number;
  /**
   * The patient's device list as the writer knows it (its newest change): a reader served an older
   * list learns that it is, so a device linked since cannot be hidden from it. None for a grantee.
   */
  readonly devices?: ChainPoint;
  readonly time: number;
  readonly scopes: readonly HeadScope[];
  readonly signature: Uint8Array;
}

export type UnsignedHead = Omit<SignedHead, "signature">;

const ZERO_ID = new Uint8Array(16);
const ZERO_HASH = new Uint8Array(32);

function body(h: UnsignedHead): Uint8Array {
  if (h.scopes.length > MAX_HEAD_SCOPES) throw new MalformedInput(`a head names at most ${MAX_HEAD_SCOPES} scopes`);
  if ((h.seq === 0) !== bytesEqual(h.link, ZERO_HASH))
    throw new MalformedInput("a head's link is zero exactly when it names no envelope");
  if (h.devices?.index === 0) throw new MalformedInput("a head names change 0 of the device list");
  const w = new ByteWriter(MAX_HEAD_BYTES)
    .raw(utf8("STHD"))
    .u8(HEAD_VERSION)
    .fixed(h.patientId, 16, "patientId")
    .fixed(h.authorKey, 32, "authorKey")
    .fixed(h.deviceId, 16, "deviceId")
    .u64(h.seq)
    .fixed(h.link, 32, "link")
    .u32(h.keyRingVersion)
    .u32(h.devices?.index ?? 0)
    .fixed(h.devices?.hash ?? ZERO_HASH, 32, "devicesHash")
    .u64(h.time)
    .u8(h.scopes.length);
  for (const s of h.scopes) {
    w.fixed(s.scopeTag, 16, "scopeTag").u32(s.generation);
    w.fixed(s.newest?.envelopeId ?? ZERO_ID, 16, "envelopeId")
      .u32(s.newest?.hour ?? 0)
      .u32(s.newest?.generation ?? 0);
  }
  return w.finish();
}

export function headSignedBytes(h: UnsignedHead): Uint8Array {
  return signedMessage("head", body(h));
}

export function encodeHead(h: SignedHead): Uint8Array {
  return new ByteWriter(MAX_HEAD_BYTES).raw(body(h)).fixed(h.signature, 64, "signature").finish();
}

/** Decodes a head's structure; the writer's signature is checked by the caller. */
export function decodeHead(bytes: Uint8Array): SignedHead {
  if (bytes.length > MAX_HEAD_BYTES) throw new MalformedInput("signed head is too long");
  const r = new ByteReader(bytes, "signed head");
  expectMagic(r, "STHD", "signed head");
  const version = r.u8("version");
  if (version !== HEAD_VERSION) throw new UnsupportedVersion(`signed head version ${version} is not supported`);
  const patientId = r.fixed(16, "patientId");
  const authorKey = r.fixed(32, "authorKey");
  const deviceId = r.fixed(16, "deviceId");
  const seq = r.u64("seq");
  const link = r.fixed(32, "link");
  const keyRingVersion = r.u32("keyRingVersion");
  const devicesIndex = r.u32("devicesIndex");
  const devicesHash = r.fixed(32, "devicesHash");
  if ((devicesIndex === 0) !== bytesEqual(devicesHash, ZERO_HASH))
    throw new MalformedInput("a head's device list hash is zero exactly when it names no device list");
  const time = r.u64("time");
  const count = r.u8("scopeCount");
  if (count > MAX_HEAD_SCOPES) throw new MalformedInput(`a head names at most ${MAX_HEAD_SCOPES} scopes`);
  const scopes: HeadScope[] = [];
  for (let i = 0; i < count; i++) {
    const scopeTag = r.fixed(16, "scopeTag");
    const generation = r.u32("generation");
    const envelopeId = r.fixed(16, "envelopeId");
    const hour = r.u32("hour");
    const newestGeneration = r.u32("newest generation");
    scopes.push(
      bytesEqual(envelopeId, ZERO_ID)
        ? { scopeTag, generation }
        : { scopeTag, generation, newest: { envelopeId, hour, generation: newestGeneration } },
    );
  }
  const signature = r.fixed(64, "signature");
  r.end();
  if ((seq === 0) !== bytesEqual(link, ZERO_HASH))
    throw new MalformedInput("a head's link is zero exactly when it names no envelope");
  const devices = devicesIndex > 0 ? { devices: { index: devicesIndex, hash: devicesHash } } : {};
  return { patientId, authorKey, deviceId, seq, link, keyRingVersion, ...devices, time, scopes, signature };
}

/** One writer chain's name, as the per-device chains are keyed: authorKey:deviceId in hex. */
export function writerKey(head: Pick<SignedHead, "authorKey" | "deviceId">): string {
  return `${toHex(head.authorKey)}:${toHex(head.deviceId)}`;
}
