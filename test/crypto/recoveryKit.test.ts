// The recovery kit: round trip, wrong code, typos, and the server-side KDF downgrade (T16).
import { beforeAll, describe, expect, it } from "vitest";
import { concat, toHex, utf8 } from "../../shared/bytes.js";
import { MalformedInput, UnsupportedVersion, WeakKdfParameters, WrongSecret } from "../../shared/errors.js";
import {
  newRecoverySecret,
  parseRecoverySecret,
  unwrapWithRecoverySecret,
  wrapWithRecoverySecret,
  type RecoverySecret,
} from "../../crypto/recoveryKit.js";
import { KDF_FLOOR, checkKdfParams, deriveKey, newKdfParams } from "../../crypto/secretKdf.js";
import { loadSodium } from "../../crypto/sodium.js";
import { derivationsDuring, expectTyped, typedOrValue, withU32 } from "../shared/helpers.js";

const KEY_RING = utf8("key ring: roots, generations, pinned contacts");
// Blob layout: magic 4 ‖ version 1 ‖ alg 1 ‖ ops u32 ‖ mem u32 ‖ salt 16 ‖ nonce 24 ‖ ciphertext.
const OPS_AT = 6;
const MEM_AT = 10;
const SALT_AT = 14;
const NONCE_AT = 30;
const CIPHERTEXT_AT = 54;

let secret: RecoverySecret;
let blob: Uint8Array;

beforeAll(async () => {
  await loadSodium();
  secret = newRecoverySecret();
  blob = wrapWithRecoverySecret(KEY_RING, secret);
});

describe("recovery secret text", () => {
  it("is 36 Crockford base32 characters in groups of four, and parses back to the same bytes", () => {
    expect(secret.text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){8}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(secret.bytes).toHaveLength(20);
    const parsed = parseRecoverySecret(secret.text);
    expect(toHex(parsed.bytes)).toBe(toHex(secret.bytes));
    // Case, separators and the look-alikes I/L/O are forgiven.
    const sloppy = secret.text.toLowerCase().replace(/-/g, " ").replace(/1/g, "l").replace(/0/g, "o");
    expect(toHex(parseRecoverySecret(sloppy).bytes)).toBe(toHex(secret.bytes));
  });

  it("catches a one-character typo with its check bytes, before any slow derivation (MalformedInput)", () => {
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const chars = secret.text.replace(/-/g, "");
    let caught = 0;
    let same = 0;
    let collisions = 0;
    for (let i = 0; i < chars.length; i++) {
      for (const c of alphabet) {
        if (c === chars[i]) continue;
        const typo = chars.slice(0, i) + c + chars.slice(i + 1);
        const result = typedOrValue(() => parseRecoverySecret(typo));
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(MalformedInput);
          caught++;
        } else if (toHex(result.value.bytes) === toHex(secret.bytes)) {
          // The last character carries 1 data bit and 4 ignored bits: a change there only to the
          // ignored bits decodes to the very same secret, which is harmless.
          expect(i).toBe(chars.length - 1);
          same++;
        } else {
          // A 16-bit check collision: about 1 in 65,536 per typo, so ~1.7 % of random codes have one
          // among their 1,116 typos. Three or more would mean the check is broken (p < 1e-6).
          collisions++;
        }
      }
    }
    expect(caught).toBeGreaterThan(1000);
    expect(same).toBeLessThanOrEqual(15);
    expect(collisions).toBeLessThanOrEqual(2);
  });

  it("refuses codes of the wrong length or with foreign characters (MalformedInput)", () => {
    for (const bad of ["", secret.text.slice(0, -1), `${secret.text}0`, secret.text.replace(/^./, "U"), "!!!!"])
      expectTyped(() => parseRecoverySecret(bad), MalformedInput);
  });
});

describe("wrap and unwrap", () => {
  it("round-trips the key ring with the right code", () => {
    expect(toHex(unwrapWithRecoverySecret(blob, parseRecoverySecret(secret.text)))).toBe(toHex(KEY_RING));
    // The spy sees real derivations, so the "no derivation" assertions below can fail.
    expect(derivationsDuring(() => unwrapWithRecoverySecret(blob, secret))).toBe(1);
  });

  it("refuses a different valid code (WrongSecret)", () => {
    expectTyped(() => unwrapWithRecoverySecret(blob, newRecoverySecret()), WrongSecret);
  });

  it("refuses a server-side downgrade of the KDF parameters before deriving anything (WeakKdfParameters, T16)", () => {
    const downgrades = [
      withU32(withU32(blob, MEM_AT, 8 * 1024), OPS_AT, 1), // memLimit 8 KiB, 1 pass
      withU32(blob, OPS_AT, KDF_FLOOR.opsLimit - 1),
      withU32(blob, MEM_AT, KDF_FLOOR.memLimit - 1),
      withU32(blob, MEM_AT, 0xffffffff), // and a ceiling: a file cannot make the device allocate 4 GiB
      withU32(blob, OPS_AT, 1_000_000),
    ];
    const unknownAlgorithm = blob.slice();
    unknownAlgorithm[5] = 1; // Argon2i13
    downgrades.push(unknownAlgorithm);
    for (const doctored of downgrades) {
      const started = performance.now();
      expect(
        derivationsDuring(() => expectTyped(() => unwrapWithRecoverySecret(doctored, secret), WeakKdfParameters)),
      ).toBe(0);
      expect(performance.now() - started).toBeLessThan(50);
    }
  });

  it("refuses to wrap with, or derive under, parameters below the floor", () => {
    expectTyped(() => newKdfParams(1, 8 * 1024), WeakKdfParameters);
    const weak = { ...newKdfParams(), opsLimit: 2 };
    expectTyped(() => wrapWithRecoverySecret(KEY_RING, secret, weak), WeakKdfParameters);
    expectTyped(() => deriveKey(secret.bytes, weak), WeakKdfParameters);
    expectTyped(() => checkKdfParams({ ...weak, opsLimit: 3, memLimit: 1024 }), WeakKdfParameters);
  });

  it("binds the parameters, salt and nonce as associated data: any change, even upward, fails (WrongSecret)", () => {
    const tampered = [
      withU32(blob, OPS_AT, KDF_FLOOR.opsLimit + 1), // stronger, still refused
      (() => {
        const b = blob.slice();
        b[SALT_AT]! ^= 1;
        return b;
      })(),
      (() => {
        const b = blob.slice();
        b[NONCE_AT]! ^= 1;
        return b;
      })(),
      (() => {
        const b = blob.slice();
        b[CIPHERTEXT_AT]! ^= 1;
        return b;
      })(),
    ];
    for (const doctored of tampered) expectTyped(() => unwrapWithRecoverySecret(doctored, secret), WrongSecret);
  });

  it("refuses garbage, truncated and foreign-version blobs with typed errors and no derivation", () => {
    const bad = [
      new Uint8Array(0),
      utf8("STWR"),
      blob.slice(0, CIPHERTEXT_AT + 15),
      concat(utf8("STWX"), blob.slice(4)),
    ];
    for (const b of bad)
      expect(derivationsDuring(() => expectTyped(() => unwrapWithRecoverySecret(b, secret), MalformedInput))).toBe(0);
    const v2 = blob.slice();
    v2[4] = 2;
    expectTyped(() => unwrapWithRecoverySecret(v2, secret), UnsupportedVersion);
  });
});
