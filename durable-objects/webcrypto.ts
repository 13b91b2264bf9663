// Ed25519 verification with WebCrypto: libsodium cannot run in workerd, and WebCrypto's Ed25519 is
// byte-compatible with libsodium's detached signatures. Small-order keys are refused first: WebCrypto
// accepts signatures under them that libsodium (and so every client) rejects.
import { hasSmallOrder } from "../shared/smallOrder.js";

/** WebCrypto wants ArrayBuffer-backed views; shared codecs hand out Uint8Array<ArrayBufferLike>. */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

export async function verifyEd25519(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64 || hasSmallOrder(publicKey)) return false;
  try {
    const key = await crypto.subtle.importKey("raw", bufferSource(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify("Ed25519", key, bufferSource(signature), bufferSource(message));
  } catch {
    // A public key that is not a valid curve point fails to import: it verifies nothing.
    return false;
  }
}

