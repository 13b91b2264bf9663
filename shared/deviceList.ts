// An account's device list: a chain of signed changes (a "sigchain", as Keybase keeps one per
// user). Each link adds or removes one device; replaying the chain from its first link gives the
// devices that may sign for the account and, for a removed one, the last envelope of its that still
// counts. A link is signed by the account identity key and by its author, a device that is active
// at that point of the chain (or the recovery key, held only in the recovery kit). A device removed
// from the list can therefore never author the next link, even though it held the identity key:
// it cannot add itself back, nor add another device.
//
//   link body: magic "STDL" ‖ version u8 ‖ accountId 16 ‖ index u32 (from 1) ‖ prevHash 32
//              ‖ time u64 (ms) ‖ authorKind u8 (1 device, 2 recovery) ‖ authorDeviceId 16 (zeros
//              for the recovery key) ‖ op u8 ‖ payload
//     op 1 genesis (index 1 only, authored by the device it certifies):
//              recoverySignKey 32 ‖ recoveryBoxKey 32 ‖ u32 len ‖ device certificate
//     op 2 add:    u32 len ‖ device certificate
//     op 3 remove: deviceId 16 ‖ lastSeq u64 (its last envelope that still counts; later ones are refused)
//                  ‖ lastServerSeq u64 (blocks it sealed count if the log numbered them at or below this)
//   link: body ‖ identitySignature 64 ‖ authorSignature 64, both over "steward/device-list/v1" ‖ 0 ‖ body
//   prevHash of link n+1 = labelledHash("steward/device-list-link/v1", link n); zeros for link 1
//   list: magic "STDS" ‖ version u8 ‖ u16 count ‖ count × (u32 len ‖ link)
//
// Pure: the structure and the order of the chain are checked here; the caller verifies the
// signatures returned in `checks` (libsodium on clients, WebCrypto on the server).
import { ByteReader, ByteWriter, bytesEqual, expectMagic, toHex, utf8 } from "./bytes.js";
import {
  decodeDeviceCertificate,
  deviceCertificateSignedBytes,
  encodeDeviceCertificate,
  MAX_DEVICE_CERTIFICATE_BYTES,
  type DeviceCertificate,
} from "./deviceCertificate.js";
import { ForkDetected, MalformedInput, RollbackDetected, UnsupportedVersion } from "./errors.js";
import { labelledHash } from "./hash.js";
import { accountIdOf } from "./keyBundle.js";
import { signedMessage } from "./signing.js";

export const DEVICE_LIST_VERSION = 1;
/** A device added or removed every week for five years stays far below this. */
export const MAX_DEVICE_LIST_LINKS = 256;
/** Fixed fields, the genesis payload (the largest) and the two signatures. */
const MAX_LINK_BYTES = 83 + 64 + 4 + MAX_DEVICE_CERTIFICATE_BYTES + 128;
const ZERO_ID = new Uint8Array(16);
/** Stands for the recovery key where a device id is expected (a key ring's recipients, a login's signer). */
export const RECOVERY_ID = new Uint8Array(16).fill(0xff);
const OPS = { genesis: 1, add: 2, remove: 3 } as const;

export type DeviceListAuthor =
  | { readonly kind: "device"; readonly deviceId: Uint8Array }
  | { readonly kind: "recovery" };

export type DeviceListChange =
  | {
      readonly op: "genesis";
      readonly recoverySignKey: Uint8Array;
      readonly recoveryBoxKey: Uint8Array;
      readonly certificate: DeviceCertificate;
    }
  | { readonly op: "add"; readonly certificate: DeviceCertificate }
  | { readonly op: "remove"; readonly deviceId: Uint8Array; readonly lastSeq: number; readonly lastServerSeq: number };

export interface DeviceListLinkBody {
  readonly accountId: Uint8Array;
  readonly index: number;
  readonly prevHash: Uint8Array;
  readonly time: number;
  readonly author: DeviceListAuthor;
  readonly change: DeviceListChange;
}

export interface DeviceRecord {
  readonly certificate: DeviceCertificate;
  readonly addedAt: number;
  /**
   * Set once removed: envelopes it signs with a sequence number above `lastSeq` are refused, and
   * blocks it sealed that the log numbered above `lastServerSeq` (blocks are in no device chain).
   */
  readonly removed?: {
    readonly at: number;
    readonly lastSeq: number;
    readonly lastServerSeq: number;
    readonly by: DeviceListAuthor;
  };
}

export interface ChainPoint {
  readonly index: number;
  readonly hash: Uint8Array;
}

export interface DeviceList {
  readonly accountId: Uint8Array;
  readonly recovery: { readonly signKey: Uint8Array; readonly boxKey: Uint8Array };
  /** Every device ever listed, in the order they were added. */
  readonly devices: readonly DeviceRecord[];
  readonly links: readonly Uint8Array[];
  readonly head: ChainPoint;
}

/** A signature the caller must verify; the chain is valid only if every one does. */
export interface SignatureCheck {
  readonly key: Uint8Array;
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly what: string;
}

export function encodeLinkBody(link: DeviceListLinkBody): Uint8Array {
  const w = new ByteWriter(MAX_LINK_BYTES)
    .raw(utf8("STDL"))
    .u8(DEVICE_LIST_VERSION)
    .fixed(link.accountId, 16, "accountId")
    .u32(link.index)
    .fixed(link.prevHash, 32, "prevHash")
    .u64(link.time)
    .u8(link.author.kind === "device" ? 1 : 2)
    .fixed(link.author.kind === "device" ? link.author.deviceId : ZERO_ID, 16, "authorDeviceId")
    .u8(OPS[link.change.op]);
  const change = link.change;
  if (change.op === "genesis")
    w.fixed(change.recoverySignKey, 32, "recoverySignKey").fixed(change.recoveryBoxKey, 32, "recoveryBoxKey");
  if (change.op === "remove") w.fixed(change.deviceId, 16, "deviceId").u64(change.lastSeq).u64(change.lastServerSeq);
  else w.bytes(encodeDeviceCertificate(change.certificate));
  return w.finish();
}

/** The bytes both the identity key and the author sign. */
export function linkSignedBytes(body: Uint8Array): Uint8Array {
  return signedMessage("deviceList", body);
}

export function assembleLink(body: Uint8Array, identitySignature: Uint8Array, authorSignature: Uint8Array): Uint8Array {
  return new ByteWriter(body.length + 128)
    .raw(body)
    .fixed(identitySignature, 64, "identitySignature")
    .fixed(authorSignature, 64, "authorSignature")
    .finish();
}

export function linkHash(link: Uint8Array): Uint8Array {
  return labelledHash("steward/device-list-link/v1", link);
}

interface DecodedLink extends DeviceListLinkBody {
  readonly body: Uint8Array;
  readonly identitySignature: Uint8Array;
  readonly authorSignature: Uint8Array;
}

function decodeLink(bytes: Uint8Array): DecodedLink {
  const r = new ByteReader(bytes, "device list link");
  expectMagic(r, "STDL", "device list link");
  const version = r.u8("version");
  if (version !== DEVICE_LIST_VERSION) throw new UnsupportedVersion(`device list version ${version} is not supported`);
  const accountId = r.fixed(16, "accountId");
  const index = r.u32("index");
  const prevHash = r.fixed(32, "prevHash");
  const time = r.u64("time");
  const authorKind = r.u8("authorKind");
  const authorDeviceId = r.fixed(16, "authorDeviceId");
  if (authorKind !== 1 && authorKind !== 2)
    throw new MalformedInput(`device list link ${index} has an unknown author kind`);
  if (authorKind === 2 && !bytesEqual(authorDeviceId, ZERO_ID))
    throw new MalformedInput(`device list link ${index} names a device for the recovery key`);
  const author: DeviceListAuthor =
    authorKind === 1 ? { kind: "device", deviceId: authorDeviceId } : { kind: "recovery" };
  const op = r.u8("op");
  const certificate = () => decodeDeviceCertificate(r.bytes("certificate", MAX_DEVICE_CERTIFICATE_BYTES));
  let change: DeviceListChange;
  if (op === OPS.genesis)
    change = {
      op: "genesis",
      recoverySignKey: r.fixed(32, "recoverySignKey"),
      recoveryBoxKey: r.fixed(32, "recoveryBoxKey"),
      certificate: certificate(),
    };
  else if (op === OPS.add) change = { op: "add", certificate: certificate() };
  else if (op === OPS.remove)
    change = {
      op: "remove",
      deviceId: r.fixed(16, "deviceId"),
      lastSeq: r.u64("lastSeq"),
      lastServerSeq: r.u64("lastServerSeq"),
    };
  else throw new MalformedInput(`device list link ${index} has an unknown operation ${op}`);
  const bodyEnd = r.position;
  const identitySignature = r.fixed(64, "identitySignature");
  const authorSignature = r.fixed(64, "authorSignature");
  r.end();
  return {
    accountId,
    index,
    prevHash,
    time,
    author,
    change,
    body: bytes.slice(0, bodyEnd),
    identitySignature,
    authorSignature,
  };
}

export function encodeDeviceList(links: readonly Uint8Array[]): Uint8Array {
  if (links.length === 0 || links.length > MAX_DEVICE_LIST_LINKS)
    throw new MalformedInput(`a device list holds 1 to ${MAX_DEVICE_LIST_LINKS} links`);
  const w = new ByteWriter(7 + links.reduce((n, l) => n + 4 + l.length, 0))
    .raw(utf8("STDS"))
    .u8(DEVICE_LIST_VERSION)
    .u16(links.length);
  for (const link of links) w.bytes(link);
  return w.finish();
}

export function decodeDeviceListLinks(bytes: Uint8Array): Uint8Array[] {
  const r = new ByteReader(bytes, "device list");
  expectMagic(r, "STDS", "device list");
  const version = r.u8("version");
  if (version !== DEVICE_LIST_VERSION) throw new UnsupportedVersion(`device list version ${version} is not supported`);
  const count = r.u16("count");
  if (count === 0 || count > MAX_DEVICE_LIST_LINKS)
    throw new MalformedInput(`a device list holds 1 to ${MAX_DEVICE_LIST_LINKS} links, this one claims ${count}`);
  const links: Uint8Array[] = [];
  for (let i = 0; i < count; i++) links.push(r.bytes(`link ${i + 1}`, MAX_LINK_BYTES));
  r.end();
  return links;
}

/**
 * Replays an encoded device list of the account whose identity key is `identityKey`: checks the
 * chain's structure and order and returns the resulting list with every signature to verify. A
 * device id or key never returns once listed, so a removal cannot be undone by re-adding it.
 */
export function readDeviceList(
  encoded: Uint8Array,
  identityKey: Uint8Array,
): { list: DeviceList; checks: SignatureCheck[] } {
  const links = decodeDeviceListLinks(encoded);
  const accountId = accountIdOf(identityKey);
  const devices = new Map<string, DeviceRecord>();
  const keys = new Set<string>();
  const checks: SignatureCheck[] = [];
  let recovery: DeviceList["recovery"] | undefined;
  let prevHash: Uint8Array = new Uint8Array(32);
  for (const [i, bytes] of links.entries()) {
    const link = decodeLink(bytes);
    const at = `device list link ${i + 1}`;
    if (!bytesEqual(link.accountId, accountId)) throw new MalformedInput(`${at} belongs to another account`);
    if (link.index !== i + 1) throw new MalformedInput(`${at} is numbered ${link.index}`);
    if (!bytesEqual(link.prevHash, prevHash)) throw new MalformedInput(`${at} does not link to the one before it`);
    if ((i === 0) !== (link.change.op === "genesis"))
      throw new MalformedInput(`${at}: a device list starts with its genesis link, and only there`);
    const message = linkSignedBytes(link.body);
    checks.push({ key: identityKey, signature: link.identitySignature, message, what: `${at} (account signature)` });
    const change = link.change;
    if (change.op !== "remove") {
      const cert = change.certificate;
      if (!bytesEqual(cert.accountId, accountId))
        throw new MalformedInput(`${at} certifies a device of another account`);
      if (devices.has(toHex(cert.deviceId)) || keys.has(toHex(cert.signKey)))
        throw new MalformedInput(`${at} lists a device that was listed before`);
      checks.push({
        key: identityKey,
        signature: cert.signature,
        message: deviceCertificateSignedBytes(cert),
        what: `${at} (device certificate)`,
      });
    }
    if (change.op === "genesis") {
      recovery = { signKey: change.recoverySignKey, boxKey: change.recoveryBoxKey };
      if (link.author.kind !== "device" || !bytesEqual(link.author.deviceId, change.certificate.deviceId))
        throw new MalformedInput(`${at}: the first device signs the genesis link`);
      checks.push({
        key: change.certificate.signKey,
        signature: link.authorSignature,
        message,
        what: `${at} (author signature)`,
      });
    } else {
      checks.push({
        key: authorKey(link.author, devices, recovery!, at),
        signature: link.authorSignature,
        message,
        what: `${at} (author signature)`,
      });
    }
    if (change.op === "remove") {
      const target = devices.get(toHex(change.deviceId));
      if (!target || target.removed) throw new MalformedInput(`${at} removes a device that is not in the list`);
      devices.set(toHex(change.deviceId), {
        ...target,
        removed: { at: link.time, lastSeq: change.lastSeq, lastServerSeq: change.lastServerSeq, by: link.author },
      });
    } else {
      devices.set(toHex(change.certificate.deviceId), { certificate: change.certificate, addedAt: link.time });
      keys.add(toHex(change.certificate.signKey));
    }
    prevHash = linkHash(bytes);
  }
  return {
    list: {
      accountId,
      recovery: recovery!,
      devices: [...devices.values()],
      links,
      head: { index: links.length, hash: prevHash },
    },
    checks,
  };
}

/** The key that must sign a link by `author`: an active device's, or the recovery key. */
function authorKey(
  author: DeviceListAuthor,
  devices: Map<string, DeviceRecord>,
  recovery: DeviceList["recovery"],
  at: string,
): Uint8Array {
  if (author.kind === "recovery") return recovery.signKey;
  const device = devices.get(toHex(author.deviceId));
  if (!device || device.removed)
    throw new MalformedInput(
      `${at} is signed by a device that is not active in the list: a removed device cannot change it`,
    );
  return device.certificate.signKey;
}

/**
 * Checks that `next` continues the chain this reader already holds up to `known`: a shorter chain
 * is a rollback, a different link at the same place a fork (two histories of the device list).
 */
export function checkExtends(known: ChainPoint | undefined, next: DeviceList): void {
  if (!known) return;
  if (next.links.length < known.index)
    throw new RollbackDetected(
      `the server served a device list of ${next.links.length} changes, older than the ${known.index} this device already saw`,
    );
  if (!bytesEqual(linkHash(next.links[known.index - 1]!), known.hash)) {
    throw new ForkDetected(
      `the device list served differs from the one this device saw at change ${known.index}: the server showed two histories of your devices`,
    );
  }
}

export type AuthorStanding = "allowed" | "removed" | "unknown";

/**
 * Whether an envelope (or head) signed by `signKey` as device `deviceId` with sequence `seq` counts:
 * "allowed" for a listed device (a removed one only up to its last counted sequence), "removed"
 * for what a removed device signed afterwards, "unknown" for keys the list never held.
 */
export function authorStanding(
  list: DeviceList,
  signKey: Uint8Array,
  deviceId: Uint8Array,
  seq: number,
): AuthorStanding {
  const device = findDevice(list, deviceId);
  if (!device || !bytesEqual(device.certificate.signKey, signKey)) return "unknown";
  if (device.removed && seq > device.removed.lastSeq) return "removed";
  return "allowed";
}

export function findDevice(list: DeviceList, deviceId: Uint8Array): DeviceRecord | undefined {
  return list.devices.find((d) => bytesEqual(d.certificate.deviceId, deviceId));
}

/** The key that signs for `signer` (a device id, or RECOVERY_ID): an active device's, or the recovery key. */
export function signerKey(list: DeviceList, signer: Uint8Array): Uint8Array | undefined {
  if (bytesEqual(signer, RECOVERY_ID)) return list.recovery.signKey;
  const device = findDevice(list, signer);
  return device && !device.removed ? device.certificate.signKey : undefined;
}

export function activeDevices(list: DeviceList): DeviceRecord[] {
  return list.devices.filter((d) => !d.removed);
}
