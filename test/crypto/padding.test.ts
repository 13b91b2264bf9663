// Padding buckets (T26): the length of a ciphertext says only which bucket its plaintext fell in.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { MalformedInput, TamperedEnvelope } from "../../shared/errors.js";
import { isBucketSize, pad, paddedLength, unpad } from "../../crypto/padding.js";
import { loadSodium } from "../../crypto/sodium.js";
import { expectTyped, typedOrValue } from "../shared/helpers.js";

beforeAll(async () => {
  await loadSodium();
});

describe("buckets", () => {
  it("are 256-byte steps up to 4 KiB, then Padmé (at most 12 % over), always with at least one byte of padding", () => {
    expect([0, 1, 255, 256, 511, 4095, 4096, 8191, 8192, 100_000, 400_000].map((n) => paddedLength(n))).toEqual([
      256, 256, 256, 512, 512, 4096, 4352, 8192, 8704, 100352, 401408,
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), (n) => {
        const p = paddedLength(n);
        expect(p).toBeGreaterThan(n);
        expect(isBucketSize(p)).toBe(true);
        if (p <= 4096) expect(p % 256).toBe(0);
        // Padmé keeps only the top ⌊log2 ⌊log2 n⌋⌋ + 1 bits: at most 12 % of overhead past 4 KiB.
        else expect(p / (n + 1)).toBeLessThanOrEqual(1.125);
        // Monotone: a longer plaintext never lands in a smaller bucket.
        expect(paddedLength(n + 1)).toBeGreaterThanOrEqual(p);
      }),
      { numRuns: 2000 },
    );
  });

  it("leave few sizes to tell apart: about 2·log2(n) buckets between n and 2n past 4 KiB", () => {
    const buckets = new Set(Array.from({ length: 1 << 17 }, (_, i) => paddedLength((1 << 17) + i)));
    expect(buckets.size).toBeLessThanOrEqual(64);
  });

  it("of v1 (powers of two past 4 KiB) still read v1 envelopes", () => {
    expect([4096, 8191, 100_000].map((n) => paddedLength(n, "v1"))).toEqual([8192, 8192, 131072]);
    expect(isBucketSize(8192, "v1")).toBe(true);
    expect(isBucketSize(8704, "v1")).toBe(false);
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
