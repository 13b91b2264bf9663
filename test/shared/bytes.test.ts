// The byte codecs every wire format is built on; Node's Buffer is the independent oracle.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ByteReader,
  ByteWriter,
  bytesEqual,
  concat,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase64Url,
  toHex,
} from "../../shared/bytes.js";
import { MalformedInput } from "../../shared/errors.js";
import { expectTyped, typedOrValue } from "./helpers.js";

describe("hex and base64url", () => {
  it("round-trip and agree with Node's Buffer encodings", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes).toUpperCase())).toEqual(bytes);
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("decode any string to the canonical value or a MalformedInput, never anything else", () => {
    const alphabet = fc.constantFrom(..."ABCXYZabcxyz0189-_+/=. \u00e9\u0000".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet })), (text) => {
        const b64 = typedOrValue(() => fromBase64Url(text));
        if (b64.ok)
          expect(toBase64Url(b64.value)).toBe(text); // only canonical encodings are accepted
        else expect(b64.error).toBeInstanceOf(MalformedInput);
        const hex = typedOrValue(() => fromHex(text));
        if (hex.ok) expect(toHex(hex.value)).toBe(text.toLowerCase());
        else expect(hex.error).toBeInstanceOf(MalformedInput);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse non-canonical base64url, padding, odd hex and wrong lengths", () => {
    for (const bad of ["A", "AB=", "AB+", "AB/", "AR", "AAB", "A A"])
      expectTyped(() => fromBase64Url(bad), MalformedInput);
    expect(fromBase64Url("AQ")).toEqual(Uint8Array.of(1));
    for (const bad of ["0", "0g", "0x00", " 00"]) expectTyped(() => fromHex(bad), MalformedInput);
    expectTyped(() => fromHex("0011", 3), MalformedInput);
    expectTyped(() => fromBase64Url("AAAA", "id", 2), MalformedInput);
  });

  it("refuses invalid UTF-8 as MalformedInput", () => {
    expectTyped(() => fromUtf8(Uint8Array.of(0xc3, 0x28)), MalformedInput);
    expect(fromUtf8(Uint8Array.of(0xc3, 0xa9))).toBe("é");
  });

  it("compares bytes by content and length", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
  });
});

describe("ByteWriter and ByteReader", () => {
  type Field =
    | { t: "u8"; v: number }
    | { t: "u16"; v: number }
    | { t: "u32"; v: number }
    | { t: "u64"; v: number }
    | { t: "fixed"; v: Uint8Array }
    | { t: "bytes"; v: Uint8Array };
  const field: fc.Arbitrary<Field> = fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((v) => ({ t: "u8" as const, v })),
    fc.integer({ min: 0, max: 0xffff }).map((v) => ({ t: "u16" as const, v })),
    fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ t: "u32" as const, v })),
    fc.maxSafeNat().map((v) => ({ t: "u64" as const, v })),
    fc.uint8Array({ maxLength: 600 }).map((v) => ({ t: "fixed" as const, v })),
    fc.uint8Array({ maxLength: 600 }).map((v) => ({ t: "bytes" as const, v })),
  );

  it("round-trips any field sequence, whatever the initial capacity (growth included)", () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (fields, capacity) => {
        const w = new ByteWriter(capacity);
        for (const f of fields) {
          if (f.t === "fixed") w.fixed(f.v, f.v.length, "f");
          else if (f.t === "bytes") w.bytes(f.v);
          else w[f.t](f.v);
        }
        const out = w.finish();
        const r = new ByteReader(out, "test");
        for (const f of fields) {
          if (f.t === "fixed") expect(r.fixed(f.v.length, "f")).toEqual(f.v);
          else if (f.t === "bytes") expect(r.bytes("b", 600)).toEqual(f.v);
          else expect(r[f.t]("n")).toBe(f.v);
        }
        r.end();
      }),
      { numRuns: 500 },
    );
  });

  it("writes big-endian (network order), as the documented layouts say", () => {
    const out = new ByteWriter(1).u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c).finish();
    expect(toHex(out)).toBe("0102" + "03040506" + "0000070809" + "0a0b0c");
  });

  it("refuses out-of-range integers and wrong fixed lengths when writing", () => {
    expectTyped(() => new ByteWriter().u8(256), MalformedInput);
    expectTyped(() => new ByteWriter().u32(-1), MalformedInput);
    expectTyped(() => new ByteWriter().u64(2 ** 53), MalformedInput);
    expectTyped(() => new ByteWriter().u16(1.5), MalformedInput);
    expectTyped(() => new ByteWriter().fixed(new Uint8Array(3), 4, "x"), MalformedInput);
  });

  it("reads truncated input, trailing bytes, u64 above 2^53 and over-long length prefixes as MalformedInput", () => {
    expectTyped(() => new ByteReader(Uint8Array.of(1, 2, 3), "t").u32("n"), MalformedInput);
    const r = new ByteReader(Uint8Array.of(1, 2), "t");
    r.u8("a");
    expectTyped(() => r.end(), MalformedInput);
    expectTyped(() => new ByteReader(new Uint8Array(8).fill(0xff), "t").u64("n"), MalformedInput);
    // A length prefix of 4 GiB is refused before anything is read or copied.
    expectTyped(
      () => new ByteReader(concat(Uint8Array.of(0xff, 0xff, 0xff, 0xff), new Uint8Array(10)), "t").bytes("b", 100),
      MalformedInput,
    );
    expectTyped(() => new ByteReader(Uint8Array.of(0, 0, 0, 20, 1), "t").bytes("b", 100), MalformedInput);
  });

  it("reads a subarray view at its own offset", () => {
    const backing = Uint8Array.of(9, 9, 0, 0, 0, 7, 9);
    expect(new ByteReader(backing.subarray(2, 6), "t").u32("n")).toBe(7);
  });
});
