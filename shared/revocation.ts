// A signed revocation: the patient's own word that a grant ended, so clients need not take the
// server's. A grantee's device keeps the revocations it has seen (a replayed old grant is then never
// shown as active again); the patient's devices refuse what a revoked write grantee signs after it
// (each of its device chains is cut at the last envelope the patient saw); and every device learns
// the generations the revocation retired, so none writes under them again.
//
//   body: magic "STRV" ‖ version u8 ‖ patientId 16 ‖ grantId 16 ‖ revision u32 (the grant's last)
//         ‖ granteeId 16 ‖ revokedAt u64 (ms) ‖ cutoffCount u8 ‖ cutoffCount × (deviceId 16 ‖ lastSeq u64)
//         ‖ generationCount u8 ‖ generationCount × (scopeTag 16 ‖ generation u32)
//   signature 64: Ed25519 by the patient's identity key over "steward/grant-revocation/v1" ‖ 0 ‖ body
//
// Pure codec: the server verifies with WebCrypto, clients with libsodium.
import { ByteReader, ByteWriter, expectMagic, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { signedMessage } from "./signing.js";

export const REVOCATION_VERSION = 1;
const MAX_CUTOFFS = 64;
const MAX_GENERATIONS = 6;
export const MAX_REVOCATION_BYTES = 4 + 1 + 16 + 16 + 4 + 16 + 8 + 1 + MAX_CUTOFFS * 24 + 1 + MAX_GENERATIONS * 20 + 64;

export interface Revocation {
  readonly patientId: Uint8Array;
  readonly grantId: Uint8Array;
  /** The last revision of the grant the patient issued: no revision of it counts any more. */
  readonly revision: number;
  readonly granteeId: Uint8Array;
  readonly revokedAt: number;
  /** For a write grantee: per device chain of its, the last envelope that still counts. */
  readonly cutoffs: readonly { readonly deviceId: Uint8Array; readonly lastSeq: number }[];
  /** The generation each affected scope moved to: nothing is written under an older one again. */
  readonly generations: readonly { readonly scopeTag: Uint8Array; readonly generation: number }[];
  readonly signature: Uint8Array;
}

export type UnsignedRevocation = Omit<Revocation, "signature">;

function body(r: UnsignedRevocation): Uint8Array {
  if (r.cutoffs.length > MAX_CUTOFFS)
    throw new MalformedInput(`a revocation names at most ${MAX_CUTOFFS} device chains`);
  if (r.generations.length > MAX_GENERATIONS)
    throw new MalformedInput(`a revocation names at most ${MAX_GENERATIONS} scopes`);
  const w = new ByteWriter(MAX_REVOCATION_BYTES)
    .raw(utf8("STRV"))
    .u8(REVOCATION_VERSION)
    .fixed(r.patientId, 16, "patientId")
    .fixed(r.grantId, 16, "grantId")
    .u32(r.revision)
    .fixed(r.granteeId, 16, "granteeId")
    .u64(r.revokedAt)
    .u8(r.cutoffs.length);
  for (const c of r.cutoffs) w.fixed(c.deviceId, 16, "deviceId").u64(c.lastSeq);
  w.u8(r.generations.length);
  for (const g of r.generations) w.fixed(g.scopeTag, 16, "scopeTag").u32(g.generation);
  return w.finish();
}

export function revocationSignedBytes(r: UnsignedRevocation): Uint8Array {
  return signedMessage("grantRevocation", body(r));
}

export function encodeRevocation(r: Revocation): Uint8Array {
  return new ByteWriter(MAX_REVOCATION_BYTES).raw(body(r)).fixed(r.signature, 64, "signature").finish();
}

/** Decodes a revocation's structure; the patient's signature is checked by the caller. */
export function decodeRevocation(bytes: Uint8Array): Revocation {
  if (bytes.length > MAX_REVOCATION_BYTES) throw new MalformedInput("revocation is too long");
  const r = new ByteReader(bytes, "revocation");
  expectMagic(r, "STRV", "revocation");
  const version = r.u8("version");
  if (version !== REVOCATION_VERSION) throw new UnsupportedVersion(`revocation version ${version} is not supported`);
  const patientId = r.fixed(16, "patientId");
  const grantId = r.fixed(16, "grantId");
  const revision = r.u32("revision");
  const granteeId = r.fixed(16, "granteeId");
  const revokedAt = r.u64("revokedAt");
  const cutoffCount = r.u8("cutoffCount");
  if (cutoffCount > MAX_CUTOFFS) throw new MalformedInput(`a revocation names at most ${MAX_CUTOFFS} device chains`);
  const cutoffs = Array.from({ length: cutoffCount }, () => ({
    deviceId: r.fixed(16, "deviceId"),
    lastSeq: r.u64("lastSeq"),
  }));
  const generationCount = r.u8("generationCount");
  if (generationCount > MAX_GENERATIONS)
    throw new MalformedInput(`a revocation names at most ${MAX_GENERATIONS} scopes`);
  const generations = Array.from({ length: generationCount }, () => ({
    scopeTag: r.fixed(16, "scopeTag"),
    generation: r.u32("generation"),
  }));
  const signature = r.fixed(64, "signature");
  r.end();
  return { patientId, grantId, revision, granteeId, revokedAt, cutoffs, generations, signature };
}
