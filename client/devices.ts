// A device's own keys and the account's device list as clients build and check it: certificates
// signed by the account identity key, links of the signed chain (shared/deviceList.ts), and the
// recovery keys whose secret halves live only in the recovery kit.
import { z } from "zod";
import { verifyMessage, type AccountKeys } from "../crypto/accountKeys.js";
import { bytesEqual, fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../shared/bytes.js";
import { checkDeviceName, deviceCertificateSignedBytes, type DeviceCertificate } from "../shared/deviceCertificate.js";
import {
  assembleLink,
  checkExtends,
  encodeDeviceList,
  encodeLinkBody,
  findDevice,
  linkSignedBytes,
  readDeviceList,
  type ChainPoint,
  type DeviceList,
  type DeviceListChange,
} from "../shared/deviceList.js";
import { MalformedInput } from "../shared/errors.js";
import { accountIdOf } from "../shared/keyBundle.js";
import { sodium } from "../crypto/sodium.js";

/** One device's own key pairs (never synced: each device has its own). */
export interface DeviceKeys {
  readonly deviceId: Uint8Array;
  readonly signKey: Uint8Array;
  readonly signSecretKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
  readonly name: string;
  readonly createdAt: number;
}

/** What another device learns of a new one while linking it. */
export type DevicePublicKeys = Pick<DeviceKeys, "deviceId" | "signKey" | "boxKey" | "name" | "createdAt">;

/** The key pairs that may change the device list when no device is left: only in the recovery kit. */
export interface RecoveryKeys {
  readonly signKey: Uint8Array;
  readonly signSecretKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
}

/** Stands for the recovery key among a key ring's recipients and as a login's signer. */
export { RECOVERY_ID as RECOVERY_RECIPIENT } from "../shared/deviceList.js";

export function newDeviceKeys(name: string, now = Date.now()): DeviceKeys {
  const s = sodium();
  const signing = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return {
    deviceId: crypto.getRandomValues(new Uint8Array(16)),
    signKey: signing.publicKey,
    signSecretKey: signing.privateKey,
    boxKey: box.publicKey,
    boxSecretKey: box.privateKey,
    name: checkDeviceName(name),
    createdAt: now,
  };
}

export function newRecoveryKeys(): RecoveryKeys {
  const s = sodium();
  const signing = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return {
    signKey: signing.publicKey,
    signSecretKey: signing.privateKey,
    boxKey: box.publicKey,
    boxSecretKey: box.privateKey,
  };
}

export function certify(account: AccountKeys, device: DevicePublicKeys): DeviceCertificate {
  const unsigned = {
    accountId: accountIdOf(account.signKey),
    deviceId: device.deviceId,
    signKey: device.signKey,
    boxKey: device.boxKey,
    createdAt: device.createdAt,
    name: device.name,
  };
  return {
    ...unsigned,
    signature: sodium().crypto_sign_detached(deviceCertificateSignedBytes(unsigned), account.signSecretKey),
  };
}

/** Replays and verifies an encoded device list (InvalidSignature if any signature fails). */
export function verifiedDeviceList(encoded: Uint8Array, identityKey: Uint8Array): DeviceList {
  const { list, checks } = readDeviceList(encoded, identityKey);
  for (const check of checks) verifyMessage(check.signature, check.message, check.key, check.what);
  return list;
}

/** Who signs a new link: this device with its own key, or the recovery key from the kit. */
export type LinkSigner =
  | { readonly kind: "device"; readonly device: DeviceKeys }
  | { readonly kind: "recovery"; readonly keys: RecoveryKeys };

function signedLink(
  account: AccountKeys,
  signer: LinkSigner,
  index: number,
  prevHash: Uint8Array,
  change: DeviceListChange,
  time: number,
): Uint8Array {
  const author =
    signer.kind === "device"
      ? { kind: "device" as const, deviceId: signer.device.deviceId }
      : { kind: "recovery" as const };
  const body = encodeLinkBody({ accountId: accountIdOf(account.signKey), index, prevHash, time, author, change });
  const message = linkSignedBytes(body);
  const authorSecret = signer.kind === "device" ? signer.device.signSecretKey : signer.keys.signSecretKey;
  return assembleLink(
    body,
    sodium().crypto_sign_detached(message, account.signSecretKey),
    sodium().crypto_sign_detached(message, authorSecret),
  );
}

/** The first device list of a new account: this device, and the recovery key's public halves. */
export function genesisDeviceList(
  account: AccountKeys,
  device: DeviceKeys,
  recovery: Pick<RecoveryKeys, "signKey" | "boxKey">,
  now = Date.now(),
): Uint8Array {
  const change: DeviceListChange = {
    op: "genesis",
    recoverySignKey: recovery.signKey,
    recoveryBoxKey: recovery.boxKey,
    certificate: certify(account, device),
  };
  return encodeDeviceList([signedLink(account, { kind: "device", device }, 1, new Uint8Array(32), change, now)]);
}

/** The list with one more change appended, signed by the account and `signer`; checked like any list. */
export function appendDeviceChange(
  encoded: Uint8Array,
  account: AccountKeys,
  signer: LinkSigner,
  change: DeviceListChange,
  now = Date.now(),
): Uint8Array {
  const list = verifiedDeviceList(encoded, account.signKey);
  const link = signedLink(account, signer, list.head.index + 1, list.head.hash, change, now);
  const next = encodeDeviceList([...list.links, link]);
  verifiedDeviceList(next, account.signKey);
  return next;
}

/** Of two lists of one account, the one that continues the other (ForkDetected if neither does). */
export function longerDeviceList(a: Uint8Array, b: Uint8Array, identityKey: Uint8Array): Uint8Array {
  const first = verifiedDeviceList(a, identityKey);
  const second = verifiedDeviceList(b, identityKey);
  const [shorter, longer, bytes] = first.head.index <= second.head.index ? [first, second, b] : [second, first, a];
  checkExtends(shorter.head, longer);
  return bytes;
}

export function chainPoint(list: DeviceList): ChainPoint {
  return { index: list.head.index, hash: list.head.hash };
}

/** This device's entry, if the list holds it with these very keys. */
export function ownEntry(list: DeviceList, device: Pick<DeviceKeys, "deviceId" | "signKey" | "boxKey">) {
  const entry = findDevice(list, device.deviceId);
  return entry &&
    bytesEqual(entry.certificate.signKey, device.signKey) &&
    bytesEqual(entry.certificate.boxKey, device.boxKey)
    ? entry
    : undefined;
}

const bytes = (length: number) =>
  z.string().transform((text, ctx) => {
    try {
      return fromBase64Url(text, "device key", length);
    } catch {
      ctx.addIssue({ code: "custom", message: `not ${length} bytes of base64url` });
      return z.NEVER;
    }
  });
const deviceKeysSchema = z.object({
  deviceId: bytes(16),
  signKey: bytes(32),
  signSecretKey: bytes(64),
  boxKey: bytes(32),
  boxSecretKey: bytes(32),
  name: z.string(),
  createdAt: z.number().int().nonnegative(),
});

/** This device's keys as it keeps them (wrapped, client/store/keyStore.ts). */
export function encodeDeviceKeys(device: DeviceKeys): Uint8Array {
  const b = toBase64Url;
  return utf8(
    JSON.stringify({
      ...device,
      deviceId: b(device.deviceId),
      signKey: b(device.signKey),
      signSecretKey: b(device.signSecretKey),
      boxKey: b(device.boxKey),
      boxSecretKey: b(device.boxSecretKey),
    }),
  );
}

export function decodeDeviceKeys(encoded: Uint8Array): DeviceKeys {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(encoded, "device keys"));
  } catch {
    throw new MalformedInput("this device's own keys are not valid JSON");
  }
  const parsed = deviceKeysSchema.safeParse(json);
  if (!parsed.success) throw new MalformedInput("this device's own keys are malformed");
  return parsed.data;
}
