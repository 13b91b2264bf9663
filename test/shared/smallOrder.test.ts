import { beforeAll, describe, expect, it } from "vitest";
import { fromHex } from "../../shared/bytes.js";
import { hasSmallOrder } from "../../shared/smallOrder.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";

describe("small-order Ed25519 keys", () => {
  beforeAll(loadSodium);

  it("flags the identity, its non-canonical forms and the order-8 points, with either sign bit", () => {
    for (const hex of [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000080",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    ]) {
      expect(hasSmallOrder(fromHex(hex, 32))).toBe(true);
    }
  });

  it("agrees with libsodium: real keys pass, and every flagged encoding is one libsodium refuses to verify under", () => {
    for (let i = 0; i < 50; i++) expect(hasSmallOrder(sodium().crypto_sign_keypair().publicKey)).toBe(false);
    for (const key of SMALL_ORDER_ENCODINGS) {
      expect(hasSmallOrder(key)).toBe(true);
      const zeroSig = new Uint8Array(64);
      zeroSig[0] = 1; // R = identity, S = 0
      expect(sodium().crypto_sign_verify_detached(zeroSig, new Uint8Array([1]), key)).toBe(false);
    }
  });
});

const SMALL_ORDER_ENCODINGS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].flatMap((hex) => {
  const key = fromHex(hex, 32);
  const flipped = key.slice();
  flipped[31]! ^= 0x80;
  return [key, flipped];
});
