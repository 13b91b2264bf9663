// Sealing and opening envelopes (clients only: libsodium). See envelopeCodec.ts for the layout.
import { bytesEqual, concat } from "./bytes.js";
import {
  COMMIT_BYTES,
  ENVELOPE_VERSION,
  MAX_BODY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  encodeHeader,
  envelopeSignedBytes,
  type Envelope,
  type EnvelopeHeader,
} from "./envelopeCodec.js";
import { InvalidSignature, MalformedInput, TamperedEnvelope } from "./errors.js";
import { sha256 } from "./hash.js";
import { epochKeys } from "./keyTree.js";
import { pad, unpad } from "./padding.js";
import { sodium } from "./sodium.js";

export interface SealInput {
  readonly header: Omit<EnvelopeHeader, "version">;
  readonly plaintext: Uint8Array;
  /** Leaf key of (scope, generation, hour) named in the header. */
  readonly leaf: Uint8Array;
  /** Ed25519 secret key matching header.authorKey. */
  readonly authorSecretKey: Uint8Array;
}

function commitment(commitKey: Uint8Array, nonce: Uint8Array, tag: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(COMMIT_BYTES, concat(nonce, tag, headerBytes), commitKey);
}

export function sealEnvelope(input: SealInput): Envelope {
  const s = sodium();
  const header: EnvelopeHeader = { ...input.header, version: ENVELOPE_VERSION };
  const headerBytes = encodeHeader(header);
  const keys = epochKeys(input.leaf);
  const padded = pad(input.plaintext);
  // Refuse here what decodeEnvelope would refuse later: a body over MAX_BODY_BYTES never syncs.
  if (NONCE_BYTES + COMMIT_BYTES + padded.length + TAG_BYTES > MAX_BODY_BYTES) {
    s.memzero(keys.aead);
    s.memzero(keys.commit);
    throw new MalformedInput(`envelope plaintext of ${input.plaintext.length} bytes is too large: split the update`);
  }
  // Random nonces: several offline devices write under the same leaf, so counters could collide.
  const nonce = s.randombytes_buf(NONCE_BYTES);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, headerBytes, null, nonce, keys.aead);
  const commit = commitment(keys.commit, nonce, ciphertext.subarray(ciphertext.length - TAG_BYTES), headerBytes);
  const body = concat(nonce, commit, ciphertext);
  const bodyHash = sha256(body);
  const signature = s.crypto_sign_detached(envelopeSignedBytes(headerBytes, body.length, bodyHash), input.authorSecretKey);
  s.memzero(keys.aead);
  s.memzero(keys.commit);
  return { header, headerBytes, body, bodyHash, signature };
}

/** Checks the author's signature over header and body; who may author is the caller's policy. */
export function verifyEnvelopeSignature(envelope: Envelope): void {
  const signed = envelopeSignedBytes(envelope.headerBytes, envelope.body.length, envelope.bodyHash);
  if (!sodium().crypto_sign_verify_detached(envelope.signature, signed, envelope.header.authorKey)) {
    throw new InvalidSignature("envelope signature does not verify under its author key");
  }
}

/**
 * Verifies the signature, then the key commitment, then decrypts. One key, picked from the
 * authenticated header, is ever tried: no trial decryption across keys (partitioning oracles).
 */
export function openEnvelope(envelope: Envelope, leaf: Uint8Array): Uint8Array {
  verifyEnvelopeSignature(envelope);
  const s = sodium();
  const { body, headerBytes } = envelope;
  const nonce = body.subarray(0, NONCE_BYTES);
  const commit = body.subarray(NONCE_BYTES, NONCE_BYTES + COMMIT_BYTES);
  const ciphertext = body.subarray(NONCE_BYTES + COMMIT_BYTES);
  const keys = epochKeys(leaf);
  try {
    if (!bytesEqual(commitment(keys.commit, nonce, ciphertext.subarray(ciphertext.length - TAG_BYTES), headerBytes), commit)) {
      throw new TamperedEnvelope("envelope key commitment does not match: wrong key or altered envelope");
    }
    let padded: Uint8Array;
    try {
      padded = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, headerBytes, nonce, keys.aead);
    } catch {
      throw new TamperedEnvelope("envelope does not decrypt: altered header or ciphertext");
    }
    return unpad(padded);
  } finally {
    s.memzero(keys.aead);
    s.memzero(keys.commit);
  }
}
