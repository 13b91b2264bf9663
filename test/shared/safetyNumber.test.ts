// Safety numbers: what two people compare to verify each other's identity keys out of band (T1, T2).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { accountIdOf } from "../../shared/keyBundle.js";
import { safetyNumber } from "../../shared/safetyNumber.js";
import { loadSodium } from "../../crypto/sodium.js";
import { fixedAccount, flipBit } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

/** The documented algorithm, re-implemented on node:crypto as an independent check. */
function referenceHalf(key: Uint8Array): string {
  let hash = createHash("sha512").update(Uint8Array.of(0, 0)).update(key).update(accountIdOf(key)).update(key).digest();
  for (let i = 1; i < 5200; i++) hash = createHash("sha512").update(hash).update(key).digest();
  let digits = "";
  for (let c = 0; c < 6; c++) digits += String(Number(hash.readUIntBE(c * 5, 5) % 100000)).padStart(5, "0");
  return digits;
}

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("safety number", () => {
  it("is 60 digits in 12 groups of five, the same for both people", () => {
    const a = fixedAccount(1, 2).signKey;
    const b = fixedAccount(3, 4).signKey;
    const n = safetyNumber(a, b);
    expect(n).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(safetyNumber(b, a)).toBe(n);
  });

  it("matches the documented construction (5200 SHA-512 iterations per key, halves sorted)", () => {
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const halves = [referenceHalf(a), referenceHalf(b)].sort().join("");
        expect(safetyNumber(a, b).replace(/ /g, "")).toBe(halves);
      }),
      { numRuns: 5 },
    );
  });

  it("changes when either key changes by a single bit (a substituted key is visible)", () => {
    fc.assert(
      fc.property(key32, key32, fc.integer({ min: 0, max: 255 }), fc.boolean(), (a, b, bit, first) => {
        const before = safetyNumber(a, b);
        const after = first ? safetyNumber(flipBit(a, bit), b) : safetyNumber(a, flipBit(b, bit));
        expect(after).not.toBe(before);
      }),
      { numRuns: 10 },
    );
  });
});
