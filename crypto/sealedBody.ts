// The encrypted body that envelopes and blocks share: nonce 24 ‖ commitment 32 ‖ XChaCha20-Poly1305
// ciphertext of the padded plaintext, with the object's header as associated data. The commitment
// binds the body to one key and one header, and is checked before anything is decrypted
// (XChaCha20-Poly1305 alone does not commit to its key). Clients only: libsodium.
import { bytesEqual, concat } from "../shared/bytes.js";
import { COMMIT_BYTES, NONCE_BYTES, TAG_BYTES } from "../shared/envelopeCodec.js";
import { MalformedInput, TamperedEnvelope } from "../shared/errors.js";
import { pad, unpad, type PaddingScheme } from "./padding.js";
import { sodium } from "./sodium.js";

export interface BodyKeys {
  /** XChaCha20-Poly1305 key. */
  readonly aead: Uint8Array;
  /** Key of the commitment (keyed BLAKE2b). */
  readonly commit: Uint8Array;
}

function commitment(commitKey: Uint8Array, nonce: Uint8Array, tag: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(COMMIT_BYTES, concat(nonce, tag, headerBytes), commitKey);
}

export function wipeKeys(keys: BodyKeys): void {
  sodium().memzero(keys.aead);
  sodium().memzero(keys.commit);
}

/** Pads, encrypts under `keys` with the header as associated data, and commits; refuses a body over `maxBody`. */
export function sealBody(
  keys: BodyKeys,
  headerBytes: Uint8Array,
  plaintext: Uint8Array,
  maxBody: number,
  what: string,
): Uint8Array {
  const s = sodium();
  const padded = pad(plaintext);
  // Refuse here what the decoder would refuse later: such an object never syncs.
  if (NONCE_BYTES + COMMIT_BYTES + padded.length + TAG_BYTES > maxBody)
    throw new MalformedInput(`${what} plaintext of ${plaintext.length} bytes is too large: split it`);
  // Random nonces: several offline devices write under the same key, so counters could collide. One
  // platform call: libsodium's randombytes_buf asks the platform for 32 bits at a time, through wasm.
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, headerBytes, null, nonce, keys.aead);
  const commit = commitment(keys.commit, nonce, ciphertext.subarray(ciphertext.length - TAG_BYTES), headerBytes);
  return concat(nonce, commit, ciphertext);
}

/** Checks the commitment, then decrypts and unpads. One key is ever tried: no trial decryption. */
export function openBody(
  keys: BodyKeys,
  headerBytes: Uint8Array,
  body: Uint8Array,
  scheme: PaddingScheme,
  what: string,
): Uint8Array {
  const nonce = body.subarray(0, NONCE_BYTES);
  const commit = body.subarray(NONCE_BYTES, NONCE_BYTES + COMMIT_BYTES);
  const ciphertext = body.subarray(NONCE_BYTES + COMMIT_BYTES);
  if (
    !bytesEqual(commitment(keys.commit, nonce, ciphertext.subarray(ciphertext.length - TAG_BYTES), headerBytes), commit)
  ) {
    throw new TamperedEnvelope(`${what} key commitment does not match: wrong key or altered ${what}`);
  }
  let padded: Uint8Array;
  try {
    padded = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, headerBytes, nonce, keys.aead);
  } catch {
    throw new TamperedEnvelope(`${what} does not decrypt: altered header or ciphertext`);
  }
  return unpad(padded, scheme);
}
