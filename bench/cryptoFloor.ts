// Scenario 5: how fast libsodium's primitives run here, and what one envelope costs to open in
// full (hash the body, verify the signature, derive the leaf key, check the commitment, decrypt),
// so the 90-day open can be compared with the crypto it cannot avoid.
import { createAccountKeys } from "../crypto/accountKeys.js";
import { openEnvelope } from "../crypto/envelope.js";
import { decodeEnvelope } from "../shared/envelopeCodec.js";
import { sha256 } from "../shared/hash.js";
import { sodium } from "../crypto/sodium.js";
import type { HourEnvelope } from "./byteAnatomy.js";
import { medianTime } from "./stats.js";

export interface CryptoFloor {
  /** XChaCha20-Poly1305 decryption of 64 KiB messages, MB/s. */
  readonly aeadMBps: number;
  /** Decryptions per second of a 2.5 KiB message (one hour of CGM readings, padded). */
  readonly aeadSmallPerSec: number;
  readonly ed25519VerifyPerSec: number;
  /** WebCrypto importKey + Ed25519 verify, as the server does for every pushed envelope (Node's WebCrypto standing in for workerd's). */
  readonly webCryptoVerifyPerSec: number;
  /** SHA-256 of envelope bodies with @noble/hashes (clients and server hash every body), MB/s. */
  readonly sha256MBps: number;
  /** Bytes of the real glucose envelope opened below (an hour of readings). */
  readonly envelopeBytes: number;
  /** One envelope opened in full, as ingest does it, in microseconds. */
  readonly envelopeOpenUs: number;
}

function perSecond(ms: number, ops: number): number {
  return (ops * 1000) / ms;
}

export async function cryptoFloor(sample: HourEnvelope, iterations: number): Promise<CryptoFloor> {
  const s = sodium();
  const key = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const nonce = s.randombytes_buf(24);
  const ad = s.randombytes_buf(150);
  const big = s.crypto_aead_xchacha20poly1305_ietf_encrypt(s.randombytes_buf(65_536), ad, null, nonce, key);
  const small = s.crypto_aead_xchacha20poly1305_ietf_encrypt(s.randombytes_buf(2_560), ad, null, nonce, key);
  const bigMs = await medianTime(5, () => {
    for (let i = 0; i < iterations / 10; i++) s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, big, ad, nonce, key);
  });
  const smallMs = await medianTime(5, () => {
    for (let i = 0; i < iterations; i++) s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, small, ad, nonce, key);
  });
  const signer = createAccountKeys();
  const message = s.randombytes_buf(200);
  const signature = s.crypto_sign_detached(message, signer.signSecretKey);
  const verifyMs = await medianTime(5, () => {
    for (let i = 0; i < iterations; i++) s.crypto_sign_verify_detached(signature, message, signer.signKey);
  });

  const [publicKey, webSignature, webMessage] = [signer.signKey, signature, message].map((b) => new Uint8Array(b)) as [
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
  ];
  const webCryptoMs = await medianTime(5, async () => {
    for (let i = 0; i < iterations / 10; i++) {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      await crypto.subtle.verify("Ed25519", key, webSignature, webMessage);
    }
  });
  const { bytes, keys, hour } = sample;
  const hashMs = await medianTime(5, () => {
    for (let i = 0; i < iterations; i++) sha256(bytes);
  });
  const openMs = await medianTime(5, () => {
    for (let i = 0; i < iterations; i++) openEnvelope(decodeEnvelope(bytes), keys.leaf("glucose", 1, hour));
  });
  return {
    aeadMBps: (65_536 * (iterations / 10)) / 1e6 / (bigMs / 1000),
    aeadSmallPerSec: perSecond(smallMs, iterations),
    ed25519VerifyPerSec: perSecond(verifyMs, iterations),
    webCryptoVerifyPerSec: perSecond(webCryptoMs, iterations / 10),
    sha256MBps: (bytes.length * iterations) / 1e6 / (hashMs / 1000),
    envelopeBytes: bytes.length,
    envelopeOpenUs: (openMs * 1000) / iterations,
  };
}
