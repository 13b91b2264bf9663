import { describe, expect, it } from "vitest";
import { concat, fromHex, toBase64Url } from "../../shared/bytes.js";
import { keyBundleBody } from "../../shared/keyBundle.js";
import { errorOf, postJson } from "../helpers/api.js";
import { randomBytes } from "../helpers/webcryptoFixtures.js";

describe("weak identity keys", () => {
  it("refuses to register a small-order identity key whose zero signature WebCrypto would accept", async () => {
    const signKey = fromHex("0100000000000000000000000000000000000000000000000000000000000000", 32);
    const zeroSignature = concat(signKey, new Uint8Array(32)); // R = identity, S = 0
    const bundle = concat(keyBundleBody({ signKey, boxKey: randomBytes(32), createdAt: Date.now() }), zeroSignature);
    const res = await postJson("/v1/accounts", { bundle: toBase64Url(bundle), handle: "weak-key" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/small-order/);
  });
});
