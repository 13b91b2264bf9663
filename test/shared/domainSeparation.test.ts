// T20: a signature made for one purpose never verifies as another. Every signed message starts with
// its context string and a zero byte; contexts contain no zero byte, so no context's message can
// be parsed as another's.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sign, verify } from "../../crypto/accountKeys.js";
import { concat, utf8 } from "../../shared/bytes.js";
import { encodeEnvelope } from "../../shared/envelopeCodec.js";
import { sealEnvelope } from "../../crypto/envelope.js";
import { InvalidSignature } from "../../shared/errors.js";
import { grantPolicySignedBytes } from "../../shared/grantCodec.js";
import { keyBundleSignedBytes } from "../../shared/keyBundle.js";
import { KeyTreeReader, ROOT } from "../../crypto/keyTree.js";
import { SIGNATURE_CONTEXTS, signedMessage, type SignatureContext } from "../../shared/signing.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { bytesOf, expectTyped, fixedAccount, seed } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

const contexts = Object.keys(SIGNATURE_CONTEXTS) as SignatureContext[];

describe("signature contexts", () => {
  it("are distinct, ASCII, without zero bytes, so signed messages are prefix-free", () => {
    const values = Object.values(SIGNATURE_CONTEXTS);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toMatch(/^steward\/[a-z-]+\/v\d+$/);
    expect([...signedMessage("envelope", Uint8Array.of(9))]).toEqual([...utf8("steward/envelope/v1"), 0, 9]);
  });

  it("make a signature under one context fail under every other, for the same payload", () => {
    const a = fixedAccount(1, 2);
    fc.assert(
      fc.property(
        fc.constantFrom(...contexts),
        fc.constantFrom(...contexts),
        fc.uint8Array({ maxLength: 200 }),
        (c1, c2, payload) => {
          const sig = sign(c1, a.signSecretKey, payload);
          if (c1 === c2) verify(c2, sig, a.signKey, "same", payload);
          else expectTyped(() => verify(c2, sig, a.signKey, "cross", payload), InvalidSignature);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keep a real envelope signature from verifying as a grant policy, grant, key bundle or login signature", () => {
    const author = fixedAccount(1, 2);
    const env = sealEnvelope({
      header: {
        kind: "update",
        patientId: bytesOf(16, 1),
        scopeTag: bytesOf(16, 2),
        generation: 1,
        hour: 5,
        envelopeId: bytesOf(16, 3),
        authorKey: author.signKey,
        deviceId: bytesOf(16, 4),
        seq: 1,
        prevHash: bytesOf(32, 0),
      },
      plaintext: utf8("x"),
      leaf: new KeyTreeReader([{ node: ROOT, key: seed(3) }]).leaf(5),
      authorSecretKey: author.signSecretKey,
    });
    // The bytes after the envelope context: header ‖ seal, exactly as they sit on the wire.
    const payload = encodeEnvelope(env).subarray(0, 150 + 36);
    const v = (message: Uint8Array) => sodium().crypto_sign_verify_detached(env.signature, message, author.signKey);
    expect(v(signedMessage("envelope", payload))).toBe(true);
    expect(v(grantPolicySignedBytes(payload))).toBe(false);
    expect(v(signedMessage("grant", payload))).toBe(false);
    expect(v(concat(utf8("steward/key-bundle/v1"), Uint8Array.of(0), payload))).toBe(false);
    expect(v(signedMessage("login", payload))).toBe(false);
    expect(v(payload)).toBe(false); // nor as a bare, context-free signature
    // And the other way round: a key bundle's self-signature is not an envelope signature.
    const bundleBody = keyBundleSignedBytes(author.bundle).subarray(utf8("steward/key-bundle/v1").length + 1);
    expect(
      sodium().crypto_sign_verify_detached(
        author.bundle.signature,
        signedMessage("envelope", bundleBody),
        author.signKey,
      ),
    ).toBe(false);
  });
});
