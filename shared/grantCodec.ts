// Grant wire format, pure so the server can read and verify the clear policy copy.
//
//   policy (clear; the server enforces it):
//     magic "STWG" ‖ version u8 ‖ grantId 16 ‖ revision u32 ‖ patientId 16 ‖ patientKey 32
//     ‖ granteeId 16 ‖ granteeSignKey 32 ‖ granteeBoxKey 32 ‖ flags u8 (1 write, 2 live, 4 devices)
//     ‖ issuedAt u64 ‖ expiresAt u64 ‖ entryCount u8
//     ‖ entries: scopeTag 16 ‖ fromHour u32 ‖ toHour u32 ‖ generationCount u8 ‖ generation u32 …
//     ‖ devicesIndex u32 ‖ devicesHash 32      (with flag 4 only: older grants have neither)
//   wire: u32 len ‖ policy ‖ policySignature 64 ‖ u32 len ‖ sealed
//
// devicesIndex and devicesHash name the patient's device list as it stood when the grant was issued
// (its length and the hash of its last change, shared/deviceList.ts): a grantee trusts only a list
// that reaches it, so a server serving an older one cannot hide a removed device.
// The sealed part (see grant.ts) repeats the policy, names the scope of each entry and carries the
// node keys; only the grantee can open it. Scope names never appear in the clear copy.
import { ByteReader, ByteWriter, expectMagic, utf8 } from "./bytes.js";
import type { ChainPoint } from "./deviceList.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { checkHourRange } from "./hours.js";
import { signedMessage } from "./signing.js";

export const GRANT_MAGIC = "STWG";
export const GRANT_VERSION = 1;
export const MAX_GRANT_ENTRIES = 6;
export const MAX_GENERATIONS_PER_ENTRY = 64;
export const MAX_SEALED_BYTES = 256 * 1024;
const MAX_POLICY_BYTES = 4096;

export interface GrantEntry {
  readonly scopeTag: Uint8Array;
  readonly fromHour: number;
  readonly toHour: number;
  readonly generations: readonly number[];
}

export interface GrantPolicy {
  readonly grantId: Uint8Array;
  readonly revision: number;
  readonly patientId: Uint8Array;
  readonly patientKey: Uint8Array;
  readonly granteeId: Uint8Array;
  readonly granteeSignKey: Uint8Array;
  readonly granteeBoxKey: Uint8Array;
  readonly write: boolean;
  readonly live: boolean;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The patient's device list when the grant was issued: its number of changes and the last one's hash. */
  readonly devices?: ChainPoint;
  readonly entries: readonly GrantEntry[];
}

export interface GrantWire {
  readonly policy: GrantPolicy;
  readonly policyBytes: Uint8Array;
  readonly policySignature: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeGrantPolicy(p: GrantPolicy): Uint8Array {
  if (p.entries.length === 0 || p.entries.length > MAX_GRANT_ENTRIES)
    throw new MalformedInput(`a grant names 1 to ${MAX_GRANT_ENTRIES} scopes`);
  if (p.expiresAt <= p.issuedAt) throw new MalformedInput("a grant must expire after it is issued");
  const w = new ByteWriter(512)
    .raw(utf8(GRANT_MAGIC))
    .u8(GRANT_VERSION)
    .fixed(p.grantId, 16, "grantId")
    .u32(p.revision)
    .fixed(p.patientId, 16, "patientId")
    .fixed(p.patientKey, 32, "patientKey")
    .fixed(p.granteeId, 16, "granteeId")
    .fixed(p.granteeSignKey, 32, "granteeSignKey")
    .fixed(p.granteeBoxKey, 32, "granteeBoxKey")
    .u8((p.write ? 1 : 0) | (p.live ? 2 : 0) | (p.devices ? 4 : 0))
    .u64(p.issuedAt)
    .u64(p.expiresAt)
    .u8(p.entries.length);
  for (const e of p.entries) {
    checkHourRange(e.fromHour, e.toHour);
    if (e.generations.length === 0 || e.generations.length > MAX_GENERATIONS_PER_ENTRY)
      throw new MalformedInput(`a grant entry names 1 to ${MAX_GENERATIONS_PER_ENTRY} generations`);
    w.fixed(e.scopeTag, 16, "scopeTag").u32(e.fromHour).u32(e.toHour).u8(e.generations.length);
    for (const g of e.generations) w.u32(g);
  }
  if (p.devices) {
    if (p.devices.index === 0)
      throw new MalformedInput("a grant names the patient's device list by its number of changes, which is at least 1");
    w.u32(p.devices.index).fixed(p.devices.hash, 32, "devicesHash");
  }
  return w.finish();
}

export function decodeGrantPolicy(bytes: Uint8Array): GrantPolicy {
  const r = new ByteReader(bytes, "grant policy");
  expectMagic(r, GRANT_MAGIC, "grant policy");
  const version = r.u8("version");
  if (version !== GRANT_VERSION) throw new UnsupportedVersion(`grant version ${version} is not supported`);
  const grantId = r.fixed(16, "grantId");
  const revision = r.u32("revision");
  const patientId = r.fixed(16, "patientId");
  const patientKey = r.fixed(32, "patientKey");
  const granteeId = r.fixed(16, "granteeId");
  const granteeSignKey = r.fixed(32, "granteeSignKey");
  const granteeBoxKey = r.fixed(32, "granteeBoxKey");
  const flags = r.u8("flags");
  if (flags > 7) throw new MalformedInput("grant policy has unknown flags");
  const issuedAt = r.u64("issuedAt");
  const expiresAt = r.u64("expiresAt");
  const count = r.u8("entryCount");
  if (count === 0 || count > MAX_GRANT_ENTRIES) throw new MalformedInput(`grant policy names ${count} scopes`);
  const entries: GrantEntry[] = [];
  for (let i = 0; i < count; i++) {
    const scopeTag = r.fixed(16, "scopeTag");
    const fromHour = r.u32("fromHour");
    const toHour = r.u32("toHour");
    checkHourRange(fromHour, toHour);
    const genCount = r.u8("generationCount");
    if (genCount === 0 || genCount > MAX_GENERATIONS_PER_ENTRY)
      throw new MalformedInput(`grant entry names ${genCount} generations`);
    const generations: number[] = [];
    for (let g = 0; g < genCount; g++) generations.push(r.u32("generation"));
    entries.push({ scopeTag, fromHour, toHour, generations });
  }
  const devices = flags & 4 ? { index: r.u32("devicesIndex"), hash: r.fixed(32, "devicesHash") } : undefined;
  if (devices?.index === 0) throw new MalformedInput("grant policy names change 0 of the patient's device list");
  r.end();
  if (expiresAt <= issuedAt) throw new MalformedInput("grant policy expires before it is issued");
  return {
    grantId,
    revision,
    patientId,
    patientKey,
    granteeId,
    granteeSignKey,
    granteeBoxKey,
    write: (flags & 1) !== 0,
    live: (flags & 2) !== 0,
    issuedAt,
    expiresAt,
    ...(devices ? { devices } : {}),
    entries,
  };
}

export function grantPolicySignedBytes(policyBytes: Uint8Array): Uint8Array {
  return signedMessage("grantPolicy", policyBytes);
}

export function encodeGrantWire(policyBytes: Uint8Array, policySignature: Uint8Array, sealed: Uint8Array): Uint8Array {
  // Refuse what decodeGrantWire would refuse, so an oversized grant fails when issued, not when opened.
  if (policyBytes.length > MAX_POLICY_BYTES)
    throw new MalformedInput(`grant policy is ${policyBytes.length} bytes, more than the ${MAX_POLICY_BYTES} allowed`);
  if (sealed.length > MAX_SEALED_BYTES)
    throw new MalformedInput(
      `sealed grant is ${sealed.length} bytes, more than the ${MAX_SEALED_BYTES} allowed: grant fewer scopes or generations`,
    );
  return new ByteWriter(policyBytes.length + sealed.length + 80)
    .bytes(policyBytes)
    .fixed(policySignature, 64, "policySignature")
    .bytes(sealed)
    .finish();
}

/** Decodes the structure; the policy signature is checked by the caller (server: WebCrypto). */
export function decodeGrantWire(bytes: Uint8Array): GrantWire {
  const r = new ByteReader(bytes, "grant");
  const policyBytes = r.bytes("policy", MAX_POLICY_BYTES);
  const policySignature = r.fixed(64, "policySignature");
  const sealed = r.bytes("sealed", MAX_SEALED_BYTES);
  r.end();
  return { policy: decodeGrantPolicy(policyBytes), policyBytes, policySignature, sealed };
}
