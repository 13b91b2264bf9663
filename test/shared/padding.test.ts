// Padding buckets (T26): the length of a ciphertext says only which bucket its plaintext fell in.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { MalformedInput, TamperedEnvelope } from "../../shared/errors.js";
import { isBucketSize, pad, paddedLength, unpad } from "../../shared/padding.js";
import { loadSodium } from "../../shared/sodium.js";
import { expectTyped, typedOrValue } from "./helpers.js";

beforeAll(async () => {
  await loadSodium();
});

describe("buckets", () => {
  it("are 256-byte steps up to 4 KiB, then powers of two, always with at least one byte of padding", () => {
    expect([0, 1, 255, 256, 511, 4095, 4096, 8191, 8192, 100_000].map(paddedLength)).toEqual([256, 256, 256, 512, 512, 4096, 8192, 8192, 16384, 131072]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), (n) => {
        const p = paddedLength(n);
        expect(p).toBeGreaterThan(n);
        expect(isBucketSize(p)).toBe(true);
        expect(p <= 4096 ? p % 256 === 0 : Number.isInteger(Math.log2(p))).toBe(true);
        // Never more than double (a bounded cost for the privacy gained).
        expect(p).toBeLessThanOrEqual(Math.max(256, 2 * (n + 1)));
        // Monotone: a longer plaintext never lands in a smaller bucket.
        expect(paddedLength(n + 1)).toBeGreaterThanOrEqual(p);
      }),
      { numRuns: 2000 },
    );
  });

  it("pads to the bucket and unpads back, for any plaintext", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (bytes) => {
        const padded = pad(bytes);
        expect(padded.length).toBe(paddedLength(bytes.length));
        expect(unpad(padded)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses non-bucket lengths (MalformedInput) and invalid padding (TamperedEnvelope)", () => {
    expectTyped(() => unpad(new Uint8Array(300)), MalformedInput);
    expectTyped(() => unpad(new Uint8Array(0)), MalformedInput);
    expectTyped(() => unpad(new Uint8Array(256)), TamperedEnvelope); // all zeros: no 0x80 marker
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), (bytes) => {
        const r = typedOrValue(() => unpad(bytes));
        if (!r.ok) expect(r.error).toBeInstanceOf(TamperedEnvelope);
      }),
    );
  });
});
