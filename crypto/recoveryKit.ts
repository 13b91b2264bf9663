// The recovery kit: a generated 160-bit secret the patient prints or saves, and the key ring
// wrapped under an Argon2id key derived from it. The wrapped blob may live on the server, so the
// secret is generated (never a guessable password) and Argon2id is defence in depth.
//
//   blob: magic "STWR" ‖ version u8 ‖ kdf params (alg u8, ops u32, mem u32, salt 16) ‖ nonce 24
//         ‖ XChaCha20-Poly1305(keyRing), associated data = everything before the ciphertext
//   secret text: a generated secret (crypto/generatedSecret.ts) with its own check label
import { ByteReader, ByteWriter, concat, expectMagic, utf8 } from "../shared/bytes.js";
import { MalformedInput, UnsupportedVersion, WrongSecret } from "../shared/errors.js";
import { newGeneratedSecret, parseGeneratedSecret, type GeneratedSecret, type SecretKind } from "./generatedSecret.js";
import { deriveKey, encodeKdfParams, newKdfParams, readKdfParams, type KdfParams } from "./secretKdf.js";
import { sodium } from "./sodium.js";

const MAGIC = "STWR";
const VERSION = 1;
const RECOVERY_CODE: SecretKind = { checkLabel: "steward/recovery-check/v1", name: "recovery code" };

export type RecoverySecret = GeneratedSecret;

export function newRecoverySecret(): RecoverySecret {
  return newGeneratedSecret(RECOVERY_CODE);
}

/** Reads a typed recovery code; a typo is caught by its check bytes before any slow derivation. */
export function parseRecoverySecret(text: string): RecoverySecret {
  return parseGeneratedSecret(text, RECOVERY_CODE);
}

export function wrapWithRecoverySecret(
  keyRing: Uint8Array,
  secret: RecoverySecret,
  params: KdfParams = newKdfParams(),
): Uint8Array {
  const s = sodium();
  const nonce = s.randombytes_buf(24);
  const header = new ByteWriter(64)
    .raw(utf8(MAGIC))
    .u8(VERSION)
    .raw(encodeKdfParams(params))
    .fixed(nonce, 24, "nonce")
    .finish();
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
