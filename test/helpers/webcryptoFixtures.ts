// Real signed key bundles, envelopes and grants for workerd tests, made with WebCrypto Ed25519 and the
// shared pure encoders (libsodium cannot run in workerd). Envelope bodies are opaque to the server:
// random bytes of a valid length with the right SHA-256 body hash.
import {
  BLOCK_VERSION,
  MIN_BLOCK_BODY_BYTES,
  blockSignedBytes,
  encodeBlock,
  encodeBlockHeader,
} from "../../shared/blockCodec.js";
import { fromHex, toBase64Url, toHex } from "../../shared/bytes.js";
import { deviceCertificateSignedBytes } from "../../shared/deviceCertificate.js";
import {
  assembleLink,
  encodeDeviceList,
  encodeLinkBody,
  linkSignedBytes,
  type DeviceListAuthor,
  type DeviceListChange,
} from "../../shared/deviceList.js";
import { encodeLoginProof, loginProofPayload, PROOF_SCHEME } from "../../shared/loginProof.js";
import { manifestHash } from "../../shared/manifest.js";
import {
  ENVELOPE_VERSION,
  MIN_BODY_BYTES,
  ZERO_HASH,
  encodeEnvelope,
  encodeHeader,
  envelopeLink,
  envelopeSignedBytes,
  type EnvelopeKind,
} from "../../shared/envelopeCodec.js";
import {
  encodeGrantPolicy,
  encodeGrantWire,
  grantPolicySignedBytes,
  type GrantEntry,
} from "../../shared/grantCodec.js";
import { sha256 } from "../../shared/hash.js";
import { accountIdOf, encodeKeyBundle, keyBundleSignedBytes } from "../../shared/keyBundle.js";
import { placementOfId, type Placement } from "../../shared/placement.js";
import { signedMessage } from "../../shared/signing.js";

export interface Identity {
  readonly signKey: Uint8Array;
  readonly privateKey: CryptoKey;
  readonly boxKey: Uint8Array;
  readonly accountId: string;
  readonly bundle: Uint8Array;
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export async function signWith(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, new Uint8Array(message)));
}

/** An account's identity, its id drawn (like the clients' keys) to carry `placement`. */
export async function newIdentity(placement: Placement = "default"): Promise<Identity> {
  let pair: CryptoKeyPair;
  let signKey: Uint8Array;
  do {
    pair = (await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"])) as CryptoKeyPair;
    signKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  } while (placementOfId(accountIdOf(signKey)) !== placement);
  // The server never uses the X25519 key, only checks that the identity key signs it.
  const boxKey = randomBytes(32);
  const unsigned = { signKey, boxKey, createdAt: Date.now() };
  const signature = await signWith(pair.privateKey, keyBundleSignedBytes(unsigned));
  return {
    signKey,
    privateKey: pair.privateKey,
    boxKey,
    accountId: toHex(accountIdOf(signKey)),
    bundle: encodeKeyBundle({ ...unsigned, signature }),
  };
}

export interface ProofOptions {
  /** The key that signs; the account's identity key when absent. */
  readonly key?: CryptoKey;
  /** The device id (or RECOVERY_ID) the proof names. */
  readonly signer?: Uint8Array;
  readonly time?: number;
  readonly nonce?: Uint8Array;
}

/** An "Authorization: Proof …" value signing in `account` (shared/loginProof.ts). */
export async function loginProof(account: Identity, options: ProofOptions = {}): Promise<string> {
  const unsigned = {
    accountId: fromHex(account.accountId, 16),
    time: options.time ?? Date.now(),
    nonce: options.nonce ?? randomBytes(16),
    ...(options.signer ? { signer: options.signer } : {}),
  };
  const signature = await signWith(
    options.key ?? account.privateKey,
    signedMessage("login", loginProofPayload(unsigned)),
  );
  return `${PROOF_SCHEME} ${toBase64Url(encodeLoginProof({ ...unsigned, signature }))}`;
}

export interface EnvelopeSpec {
  readonly scopeTag: Uint8Array;
  readonly hour: number;
  readonly generation?: number;
  readonly kind?: EnvelopeKind;
  readonly bodyLength?: number;
}

export interface MadeEnvelope {
  readonly bytes: Uint8Array;
  readonly envelopeId: Uint8Array;
  readonly link: Uint8Array;
}

/** One author device's chain: each envelope continues the previous one (seq + 1, prevHash = link). */
export class DeviceChain {
  readonly deviceId = randomBytes(16);
  private seq = 0;
  private prev: Uint8Array = ZERO_HASH;

  constructor(
    readonly author: Identity,
    readonly patientId: string,
  ) {}

  /** Builds the next envelope and advances the chain. */
  async next(spec: EnvelopeSpec): Promise<MadeEnvelope> {
    const made = await this.peek(spec);
    this.seq += 1;
    this.prev = made.link;
    return made;
  }

  /** Builds the next envelope without advancing (for forks and replays). */
  async peek(
    spec: EnvelopeSpec,
    overrides: { seq?: number; prevHash?: Uint8Array; envelopeId?: Uint8Array } = {},
  ): Promise<MadeEnvelope> {
    const header = {
      version: ENVELOPE_VERSION,
      kind: spec.kind ?? "update",
      patientId: fromHex(this.patientId, 16),
      scopeTag: spec.scopeTag,
      generation: spec.generation ?? 1,
      hour: spec.hour,
      envelopeId: overrides.envelopeId ?? randomBytes(16),
      authorKey: this.author.signKey,
      deviceId: this.deviceId,
      seq: overrides.seq ?? this.seq + 1,
      prevHash: overrides.prevHash ?? this.prev,
    };
    const headerBytes = encodeHeader(header);
    const body = randomBytes(spec.bodyLength ?? MIN_BODY_BYTES);
    const bodyHash = sha256(body);
    const signature = await signWith(this.author.privateKey, envelopeSignedBytes(headerBytes, body.length, bodyHash));
    return {
      bytes: encodeEnvelope({ header, headerBytes, bodyHash, signature, body }),
      envelopeId: header.envelopeId,
      link: envelopeLink(headerBytes, body.length, bodyHash),
    };
  }
}

export interface BlockSpec {
  readonly scopeTag: Uint8Array;
  readonly level: number;
  readonly node: number;
  readonly basis: number;
  /** The envelopes it says it holds, in server order (their ids and links make its manifest). */
  readonly holds: readonly MadeEnvelope[];
  readonly generation?: number;
  readonly bodyLength?: number;
}

/** A block signed by `author`, its body random bytes (opaque to the server) of a valid length. */
export async function makeBlock(
  author: Identity,
  patientId: string,
  spec: BlockSpec,
): Promise<{ bytes: Uint8Array; blockId: Uint8Array }> {
  const header = {
    version: BLOCK_VERSION,
    level: spec.level,
    patientId: fromHex(patientId, 16),
    scopeTag: spec.scopeTag,
    generation: spec.generation ?? 1,
    node: spec.node,
    blockId: randomBytes(16),
    authorKey: author.signKey,
    deviceId: randomBytes(16),
    basis: spec.basis,
    count: spec.holds.length,
    manifestHash: manifestHash(spec.holds.map((e) => ({ envelopeId: e.envelopeId, link: e.link }))),
  };
  const headerBytes = encodeBlockHeader(header);
  const body = randomBytes(spec.bodyLength ?? MIN_BLOCK_BODY_BYTES);
  const bodyHash = sha256(body);
  const signature = await signWith(author.privateKey, blockSignedBytes(headerBytes, body.length, bodyHash));
  return { bytes: encodeBlock({ header, headerBytes, bodyHash, signature, body }), blockId: header.blockId };
}

export interface GrantSpec {
  readonly entries: readonly GrantEntry[];
  readonly expiresAt?: number;
  readonly write?: boolean;
  readonly live?: boolean;
  readonly grantId?: Uint8Array;
  readonly revision?: number;
  /** Sign with this key instead of the patient's (a forged policy). */
  readonly signer?: Identity;
}

/** A grant wire: the clear policy signed by the patient; the sealed part is opaque to the server. */
export async function makeGrant(
  patient: Identity,
  grantee: Identity,
  spec: GrantSpec,
): Promise<{ wire: Uint8Array; grantId: string }> {
  const grantId = spec.grantId ?? randomBytes(16);
  const now = Date.now();
  const policyBytes = encodeGrantPolicy({
    grantId,
    revision: spec.revision ?? 1,
    patientId: fromHex(patient.accountId, 16),
    patientKey: patient.signKey,
    granteeId: fromHex(grantee.accountId, 16),
    granteeSignKey: grantee.signKey,
    granteeBoxKey: grantee.boxKey,
    write: spec.write ?? false,
    live: spec.live ?? false,
    issuedAt: now - 1000,
    expiresAt: spec.expiresAt ?? now + 48 * 3_600_000,
    // The server keeps the patient's device list itself; what the grant names is for the grantee.
    devices: { index: 1, hash: randomBytes(32) },
    entries: spec.entries,
  });
  const signature = await signWith((spec.signer ?? patient).privateKey, grantPolicySignedBytes(policyBytes));
  return { wire: encodeGrantWire(policyBytes, signature, randomBytes(200)), grantId: toHex(grantId) };
}

export function scopeTag(): Uint8Array {
  return randomBytes(16);
}

/** A device list link signed with WebCrypto by the account and `author` (a device, or the recovery key). */
export async function deviceListLink(
  account: Identity,
  author: Identity,
  authorDeviceId: Uint8Array | "recovery",
  index: number,
  prevHash: Uint8Array,
  change: DeviceListChange,
): Promise<Uint8Array> {
  const by: DeviceListAuthor =
    authorDeviceId === "recovery" ? { kind: "recovery" } : { kind: "device", deviceId: authorDeviceId };
  const body = encodeLinkBody({
    accountId: fromHex(account.accountId, 16),
    index,
    prevHash,
    time: Date.now(),
    author: by,
    change,
  });
  const message = linkSignedBytes(body);
  return assembleLink(body, await signWith(account.privateKey, message), await signWith(author.privateKey, message));
}

/** A device certificate of `device` (its keys from an Identity), signed by the account. */
export async function deviceCertificate(account: Identity, device: Identity, deviceId: Uint8Array, name: string) {
  const unsigned = {
    accountId: fromHex(account.accountId, 16),
    deviceId,
    signKey: device.signKey,
    boxKey: device.boxKey,
    createdAt: Date.now(),
    name,
  };
  return { ...unsigned, signature: await signWith(account.privateKey, deviceCertificateSignedBytes(unsigned)) };
}

/** An account's first device list: one device and a recovery key, both made here. */
export async function genesisList(
  account: Identity,
): Promise<{ list: Uint8Array; genesis: Uint8Array; device: Identity; deviceId: Uint8Array; recovery: Identity }> {
  const device = await newIdentity();
  const deviceId = randomBytes(16);
  const recovery = await newIdentity();
  const change: DeviceListChange = {
    op: "genesis",
    recoverySignKey: recovery.signKey,
    recoveryBoxKey: recovery.boxKey,
    certificate: await deviceCertificate(account, device, deviceId, "Phone"),
  };
  const genesis = await deviceListLink(account, device, deviceId, 1, new Uint8Array(32), change);
  return { list: encodeDeviceList([genesis]), genesis, device, deviceId, recovery };
}
