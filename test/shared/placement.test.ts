// Placement: an EU account's id carries the marker byte 0xE5 and its signed bundle (v2) says "eu";
// a default account's never does. Anyone holding only the id knows where the data lives.
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, verifyKeyBundle } from "../../crypto/accountKeys.js";
import { concat, utf8 } from "../../shared/bytes.js";
import { MalformedInput } from "../../shared/errors.js";
import {
  accountIdHex,
  accountIdOf,
  bundlePlacement,
  decodeKeyBundle,
  encodeKeyBundle,
  KEY_BUNDLE_BYTES,
} from "../../shared/keyBundle.js";
import { checkPlacement, placementOfHexId, placementOfId } from "../../shared/placement.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { expectTyped } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

describe("placement", () => {
  it("makes EU accounts whose id starts with e5 and whose self-signed bundle states the EU", () => {
    for (let i = 0; i < 5; i++) {
      const keys = createAccountKeys(Date.now(), "eu");
      const id = accountIdHex(keys.signKey);
      expect(id.startsWith("e5")).toBe(true);
      expect(placementOfHexId(id)).toBe("eu");
      const bytes = encodeKeyBundle(keys.bundle);
      expect(bytes).toHaveLength(KEY_BUNDLE_BYTES + 1);
      expect([bytes[4], bytes[77]]).toEqual([2, 1]);
      // The placement byte is inside the signed body.
      expect(
        sodium().crypto_sign_verify_detached(
          bytes.subarray(78),
          concat(utf8("steward/key-bundle/v1"), Uint8Array.of(0), bytes.subarray(0, 78)),
          keys.signKey,
        ),
      ).toBe(true);
      expect(bundlePlacement(verifyKeyBundle(decodeKeyBundle(bytes)))).toBe("eu");
    }
  });

  it("never gives a default account the EU marker", () => {
    for (let i = 0; i < 300; i++) {
      const keys = createAccountKeys();
      expect(placementOfId(accountIdOf(keys.signKey))).toBe("default");
      expect(encodeKeyBundle(keys.bundle)[4]).toBe(1);
    }
  });

  it("refuses a bundle whose stated placement is unknown, and unknown placements from a caller", () => {
    const bytes = encodeKeyBundle(createAccountKeys(Date.now(), "eu").bundle);
    bytes[77] = 7;
    expectTyped(() => decodeKeyBundle(bytes), MalformedInput);
    expectTyped(() => checkPlacement("mars"), MalformedInput);
    expect(checkPlacement("eu")).toBe("eu");
  });
});
