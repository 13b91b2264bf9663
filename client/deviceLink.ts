// Linking a new device to an account. The new device shows a one-time link code (typed or scanned
// on a device already signed in) and both talk through a relay slot derived from it:
//
//   code:    a generated 160-bit secret s (shared/generatedSecret.ts), shown as 36 characters
//   slot id: first 16 bytes of labelledHash("steward/link-slot/v1", s)
//   message 0 (new device):      ephemeral X25519 key N ‖ MAC_s(N)
//   message 1 (existing device): ephemeral X25519 key E ‖ MAC_s(E)
//   both screens show a 6-digit short authentication string of (N, E); the people compare them
//   message 2 (existing device, after the person confirms): nonce 24 ‖ crypto_box(key ring, N, E)
//
// The MACs stop a relay that does not know the code; the SAS, checked by a person on both
// screens, stops someone who glimpsed the code from slipping in their own key or key ring.
import { concat, toHex } from "../shared/bytes.js";
import { InvalidSignature, MalformedInput, WrongSecret } from "../shared/errors.js";
import { newGeneratedSecret, parseGeneratedSecret, type SecretKind } from "../shared/generatedSecret.js";
import { labelledHash } from "../shared/hash.js";
import { SIGNATURE_CONTEXTS } from "../shared/signing.js";
import { sodium } from "../shared/sodium.js";

const LINK_CODE: SecretKind = { checkLabel: "steward/link-check/v1", name: "link code" };
const KEY_BYTES = 32;
const MAC_BYTES = 32;

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

function macKey(channel: LinkChannel): Uint8Array {
  return labelledHash(SIGNATURE_CONTEXTS.deviceLink, channel.secret);
}

/** Message 0 or 1: an ephemeral key vouched for by the code. */
export function keyMessage(channel: LinkChannel, publicKey: Uint8Array): Uint8Array {
  return concat(publicKey, sodium().crypto_auth(publicKey, macKey(channel)));
}

export function openKeyMessage(channel: LinkChannel, message: Uint8Array): Uint8Array {
  if (message.length !== KEY_BYTES + MAC_BYTES) throw new MalformedInput("the linking message is malformed");
  const key = message.slice(0, KEY_BYTES);
  if (!sodium().crypto_auth_verify(message.subarray(KEY_BYTES), key, macKey(channel))) {
    throw new InvalidSignature("the other device's key was not sent with this link code: start linking again");
  }
  return key;
}

/** Six digits both screens show; equal only when both devices hold the same two keys. */
export function shortAuthenticationString(newDeviceKey: Uint8Array, existingDeviceKey: Uint8Array): string {
  const digest = labelledHash("steward/link-sas/v1", newDeviceKey, existingDeviceKey);
  const value = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return String(value % 1_000_000).padStart(6, "0");
}

export function sealForNewDevice(payload: Uint8Array, newDeviceKey: Uint8Array, existing: EphemeralKeys): Uint8Array {
  const nonce = sodium().randombytes_buf(24);
  return concat(nonce, sodium().crypto_box_easy(payload, nonce, newDeviceKey, existing.privateKey));
}

export function openFromExistingDevice(message: Uint8Array, existingDeviceKey: Uint8Array, mine: EphemeralKeys): Uint8Array {
  if (message.length < 24 + 16) throw new MalformedInput("the key ring message is truncated");
  try {
    return sodium().crypto_box_open_easy(message.subarray(24), message.subarray(0, 24), existingDeviceKey, mine.privateKey);
  } catch {
    throw new WrongSecret("the key ring from the other device does not open: start linking again");
  }
}
