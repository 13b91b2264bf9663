// Grants: sign-then-seal delivery of GGM cover keys to a verified grantee (clients only).
//
//   sealed = crypto_box_seal(inner, granteeBoxKey)
//   inner  = magic "STWS" ‖ version u8 ‖ u32 len ‖ policy ‖ scope u8 per entry ‖ node keys ‖ grantSignature 64
//   node keys: for each entry, each generation, each node of coverRange(from, to): 32 bytes
//   grantSignature: Ed25519 by the patient over "steward/grant/v1" ‖ policy ‖ scopes ‖ SHA-256(node keys)
//
// A bare sealed box authenticates nobody (anyone knowing the grantee's public key, the server
// included, can make one), hence the patient's signature inside. The policy names the grantee's
// keys, so a grant cannot be forwarded to someone else (Davis, "Defective Sign & Encrypt").
import { ByteReader, ByteWriter, bytesEqual, expectMagic, utf8 } from "../shared/bytes.js";
import { verify, sign, verifyKeyBundle, type AccountKeys } from "./accountKeys.js";
import {
  ExpiredGrant,
  ForgedGrant,
  MalformedInput,
  OutsideGrant,
  StewardError,
  UnsupportedVersion,
  UnverifiedRecipient,
} from "../shared/errors.js";
import {
  GRANT_VERSION,
  decodeGrantWire,
  encodeGrantPolicy,
  encodeGrantWire,
  type GrantEntry,
  type GrantPolicy,
} from "../shared/grantCodec.js";
import { sha256 } from "../shared/hash.js";
import type { ChainPoint } from "../shared/deviceList.js";
import { accountIdOf, type KeyBundle } from "../shared/keyBundle.js";
import {
  KEY_BYTES,
  KeyTreeReader,
  coverKeys,
  coverRange,
  nodeFirstHour,
  nodeLastHour,
  type CoverKey,
  type TreeNode,
} from "./keyTree.js";
import { SCOPES, type Scope } from "../shared/records.js";
import { sodium } from "./sodium.js";

const SEALED_MAGIC = "STWS";

export interface GrantScopeInput {
  readonly scope: Scope;
  readonly scopeTag: Uint8Array;
  /** Every generation the grantee must read, with its root (the patient's key ring holds them). */
  readonly generations: readonly { readonly generation: number; readonly root: Uint8Array }[];
}

/** A contact's bundle and whether the patient verified it out of band (safety number or invite). */
export interface Recipient {
  readonly bundle: KeyBundle;
  readonly verified: boolean;
}

export interface IssueGrantInput {
  readonly patient: AccountKeys;
  readonly recipient: Recipient;
  readonly scopes: readonly GrantScopeInput[];
  readonly fromHour: number;
  readonly toHour: number;
  readonly expiresAt: number;
  /** The patient's device list as the issuing device holds it (shared/deviceList.ts). */
  readonly devices: ChainPoint;
  readonly write?: boolean;
  readonly live?: boolean;
  readonly grantId?: Uint8Array;
  readonly revision?: number;
  readonly now?: number;
}

export interface IssuedGrant {
  readonly policy: GrantPolicy;
  readonly wire: Uint8Array;
}

/** Identity is not a time series: its records all live in hour 0, whatever the grant's range. */
export function entryHours(scope: Scope, fromHour: number, toHour: number): [number, number] {
  return scope === "identity" ? [0, 0] : [fromHour, toHour];
}

export function issueGrant(input: IssueGrantInput): IssuedGrant {
  if (!input.recipient.verified)
    throw new UnverifiedRecipient(
      "this contact's keys have not been verified: compare safety numbers or use an invite link before sharing",
    );
  try {
    verifyKeyBundle(input.recipient.bundle);
  } catch {
    throw new UnverifiedRecipient("this contact's key bundle is not self-signed; it cannot be shared with");
  }
  const scopes = new Set(input.scopes.map((s) => s.scope));
  if (scopes.size !== input.scopes.length) throw new MalformedInput("a grant names each scope once");
  const now = input.now ?? Date.now();
  const entries: GrantEntry[] = input.scopes.map((s) => {
    const [fromHour, toHour] = entryHours(s.scope, input.fromHour, input.toHour);
    return { scopeTag: s.scopeTag, fromHour, toHour, generations: s.generations.map((g) => g.generation) };
  });
  const policy: GrantPolicy = {
    grantId: input.grantId ?? sodium().randombytes_buf(16),
    revision: input.revision ?? 1,
    patientId: accountIdOf(input.patient.signKey),
    patientKey: input.patient.signKey,
    granteeId: accountIdOf(input.recipient.bundle.signKey),
    granteeSignKey: input.recipient.bundle.signKey,
    granteeBoxKey: input.recipient.bundle.boxKey,
    write: input.write ?? false,
    live: input.live ?? false,
    issuedAt: now,
    expiresAt: input.expiresAt,
    devices: input.devices,
    entries,
  };
  const policyBytes = encodeGrantPolicy(policy);
  const keys: Uint8Array[] = [];
  input.scopes.forEach((s, i) => {
    const entry = entries[i]!;
    for (const g of s.generations)
      for (const { key } of coverKeys(g.root, entry.fromHour, entry.toHour)) keys.push(key);
  });
  const keyBytes = new ByteWriter(keys.length * KEY_BYTES);
  for (const key of keys) keyBytes.raw(key);
  const allKeys = keyBytes.finish();
  const scopeBytes = Uint8Array.from(input.scopes.map((s) => SCOPES.indexOf(s.scope)));
  const grantSignature = sign("grant", input.patient.signSecretKey, policyBytes, scopeBytes, sha256(allKeys));
  const inner = new ByteWriter(policyBytes.length + allKeys.length + 128)
    .raw(utf8(SEALED_MAGIC))
    .u8(GRANT_VERSION)
    .bytes(policyBytes)
    .raw(scopeBytes)
    .raw(allKeys)
    .fixed(grantSignature, 64, "grantSignature")
    .finish();
  const sealed = sodium().crypto_box_seal(inner, input.recipient.bundle.boxKey);
  sodium().memzero(inner);
  sodium().memzero(allKeys);
  const policySignature = sign("grantPolicy", input.patient.signSecretKey, policyBytes);
  return { policy, wire: encodeGrantWire(policyBytes, policySignature, sealed) };
}

export interface GrantedScope {
  readonly scope: Scope;
  readonly scopeTag: Uint8Array;
  readonly fromHour: number;
  readonly toHour: number;
  readonly generations: ReadonlyMap<number, KeyTreeReader>;
}

export interface OpenedGrant {
  readonly policy: GrantPolicy;
  readonly scopes: readonly GrantedScope[];
  /** Leaf key of (scope, generation, hour); OutsideGrant for anything the grant does not cover. */
  leaf(scope: Scope, generation: number, hour: number): Uint8Array;
  /** Key of a node of the tree of (scope, generation) that lies inside the grant (a block's node). */
  nodeKey(scope: Scope, generation: number, node: TreeNode): Uint8Array;
  scopeOfTag(tag: Uint8Array): GrantedScope | undefined;
}

/**
 * Opens a grant addressed to `me` and checks, in order: the clear policy is signed by the patient
 * key the caller verified; the sealed part opens with my keys; it repeats the clear policy byte for
 * byte; the patient's signature covers policy, scopes and keys; the policy names my keys; the key
 * count matches the covers; the grant has not expired. Any failure raises one error class.
 */
export function openGrant(
  wire: Uint8Array,
  me: AccountKeys,
  verifiedPatientKey: Uint8Array,
  now = Date.now(),
): OpenedGrant {
  const { policy, policyBytes, policySignature, sealed } = decodeGrantWire(wire);
  if (
    !bytesEqual(policy.patientKey, verifiedPatientKey) ||
    !bytesEqual(policy.patientId, accountIdOf(policy.patientKey))
  ) {
    throw new ForgedGrant("this grant is not from the patient you verified");
  }
  let inner: Uint8Array;
  try {
    verify("grantPolicy", policySignature, policy.patientKey, "grant policy", policyBytes);
    inner = sodium().crypto_box_seal_open(sealed, me.boxKey, me.boxSecretKey);
  } catch {
    throw new ForgedGrant("this grant was not sealed by the patient for your keys");
  }
  const opened = readInner(inner, policy, policyBytes);
  if (
    !bytesEqual(policy.granteeSignKey, me.signKey) ||
    !bytesEqual(policy.granteeBoxKey, me.boxKey) ||
    !bytesEqual(policy.granteeId, accountIdOf(me.signKey))
  ) {
    throw new ForgedGrant("this grant is addressed to another account");
  }
  if (now >= policy.expiresAt)
    throw new ExpiredGrant(`this grant expired at ${new Date(policy.expiresAt).toISOString()}`);
  return opened;
}

function readInner(inner: Uint8Array, policy: GrantPolicy, policyBytes: Uint8Array): OpenedGrant {
  let scopes: GrantedScope[];
  try {
    const r = new ByteReader(inner, "sealed grant");
    expectMagic(r, SEALED_MAGIC, "sealed grant");
    if (r.u8("version") !== GRANT_VERSION) throw new UnsupportedVersion("sealed grant version is not supported");
    const innerPolicy = r.bytes("policy", policyBytes.length);
    if (!bytesEqual(innerPolicy, policyBytes))
      throw new ForgedGrant("the sealed grant does not match its clear policy copy");
    const scopeBytes = r.fixed(policy.entries.length, "scopes");
    const nodeCounts = policy.entries.map((e) => coverRange(e.fromHour, e.toHour).length * e.generations.length);
    const allKeys = r.fixed(nodeCounts.reduce((a, b) => a + b, 0) * KEY_BYTES, "node keys");
    const grantSignature = r.fixed(64, "grantSignature");
    r.end();
    verify("grant", grantSignature, policy.patientKey, "grant", policyBytes, scopeBytes, sha256(allKeys));
    let offset = 0;
    scopes = policy.entries.map((entry, i) => {
      const scope = SCOPES[scopeBytes[i]!];
      if (!scope) throw new MalformedInput("sealed grant names an unknown scope");
      const nodes = coverRange(entry.fromHour, entry.toHour);
      const generations = new Map<number, KeyTreeReader>();
      for (const generation of entry.generations) {
        const cover: CoverKey[] = nodes.map((node) => {
          const key = allKeys.slice(offset, offset + KEY_BYTES);
          offset += KEY_BYTES;
          return { node, key };
        });
        generations.set(generation, new KeyTreeReader(cover));
      }
      return { scope, scopeTag: entry.scopeTag, fromHour: entry.fromHour, toHour: entry.toHour, generations };
    });
    if (new Set(scopes.map((s) => s.scope)).size !== scopes.length)
      throw new MalformedInput("sealed grant names a scope twice");
  } catch (error) {
    throw error instanceof ForgedGrant
      ? error
      : new ForgedGrant(
          `this grant is malformed or altered${error instanceof StewardError ? ` (${error.message})` : ""}`,
        );
  }
  return {
    policy,
    scopes,
    scopeOfTag: (tag) => scopes.find((s) => bytesEqual(s.scopeTag, tag)),
    leaf(scope, generation, hour) {
      return this.nodeKey(scope, generation, { height: 0, index: hour });
    },
    nodeKey(scope, generation, node) {
      const granted = scopes.find((s) => s.scope === scope);
      if (!granted) throw new OutsideGrant(`this grant does not include ${scope}`);
      const reader = granted.generations.get(generation);
      if (!reader) throw new OutsideGrant(`this grant does not include key generation ${generation} of ${scope}`);
      if (nodeFirstHour(node) < granted.fromHour || nodeLastHour(node) > granted.toHour)
        throw new OutsideGrant(
          `hours ${nodeFirstHour(node)}–${nodeLastHour(node)} are outside this grant's range for ${scope}`,
        );
      return reader.nodeKey(node);
    },
  };
}
