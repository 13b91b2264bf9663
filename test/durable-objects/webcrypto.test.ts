import { describe, expect, it } from "vitest";
import { concat, fromHex } from "../../shared/bytes.js";
import { Ed25519KeyCache, verifyEd25519 } from "../../durable-objects/webcrypto.js";
import { newIdentity, randomBytes, signWith } from "../helpers/webcryptoFixtures.js";

describe("Ed25519 verification with cached keys", () => {
  it("accepts each signature only under its own key, for more keys than the cache holds, twice over", async () => {
    const keys = new Ed25519KeyCache(4);
    const message = randomBytes(64);
    const signers = await Promise.all(Array.from({ length: 6 }, () => newIdentity()));
    const signatures = await Promise.all(signers.map((s) => signWith(s.privateKey, message)));
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, signer] of signers.entries()) {
        expect(await verifyEd25519(signer.signKey, signatures[i]!, message, keys)).toBe(true);
        expect(await verifyEd25519(signer.signKey, signatures[(i + 1) % signers.length]!, message, keys)).toBe(false);
        expect(await verifyEd25519(signer.signKey, signatures[i]!, randomBytes(64), keys)).toBe(false);
      }
    }
  });

  it("refuses a small-order key's zero signature, cached or not", async () => {
    const keys = new Ed25519KeyCache();
    const smallOrder = fromHex("0100000000000000000000000000000000000000000000000000000000000000", 32);
    const zeroSignature = concat(smallOrder, new Uint8Array(32)); // R = identity, S = 0
    const message = randomBytes(32);
    expect(await verifyEd25519(smallOrder, zeroSignature, message)).toBe(false);
    expect(await verifyEd25519(smallOrder, zeroSignature, message, keys)).toBe(false);
    expect(await verifyEd25519(smallOrder, zeroSignature, message, keys)).toBe(false);
  });
});
