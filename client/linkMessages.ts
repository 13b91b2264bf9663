// The messages of device linking (the two sides run in client/deviceLink.ts). The new device shows
// a one-time link code (typed or scanned on a device already signed in) and both talk through a
// relay slot derived from it:
//
//   code:    a generated 160-bit secret s (crypto/generatedSecret.ts), shown as 36 characters
//   slot id: first 16 bytes of labelledHash("steward/link-slot/v1", s)
//   P (new device): N 32 ‖ deviceId 16 ‖ device signKey 32 ‖ device boxKey 32 ‖ createdAt u64 ‖ u32 len ‖ name
//   message 0 (new device):      C = labelledHash("steward/link-commit/v1", P) ‖ MAC_new(C)
//   message 1 (existing device): E ‖ MAC_existing(E)
//   message 2 (new device):      P ‖ MAC_new(P), which must hash to C
//   both screens show a 6-digit short authentication string of (P, E); the people compare them
//   message 3 (existing device, after the person confirms): nonce 24 ‖ crypto_box(key ring, N, E);
//              the ring's device list then holds P's device, certified by the account identity key
//   N, E: ephemeral X25519 keys; MAC_role = crypto_auth under labelledHash("steward/device-link/v1/<role>", s)
//
// The MACs stop a relay that does not know the code. The commitment fixes P (the new device's own
// keys included) before E is known and E before P is revealed, so even a relay that knows the code
// cannot search for keys that make the two screens agree: its chance is one in a million per
// attempt, and the person sees the mismatch.
import { ByteReader, ByteWriter, bytesEqual, concat, fromUtf8, toHex, utf8 } from "../shared/bytes.js";
import { checkDeviceName, MAX_DEVICE_NAME_BYTES } from "../shared/deviceCertificate.js";
import { InvalidSignature, MalformedInput, TamperedEnvelope } from "../shared/errors.js";
import { newGeneratedSecret, parseGeneratedSecret, type SecretKind } from "../crypto/generatedSecret.js";
import { labelledHash } from "../shared/hash.js";
import { SIGNATURE_CONTEXTS } from "../shared/signing.js";
import { sodium } from "../crypto/sodium.js";
import type { DevicePublicKeys } from "./devices.js";

const LINK_CODE: SecretKind = { checkLabel: "steward/link-check/v1", name: "link code" };
const KEY_BYTES = 32;
const MAC_BYTES = 32;
const MAX_PAYLOAD_BYTES = KEY_BYTES + 16 + 32 + 32 + 8 + 4 + MAX_DEVICE_NAME_BYTES;

export interface LinkChannel {
  /** The code the new device shows. */
  readonly code: string;
  readonly slotId: string;
  readonly secret: Uint8Array;
}

export interface EphemeralKeys {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export function newLinkChannel(): LinkChannel {
  const secret = newGeneratedSecret(LINK_CODE);
  return channelOf(secret.text, secret.bytes);
}

export function parseLinkCode(code: string): LinkChannel {
  const secret = parseGeneratedSecret(code, LINK_CODE);
  return channelOf(secret.text, secret.bytes);
}

function channelOf(code: string, secret: Uint8Array): LinkChannel {
  return { code, secret, slotId: toHex(labelledHash("steward/link-slot/v1", secret).slice(0, 16)) };
}

export function ephemeralKeys(): EphemeralKeys {
  return sodium().crypto_box_keypair();
}

export type LinkRole = "new" | "existing";

function macKey(channel: LinkChannel, role: LinkRole): Uint8Array {
  return labelledHash(`${SIGNATURE_CONTEXTS.deviceLink}/${role}`, channel.secret);
}

function macked(channel: LinkChannel, role: LinkRole, value: Uint8Array): Uint8Array {
  return concat(value, sodium().crypto_auth(value, macKey(channel, role)));
}

function openMacked(
  channel: LinkChannel,
  role: LinkRole,
  message: Uint8Array,
  length: (n: number) => boolean = (n) => n === KEY_BYTES,
): Uint8Array {
  if (!length(message.length - MAC_BYTES)) throw new MalformedInput("the linking message is malformed");
  const value = message.slice(0, message.length - MAC_BYTES);
  if (!sodium().crypto_auth_verify(message.subarray(value.length), value, macKey(channel, role))) {
    throw new InvalidSignature("the other device's message was not sent with this link code: start linking again");
  }
  return value;
}

function commitmentOf(payload: Uint8Array): Uint8Array {
  return labelledHash("steward/link-commit/v1", payload);
}

/** What the new device reveals in message 2: its ephemeral key and its own device keys and name. */
export function newDevicePayload(ephemeralKey: Uint8Array, device: DevicePublicKeys): Uint8Array {
  return new ByteWriter(MAX_PAYLOAD_BYTES)
    .fixed(ephemeralKey, KEY_BYTES, "ephemeral key")
    .fixed(device.deviceId, 16, "deviceId")
    .fixed(device.signKey, 32, "signKey")
    .fixed(device.boxKey, 32, "boxKey")
    .u64(device.createdAt)
    .bytes(utf8(checkDeviceName(device.name)))
    .finish();
}

export function readNewDevicePayload(payload: Uint8Array): { ephemeralKey: Uint8Array; device: DevicePublicKeys } {
  const r = new ByteReader(payload, "new device's linking message");
  const ephemeralKey = r.fixed(KEY_BYTES, "ephemeral key");
  const device = {
    deviceId: r.fixed(16, "deviceId"),
    signKey: r.fixed(32, "signKey"),
    boxKey: r.fixed(32, "boxKey"),
    createdAt: r.u64("createdAt"),
    name: fromUtf8(r.bytes("name", MAX_DEVICE_NAME_BYTES), "device name"),
  };
  r.end();
  return { ephemeralKey, device: { ...device, name: checkDeviceName(device.name) } };
}

/** Message 0: the new device's commitment to what it will reveal. */
export function commitMessage(channel: LinkChannel, payload: Uint8Array): Uint8Array {
  return macked(channel, "new", commitmentOf(payload));
}

export function openCommitMessage(channel: LinkChannel, message: Uint8Array): Uint8Array {
  return openMacked(channel, "new", message);
}

/** Message 1 (existing device's key) or 2 (new device's payload, revealed). */
export function keyMessage(channel: LinkChannel, role: LinkRole, value: Uint8Array): Uint8Array {
  return macked(channel, role, value);
}

export function openKeyMessage(channel: LinkChannel, role: LinkRole, message: Uint8Array): Uint8Array {
  return role === "new"
    ? openMacked(channel, role, message, (n) => n > KEY_BYTES && n <= MAX_PAYLOAD_BYTES)
    : openMacked(channel, role, message);
}

/** The revealed payload must be the one committed to in message 0. */
export function checkCommitment(commitment: Uint8Array, payload: Uint8Array): void {
  if (!bytesEqual(commitmentOf(payload), commitment))
    throw new InvalidSignature("the new device revealed other keys than the ones it committed to: start linking again");
}

/** Six digits both screens show; equal only when both devices hold the same new-device payload and key. */
export function shortAuthenticationString(newDevice: Uint8Array, existingDeviceKey: Uint8Array): string {
  const digest = labelledHash("steward/link-sas/v1", newDevice, existingDeviceKey);
  const value = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return String(value % 1_000_000).padStart(6, "0");
}

export function sealForNewDevice(payload: Uint8Array, newDeviceKey: Uint8Array, existing: EphemeralKeys): Uint8Array {
  const nonce = sodium().randombytes_buf(24);
  return concat(nonce, sodium().crypto_box_easy(payload, nonce, newDeviceKey, existing.privateKey));
}

export function openFromExistingDevice(
  message: Uint8Array,
  existingDeviceKey: Uint8Array,
  mine: EphemeralKeys,
): Uint8Array {
  if (message.length < 24 + 16) throw new MalformedInput("the key ring message is truncated");
  try {
    return sodium().crypto_box_open_easy(
      message.subarray(24),
      message.subarray(0, 24),
      existingDeviceKey,
      mine.privateKey,
    );
  } catch {
    throw new TamperedEnvelope(
      "the key ring from the other device does not open: it was altered on the way; start linking again",
    );
  }
}
