// The recovery kit: a generated 160-bit secret the patient prints or saves, and the key ring
// wrapped under an Argon2id key derived from it. The wrapped blob may live on the server, so the
// secret is generated (never a guessable password) and Argon2id is defence in depth.
//
//   blob: magic "STWR" ‖ version u8 ‖ kdf params (alg u8, ops u32, mem u32, salt 16) ‖ nonce 24
//         ‖ XChaCha20-Poly1305(keyRing), associated data = everything before the ciphertext
//   secret text: Crockford base32 of 20 random bytes + 2 check bytes, in groups of four
import { ByteReader, ByteWriter, bytesEqual, concat, expectMagic, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion, WrongSecret } from "./errors.js";
import { deriveKey, encodeKdfParams, newKdfParams, readKdfParams, type KdfParams } from "./secretKdf.js";
import { sodium } from "./sodium.js";

const MAGIC = "STWR";
const VERSION = 1;
const SECRET_BYTES = 20;
const CHECK_BYTES = 2;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function checkBytes(secret: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(CHECK_BYTES, concat(utf8("steward/recovery-check/v1"), secret), null);
}

function toBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): Uint8Array {
  // Crockford: case-insensitive, I/L read as 1, O as 0; separators ignored.
  const clean = text.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new MalformedInput(`"${c}" is not a character of a recovery code`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export interface RecoverySecret {
  /** What the patient writes down: groups of four characters. */
  readonly text: string;
  readonly bytes: Uint8Array;
}

export function newRecoverySecret(): RecoverySecret {
  const bytes = sodium().randombytes_buf(SECRET_BYTES);
  const text = (toBase32(concat(bytes, checkBytes(bytes))).match(/.{1,4}/g) ?? []).join("-");
  return { text, bytes };
}

/** Reads a typed recovery code; a typo is caught by its check bytes before any slow derivation. */
export function parseRecoverySecret(text: string): RecoverySecret {
  const decoded = fromBase32(text);
  if (decoded.length !== SECRET_BYTES + CHECK_BYTES) throw new MalformedInput("a recovery code has 36 characters; check that it was copied in full");
  const bytes = decoded.slice(0, SECRET_BYTES);
  if (!bytesEqual(checkBytes(bytes), decoded.slice(SECRET_BYTES))) throw new MalformedInput("this recovery code has a typo: check each group of four characters");
  return { text, bytes };
}

export function wrapWithRecoverySecret(keyRing: Uint8Array, secret: RecoverySecret, params: KdfParams = newKdfParams()): Uint8Array {
  const s = sodium();
  const nonce = s.randombytes_buf(24);
  const header = new ByteWriter(64).raw(utf8(MAGIC)).u8(VERSION).raw(encodeKdfParams(params)).fixed(nonce, 24, "nonce").finish();
  const key = deriveKey(secret.bytes, params);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(keyRing, header, null, nonce, key);
  s.memzero(key);
  return concat(header, ciphertext);
}

/** Unwraps a kit blob; refuses weak parameters before deriving (WeakKdfParameters), WrongSecret otherwise. */
export function unwrapWithRecoverySecret(blob: Uint8Array, secret: RecoverySecret): Uint8Array {
  const reader = new ByteReader(blob, "recovery kit");
  expectMagic(reader, MAGIC, "recovery kit");
  const version = reader.u8("version");
  if (version !== VERSION) throw new UnsupportedVersion(`recovery kit version ${version} is not supported`);
  const params = readKdfParams(reader);
  const nonce = reader.fixed(24, "nonce");
  const header = blob.slice(0, reader.position);
  const ciphertext = reader.rest();
  if (ciphertext.length < 16) throw new MalformedInput("recovery kit is truncated");
  const key = deriveKey(secret.bytes, params);
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, header, nonce, key);
  } catch {
    throw new WrongSecret("this recovery code does not open the kit (or the kit was altered)");
  } finally {
    sodium().memzero(key);
  }
}
