// Key bundles and account ids: what the directory serves and what a safety number vouches for (T1, T2, T19).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, sign, verify, verifyKeyBundle } from "../../crypto/accountKeys.js";
import { concat, toHex, utf8 } from "../../shared/bytes.js";
import { InvalidSignature, MalformedInput, UnsupportedVersion } from "../../shared/errors.js";
import {
  KEY_BUNDLE_BYTES,
  accountIdHex,
  accountIdOf,
  decodeKeyBundle,
  encodeKeyBundle,
} from "../../shared/keyBundle.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { expectTyped, fixedAccount, flipBit } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

describe("key bundle", () => {
  it("encodes to 141 bytes: magic, version, identity key, encryption key, createdAt, self-signature", () => {
    const a = fixedAccount(1, 2, 1_767_225_600_000);
    const bytes = encodeKeyBundle(a.bundle);
    expect(bytes).toHaveLength(KEY_BUNDLE_BYTES);
    expect(KEY_BUNDLE_BYTES).toBe(141);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("STWK");
    expect(bytes[4]).toBe(1);
    expect(toHex(bytes.subarray(5, 37))).toBe(toHex(a.signKey));
    expect(toHex(bytes.subarray(37, 69))).toBe(toHex(a.boxKey));
    expect(new DataView(bytes.buffer).getBigUint64(69)).toBe(1_767_225_600_000n);
    // The self-signature covers context ‖ body, checked here with a plain detached verify.
    expect(
      sodium().crypto_sign_verify_detached(
        bytes.subarray(77),
        concat(utf8("steward/key-bundle/v1"), Uint8Array.of(0), bytes.subarray(0, 77)),
        a.signKey,
      ),
    ).toBe(true);
    expect(verifyKeyBundle(decodeKeyBundle(bytes))).toEqual(a.bundle);
  });

  it("refuses any single-bit change with a typed error (the directory cannot swap the encryption key)", () => {
    const bytes = encodeKeyBundle(fixedAccount(1, 2).bundle);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      expectTyped(
        () => verifyKeyBundle(decodeKeyBundle(flipBit(bytes, bit))),
        MalformedInput,
        UnsupportedVersion,
        InvalidSignature,
      );
    }
    const a = fixedAccount(1, 2);
    const b = fixedAccount(3, 4);
    expectTyped(() => verifyKeyBundle({ ...a.bundle, boxKey: b.boxKey }), InvalidSignature);
    expectTyped(() => verifyKeyBundle({ ...b.bundle, signKey: a.signKey }), InvalidSignature);
  });

  it("keeps one key per purpose: the encryption key is not the identity key converted to X25519", () => {
    const a = createAccountKeys();
    expect(toHex(a.boxKey)).not.toBe(toHex(sodium().crypto_sign_ed25519_pk_to_curve25519(a.signKey)));
    verifyKeyBundle(a.bundle);
  });

  it("verify() answers a wrong-length signature or key with InvalidSignature, not an untyped error", () => {
    const a = fixedAccount(1, 2);
    const sig = sign("login", a.signSecretKey, utf8("challenge"));
    verify("login", sig, a.signKey, "login", utf8("challenge"));
    expectTyped(() => verify("login", sig.subarray(0, 63), a.signKey, "login", utf8("challenge")), InvalidSignature);
    expectTyped(() => verify("login", sig, a.signKey.subarray(0, 31), "login", utf8("challenge")), InvalidSignature);
    expectTyped(() => verify("login", sig, a.signKey, "login", utf8("challengf")), InvalidSignature);
  });
});

describe("account id", () => {
  it('is the first 16 bytes of SHA-256("steward/account-id/v1" ‖ 0x00 ‖ identity key) (checked with node:crypto)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const expected = createHash("sha256")
          .update("steward/account-id/v1")
          .update(Uint8Array.of(0))
          .update(key)
          .digest()
          .subarray(0, 16);
        expect(toHex(accountIdOf(key))).toBe(expected.toString("hex"));
        expect(accountIdHex(key)).toBe(expected.toString("hex"));
      }),
      { numRuns: 100 },
    );
  });
});
