// Linking a new device to an account. The new device shows a one-time link code (typed or scanned
// on a device already signed in) and both talk through a relay slot derived from it:
//
//   code:    a generated 160-bit secret s (shared/generatedSecret.ts), shown as 36 characters
//   slot id: first 16 bytes of labelledHash("steward/link-slot/v1", s)
//   message 0 (new device):      C = labelledHash("steward/link-commit/v1", N) ‖ MAC_new(C)
//   message 1 (existing device): E ‖ MAC_existing(E)
//   message 2 (new device):      N ‖ MAC_new(N), which must hash to C
//   both screens show a 6-digit short authentication string of (N, E); the people compare them
//   message 3 (existing device, after the person confirms): nonce 24 ‖ crypto_box(key ring, N, E)
//   N, E: ephemeral X25519 keys; MAC_role = crypto_auth under labelledHash("steward/device-link/v1/<role>", s)
//
// The MACs stop a relay that does not know the code. The commitment fixes N before E is known and
// E before N is revealed, so even a relay that knows the code cannot search for keys that make the
// two screens agree: its chance is one in a million per attempt, and the person sees the mismatch.
import { bytesEqual, concat, toHex } from "../shared/bytes.js";
import { InvalidSignature, MalformedInput, TamperedEnvelope } from "../shared/errors.js";
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

export type LinkRole = "new" | "existing";

function macKey(channel: LinkChannel, role: LinkRole): Uint8Array {
  return labelledHash(`${SIGNATURE_CONTEXTS.deviceLink}/${role}`, channel.secret);
}

function macked(channel: LinkChannel, role: LinkRole, value: Uint8Array): Uint8Array {
  return concat(value, sodium().crypto_auth(value, macKey(channel, role)));
}

function openMacked(channel: LinkChannel, role: LinkRole, message: Uint8Array): Uint8Array {
  if (message.length !== KEY_BYTES + MAC_BYTES) throw new MalformedInput("the linking message is malformed");
  const value = message.slice(0, KEY_BYTES);
  if (!sodium().crypto_auth_verify(message.subarray(KEY_BYTES), value, macKey(channel, role))) {
    throw new InvalidSignature("the other device's message was not sent with this link code: start linking again");
  }
  return value;
}

function commitmentOf(publicKey: Uint8Array): Uint8Array {
  return labelledHash("steward/link-commit/v1", publicKey);
}

/** Message 0: the new device's commitment to its key. */
export function commitMessage(channel: LinkChannel, publicKey: Uint8Array): Uint8Array {
  return macked(channel, "new", commitmentOf(publicKey));
}

export function openCommitMessage(channel: LinkChannel, message: Uint8Array): Uint8Array {
  return openMacked(channel, "new", message);
}

/** Message 1 (existing device's key) or 2 (new device's key, revealed). */
export function keyMessage(channel: LinkChannel, role: LinkRole, publicKey: Uint8Array): Uint8Array {
  return macked(channel, role, publicKey);
}

export function openKeyMessage(channel: LinkChannel, role: LinkRole, message: Uint8Array): Uint8Array {
  return openMacked(channel, role, message);
}

/** The revealed key must be the one committed to in message 0. */
export function checkCommitment(commitment: Uint8Array, publicKey: Uint8Array): void {
  if (!bytesEqual(commitmentOf(publicKey), commitment)) throw new InvalidSignature("the new device revealed another key than the one it committed to: start linking again");
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
    throw new TamperedEnvelope("the key ring from the other device does not open: it was altered on the way; start linking again");
  }
}
