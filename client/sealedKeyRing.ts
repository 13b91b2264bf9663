// The key ring as the server stores it for an account's devices: sealed to the devices in its own
// device list (and to the recovery key), signed by the device that stored it, versioned (the
// replica that fetches, merges and stores it is client/keyRingSync.ts). Each stored version has a
// fresh random key, sealed to each active device's X25519 key: a removed device cannot open any
// version stored after its removal, even though it still holds the account keys.
//
//   blob: magic "STKR" ‖ format u8 (2) ‖ version u32 ‖ count u8 ‖ count × (recipient 16 ‖ sealed 80)
//         ‖ nonce 24 ‖ XChaCha20-Poly1305(encodeKeyRing) ‖ signer deviceId 16 ‖ signature 64
//   recipient: a device id, or 16 × 0xff for the recovery key; sealed = crypto_box_seal(ring key)
//   associated data: everything before the ciphertext ‖ account id; signature (context
//   steward/key-ring/v1, the signer's device key) over everything before it ‖ account id.
import { sign, verify } from "../crypto/accountKeys.js";
import { ByteReader, ByteWriter, bytesEqual, concat, expectMagic, utf8 } from "../shared/bytes.js";
import { activeDevices, checkExtends, findDevice, type ChainPoint } from "../shared/deviceList.js";
import {
  InvalidSignature,
  MalformedInput,
  RollbackDetected,
  TamperedEnvelope,
  UnsupportedVersion,
} from "../shared/errors.js";
import { accountIdOf } from "../shared/keyBundle.js";
import { sodium } from "../crypto/sodium.js";
import { RECOVERY_RECIPIENT, verifiedDeviceList, type DeviceKeys } from "./devices.js";
import { decodeKeyRing, encodeKeyRing, type KeyRing } from "./keyRing.js";

const MAGIC = "STKR";
const FORMAT = 2;
const SEALED_KEY_BYTES = 32 + 48;

/** Who opens a stored ring: a device (its id and box keys) or the recovery key (RECOVERY_RECIPIENT). */
export interface RingReader {
  readonly recipient: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
}

export function deviceReader(device: DeviceKeys): RingReader {
  return { recipient: device.deviceId, boxKey: device.boxKey, boxSecretKey: device.boxSecretKey };
}

export function sealKeyRing(ring: KeyRing, version: number, signer: DeviceKeys): Uint8Array {
  const s = sodium();
  const list = verifiedDeviceList(ring.devices, ring.account.signKey);
  const recipients = [
    ...activeDevices(list).map((d) => ({ id: d.certificate.deviceId, boxKey: d.certificate.boxKey })),
    { id: RECOVERY_RECIPIENT, boxKey: list.recovery.boxKey },
  ];
  const ringKey = s.randombytes_buf(32);
  const nonce = s.randombytes_buf(24);
  const header = new ByteWriter(34 + recipients.length * (16 + SEALED_KEY_BYTES))
    .raw(utf8(MAGIC))
    .u8(FORMAT)
    .u32(version)
    .u8(recipients.length);
  for (const r of recipients)
    header.fixed(r.id, 16, "recipient").fixed(s.crypto_box_seal(ringKey, r.boxKey), SEALED_KEY_BYTES, "sealed key");
  const head = header.fixed(nonce, 24, "nonce").finish();
  const accountId = accountIdOf(ring.account.signKey);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
    encodeKeyRing(ring),
    concat(head, accountId),
    null,
    nonce,
    ringKey,
  );
  s.memzero(ringKey);
  const body = concat(head, ciphertext, signer.deviceId);
  return concat(body, sign("keyRing", signer.signSecretKey, body, accountId));
}

export interface OpenRing {
  /** The account identity key the ring must belong to. */
  readonly identityKey: Uint8Array;
  readonly reader: RingReader;
  /** The version the server announced, and the newest this device has seen. */
  readonly announcedVersion: number;
  readonly seenVersion: number;
  /** The device list this device holds: the ring's must continue it. */
  readonly knownDevices?: ChainPoint;
}

/**
 * Opens a stored ring. It must be sealed to this reader, belong to this account, carry a device
 * list that continues the one this device holds, be signed by a device active in that list, be the
 * version the server announced and not older than one this device has seen (a server replaying an
 * old ring would otherwise bring back revoked roots as current).
 */
export function openKeyRing(blob: Uint8Array, open: OpenRing): KeyRing {
  const s = sodium();
  const reader = new ByteReader(blob, "stored key ring");
  expectMagic(reader, MAGIC, "stored key ring");
  const format = reader.u8("format");
  if (format !== FORMAT) throw new UnsupportedVersion(`stored key ring format ${format} is not supported`);
  const version = reader.u32("version");
  const count = reader.u8("count");
  let sealedKey: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const recipient = reader.fixed(16, "recipient");
    const sealed = reader.fixed(SEALED_KEY_BYTES, "sealed key");
    if (bytesEqual(recipient, open.reader.recipient)) sealedKey = sealed;
  }
  const nonce = reader.fixed(24, "nonce");
  const headEnd = reader.position;
  if (blob.length < headEnd + 16 + 16 + 64) throw new MalformedInput("stored key ring is truncated");
  if (!sealedKey)
    throw new TamperedEnvelope(
      "the key ring stored on the server is not sealed to this device: this device was removed from the account, or the ring was replaced",
    );
  const accountId = accountIdOf(open.identityKey);
  const head = blob.subarray(0, headEnd);
  const signed = blob.subarray(0, blob.length - 64);
  let plain: Uint8Array;
  let ringKey: Uint8Array | undefined;
  try {
    ringKey = s.crypto_box_seal_open(sealedKey, open.reader.boxKey, open.reader.boxSecretKey);
    plain = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      blob.subarray(headEnd, blob.length - 80),
      concat(head, accountId),
      nonce,
      ringKey,
    );
  } catch {
    throw new TamperedEnvelope("the stored key ring does not decrypt with this device's keys: it was altered");
  } finally {
    if (ringKey) s.memzero(ringKey);
  }
  const ring = decodeKeyRing(plain);
  if (!bytesEqual(ring.account.signKey, open.identityKey))
    throw new TamperedEnvelope("the stored key ring belongs to another account");
  let list: ReturnType<typeof verifiedDeviceList>;
  try {
    list = verifiedDeviceList(ring.devices, open.identityKey);
  } catch (error) {
    if (error instanceof InvalidSignature || error instanceof MalformedInput)
      throw new TamperedEnvelope(`the stored key ring's device list does not verify: ${error.message}`);
    throw error;
  }
  checkExtends(open.knownDevices, list);
  const signer = findDevice(list, blob.subarray(blob.length - 80, blob.length - 64));
  if (!signer || signer.removed)
    throw new TamperedEnvelope(
      "the stored key ring was signed by a device that is not active in the account's device list",
    );
  try {
    verify(
      "keyRing",
      blob.subarray(blob.length - 64),
      signer.certificate.signKey,
      "stored key ring",
      signed,
      accountId,
    );
  } catch {
    throw new TamperedEnvelope(
      "the key ring stored on the server is not signed by the device it names: it was altered",
    );
  }
  if (version !== open.announcedVersion)
    throw new TamperedEnvelope(
      `the server announced key ring version ${open.announcedVersion} but served version ${version}`,
    );
  if (version < open.seenVersion)
    throw new RollbackDetected(
      `the server served key ring version ${version}, older than version ${open.seenVersion} this device already saw`,
    );
  return ring;
}
