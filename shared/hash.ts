// Hashes that both sides compute: the server (workerd, no libsodium) and clients must agree
// byte for byte on envelope body hashes, chain links, account ids and access-log links.
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { concat, utf8 } from "./bytes.js";

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return nobleSha256(parts.length === 1 ? parts[0]! : concat(...parts));
}

export function sha512(...parts: Uint8Array[]): Uint8Array {
  return nobleSha512(parts.length === 1 ? parts[0]! : concat(...parts));
}

/** A hash with a purpose label first, so hashes made for different jobs never collide. */
export function labelledHash(label: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(utf8(label), new Uint8Array([0]), ...parts);
}
