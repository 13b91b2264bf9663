// Ed25519 verification with WebCrypto: libsodium cannot run in workerd, and WebCrypto's Ed25519 is
// byte-compatible with libsodium's detached signatures. Small-order keys are refused first: WebCrypto
// accepts signatures under them that libsodium (and so every client) rejects.
import { toHex } from "../shared/bytes.js";
import { hasSmallOrder } from "../shared/smallOrder.js";

/** WebCrypto wants ArrayBuffer-backed views; shared codecs hand out Uint8Array<ArrayBufferLike>. */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** Resolves to null for a public key that is not a valid curve point: it verifies nothing. */
function importEd25519(publicKey: Uint8Array): Promise<CryptoKey | null> {
  return crypto.subtle
    .importKey("raw", bufferSource(publicKey), { name: "Ed25519" }, false, ["verify"])
    .catch(() => null);
}

/**
 * Imported public keys kept by one object, so a batch of envelopes by one author imports its key
 * once. Bounded, least recently used out first: a patient log sees the patient's key and a few
 * grantees'.
 */
export class Ed25519KeyCache {
  private readonly keys = new Map<string, Promise<CryptoKey | null>>();

  constructor(private readonly capacity = 16) {}

  get(publicKey: Uint8Array): Promise<CryptoKey | null> {
    const id = toHex(publicKey);
    const key = this.keys.get(id) ?? importEd25519(publicKey);
    // Re-inserting moves the key to the end of the Map's order, so the first one is the least recent.
    this.keys.delete(id);
    this.keys.set(id, key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
    return key;
  }
}

export async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
  keys?: Ed25519KeyCache,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64 || hasSmallOrder(publicKey)) return false;
  const key = await (keys ? keys.get(publicKey) : importEd25519(publicKey));
  if (!key) return false;
  try {
    return await crypto.subtle.verify("Ed25519", key, bufferSource(signature), bufferSource(message));
  } catch {
    return false;
  }
}
