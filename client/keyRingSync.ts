// The key ring as the server stores it for an account's devices: sealed under a key only the
// account's devices can derive, signed by the identity key, versioned. Two devices that change the
// ring (a rotation on one, a new contact on the other) merge instead of overwriting each other.
//
//   blob: magic "STKR" ‖ format u8 ‖ version u32 ‖ nonce 24 ‖ XChaCha20-Poly1305(encodeKeyRing)
//         ‖ signature 64
//   key:  crypto_kdf_derive_from_key(32, 1, "keyring_", account box secret key)
//   associated data: everything before the ciphertext ‖ account id; signature (context
//   steward/key-ring/v1) over everything before it ‖ account id.
import { sign, verify, type AccountKeys } from "../shared/accountKeys.js";
import { ByteReader, ByteWriter, bytesEqual, concat, expectMagic, utf8 } from "../shared/bytes.js";
import { ForkDetected, MalformedInput, RollbackDetected, TamperedEnvelope, UnsupportedVersion } from "../shared/errors.js";
import { accountIdOf } from "../shared/keyBundle.js";
import { SCOPES } from "../shared/records.js";
import { sodium } from "../shared/sodium.js";
import type { Contact } from "./contacts.js";
import { decodeKeyRing, encodeKeyRing, type KeyRing } from "./keyRing.js";

const MAGIC = "STKR";
const FORMAT = 1;

function ringKey(account: AccountKeys): Uint8Array {
  return sodium().crypto_kdf_derive_from_key(32, 1, "keyring_", account.boxSecretKey);
}

export function sealKeyRing(ring: KeyRing, version: number): Uint8Array {
  const s = sodium();
  const nonce = s.randombytes_buf(24);
  const header = new ByteWriter(40).raw(utf8(MAGIC)).u8(FORMAT).u32(version).fixed(nonce, 24, "nonce").finish();
  const accountId = accountIdOf(ring.account.signKey);
  const key = ringKey(ring.account);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(encodeKeyRing(ring), concat(header, accountId), null, nonce, key);
  s.memzero(key);
  const body = concat(header, ciphertext);
  return concat(body, sign("keyRing", ring.account.signSecretKey, body, accountId));
}

/**
 * Opens a stored ring with this device's account keys. The version inside must be the one the
 * server announced and not older than one this device has seen (a server replaying an old ring
 * would otherwise bring back revoked roots as current).
 */
export function openKeyRing(blob: Uint8Array, account: AccountKeys, announcedVersion: number, seenVersion: number): KeyRing {
  const reader = new ByteReader(blob, "stored key ring");
  expectMagic(reader, MAGIC, "stored key ring");
  const format = reader.u8("format");
  if (format !== FORMAT) throw new UnsupportedVersion(`stored key ring format ${format} is not supported`);
  const version = reader.u32("version");
  const nonce = reader.fixed(24, "nonce");
  const headerEnd = reader.position;
  if (blob.length < headerEnd + 16 + 64) throw new MalformedInput("stored key ring is truncated");
  const body = blob.subarray(0, blob.length - 64);
  const accountId = accountIdOf(account.signKey);
  try {
    verify("keyRing", blob.subarray(blob.length - 64), account.signKey, "stored key ring", body, accountId);
  } catch {
    throw new TamperedEnvelope("the key ring stored on the server is not signed by this account: it was altered");
  }
  if (version !== announcedVersion) throw new TamperedEnvelope(`the server announced key ring version ${announcedVersion} but served version ${version}`);
  if (version < seenVersion) throw new RollbackDetected(`the server served key ring version ${version}, older than version ${seenVersion} this device already saw`);
  const key = ringKey(account);
  let plain: Uint8Array;
  try {
    plain = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, body.subarray(headerEnd), concat(body.subarray(0, headerEnd), accountId), nonce, key);
  } catch {
    throw new TamperedEnvelope("the stored key ring does not decrypt with this account's keys");
  } finally {
    sodium().memzero(key);
  }
  const ring = decodeKeyRing(plain);
  if (!bytesEqual(ring.account.signKey, account.signKey)) throw new TamperedEnvelope("the stored key ring belongs to another account");
  return ring;
}

/** Of two records of one contact, the verified one, or the later verified. */
export function newerContact(a: Contact, b: Contact): Contact {
  if ((a.verifiedAt === undefined) !== (b.verifiedAt === undefined)) return a.verifiedAt !== undefined ? a : b;
  return (b.verifiedAt ?? 0) > (a.verifiedAt ?? 0) ? b : a;
}

/**
 * Everything either copy knows: roots of every generation (ForkDetected if the two disagree on
 * one), the newest current generation, verified contacts over unverified ones,
 * invites still open on both sides.
 */
export function mergeKeyRings(stored: KeyRing, local: KeyRing): KeyRing {
  if (!bytesEqual(stored.account.signKey, local.account.signKey)) throw new MalformedInput("cannot merge key rings of two accounts");
  let data = stored.data ?? local.data;
  if (stored.data && local.data) {
    if (!bytesEqual(stored.data.metaKey, local.data.metaKey)) throw new MalformedInput("the two key rings disagree on the metadata key");
    const scopes = { ...stored.data.scopes };
    for (const scope of SCOPES) {
      const a = stored.data.scopes[scope];
      const b = local.data.scopes[scope];
      for (const [generation, root] of b.roots) {
        const theirs = a.roots.get(generation);
        // Rotations are stored before they are used, so two roots for one generation mean the server
        // showed two devices different histories.
        if (theirs && !bytesEqual(theirs, root)) throw new ForkDetected(`two of your devices hold different ${scope} keys for generation ${generation}: the server showed them different key rings`);
      }
      scopes[scope] = { current: Math.max(a.current, b.current), roots: new Map([...b.roots, ...a.roots]) };
    }
    data = { metaKey: stored.data.metaKey, scopes };
  }
  const contacts = new Map<string, Contact>();
  for (const c of [...stored.contacts, ...local.contacts]) {
    const known = contacts.get(c.accountId);
    contacts.set(c.accountId, known ? newerContact(known, c) : c);
  }
  const closedInvites = [...new Set([...stored.closedInvites, ...local.closedInvites])];
  const invites = [...new Map([...local.invites, ...stored.invites].map((i) => [i.id, i])).values()].filter((i) => !closedInvites.includes(i.id));
  const revokedGrants = [...new Set([...stored.revokedGrants, ...local.revokedGrants])];
  return { account: stored.account, ...(data ? { data } : {}), contacts: [...contacts.values()], invites, closedInvites, revokedGrants };
}
