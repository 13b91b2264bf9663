// Ed25519 public keys of small order (the identity, points of order 2, 4 and 8, and their
// non-canonical encodings). Under such a key a signature with R = identity and S = 0 verifies for
// every message, and WebCrypto accepts it; libsodium refuses these keys, so the server must too.
// The list is libsodium's (ge25519_has_small_order); comparison ignores the sign bit, as there.
import { fromHex } from "./bytes.js";

const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => fromHex(hex, 32));

export function hasSmallOrder(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  return SMALL_ORDER.some((point) => {
    let diff = (publicKey[31]! & 0x7f) ^ point[31]!;
    for (let i = 0; i < 31; i++) diff |= publicKey[i]! ^ point[i]!;
    return diff === 0;
  });
}
