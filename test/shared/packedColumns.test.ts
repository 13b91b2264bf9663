// Packed records (docs/protocol.md §6B): every valid record of every type comes back exactly, what
// decodes is always a valid record, bounds hold, and a regular CGM stream costs at most 4 bytes a
// reading before encryption.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedInput } from "../../shared/errors.js";
import { decodeRecords, encodeRecords } from "../../shared/packedColumns.js";
import { LAYOUTS, type Field } from "../../shared/recordColumns.js";
import { RECORD_TYPES, parseRecord, recordSchema, type StewardRecord } from "../../shared/records.js";
import { applyEdits, byteEdits } from "../helpers/byteEdits.js";
import { expectTyped, typedOrValue } from "./helpers.js";

const HOUR = 3_600_000;
const T0 = 480_000 * HOUR;

/** Valid values for the structured fields (schedules, identifier maps), which are JSON in a dictionary. */
const STRUCTURED: Record<string, unknown[]> = {
  basalSchedules: [
    {
      standard: [
        { startMs: 0, rate: 0.6 },
        { startMs: 21_600_000, rate: 0.85 },
      ],
    },
    {},
  ],
  bgTargets: [[{ startMs: 0, low: 90, high: 120 }]],
  carbRatios: [
    [
      { startMs: 0, amount: 10 },
      { startMs: 43_200_000, amount: 12.5 },
    ],
  ],
  insulinSensitivities: [[{ startMs: 0, amount: 45 }]],
  identifiers: [{ mrn: "A-1" }, { serial: "NG1234567H", mrn: "x" }],
};

function value(field: Field): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case "int":
      return fc.integer({ min: Math.max(field.min, -1e12), max: Math.min(field.max, 1e12) });
    case "num":
      return fc.oneof(
        fc.integer({ min: Math.ceil(field.min * 100), max: Math.floor(field.max * 100) }).map((n) => n / 100),
        fc.double({ min: field.min, max: field.max, noNaN: true, noDefaultInfinity: true }),
      );
    case "enum":
      return fc.constantFrom(...field.options);
    case "bool":
      return fc.boolean();
    case "str":
      return field.key === "day" ? fc.constantFrom("2026-10-01", "1999-12-31") : fc.string({ maxLength: 12 });
    case "json":
      return fc.constantFrom(...(STRUCTURED[field.key] ?? [null]));
    case "obj":
      return object(field.fields);
  }
}

function object(fields: readonly Field[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(fields.map((f) => [f.key, value(f)])), {
    requiredKeys: fields.filter((f) => !f.optional).map((f) => f.key),
  });
}

const record: fc.Arbitrary<StewardRecord> = fc.constantFrom(...RECORD_TYPES).chain((type) => {
  const layout = LAYOUTS.get(type)!;
  return fc
    .record({
      id: fc.oneof(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.nat({ max: 999 }).map((n) => `cgm-${n}`),
      ),
      time: fc.integer({ min: T0, max: T0 + 48 * HOUR }),
      deviceTime: fc.option(
        fc.oneof(
          fc.integer({ min: -86_400, max: 86_400 }).map((d) => new Date(T0 + d * 1000).toISOString().slice(0, 19)),
          fc.string({ maxLength: 10 }),
        ),
        { nil: undefined },
      ),
      base: object(layout.base),
      body: object(layout.body),
    })
    .map(({ id, time, deviceTime, base, body }) => ({
      id,
      type,
      time,
      ...(deviceTime === undefined ? {} : { deviceTime }),
      ...base,
      body,
    }))
    .filter((r) => recordSchema.safeParse(r).success)
    .map((r) => parseRecord(r));
});

function canonical(records: readonly StewardRecord[]): StewardRecord[] {
  const order = (r: StewardRecord) => RECORD_TYPES.indexOf(r.type);
  return [...records].sort(
    (a, b) => order(a) - order(b) || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

function unique(records: readonly StewardRecord[]): StewardRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(`${r.type}:${r.time}:${r.id}`) && seen.add(`${r.type}:${r.time}:${r.id}`));
}

describe("packed records", () => {
  it("give back every valid record of every type exactly, whatever its optional fields", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (records) => {
        const input = unique(records);
        expect(decodeRecords(encodeRecords(input))).toEqual(canonical(input));
      }),
      { numRuns: 400 },
    );
  });

  it("cost at most 4 bytes a reading for a regular 5-minute CGM stream with trends (about 2)", () => {
    const trends = ["flat", "fortyFiveUp", "fortyFiveDown", "singleUp", "singleDown"] as const;
    const readings: StewardRecord[] = Array.from({ length: 288 * 30 }, (_, i) => ({
      id: `cgm-${T0 + i * 300_000}`,
      type: "cgm",
      time: T0 + i * 300_000,
      deviceTime: new Date(T0 + i * 300_000 + 3_600_000).toISOString().slice(0, 19),
      timezoneOffset: 60,
      deviceId: "DexG7-0001",
      source: "clarity",
      body: {
        mgdl: Math.round(140 + 45 * Math.sin(i / 40) + ((i * 7919) % 23) - 11),
        trend: trends[(i * 31) % 5]!,
        intervalMs: 300_000,
      },
    }));
    const bytes = encodeRecords(readings);
    expect(bytes.length / readings.length).toBeLessThanOrEqual(4);
    expect(decodeRecords(bytes)).toEqual(readings);
  });

  it("give back a stream so regular that it packs to less than a byte a reading", () => {
    const readings: StewardRecord[] = Array.from({ length: 2_000 }, (_, i) => ({
      id: `cgm-${T0 + i * 300_000}`,
      type: "cgm",
      time: T0 + i * 300_000,
      body: { mgdl: 110 },
    }));
    const bytes = encodeRecords(readings);
    expect(bytes.length).toBeLessThan(readings.length);
    expect(decodeRecords(bytes)).toEqual(readings);
  });

  it("decode only to records that the record schema accepts, or refuse with MalformedInput", () => {
    const valid = encodeRecords([
      { id: "cgm-1", type: "cgm", time: T0, body: { mgdl: 100, trend: "flat" } },
      {
        id: "b-1",
        type: "basal",
        time: T0 + 60_000,
        body: { deliveryType: "temp", rate: 0.85, percent: 0.5, durationMs: HOUR },
      },
      {
        id: "w-1",
        type: "wizard",
        time: T0 + 120_000,
        body: { bgInput: 150, recommended: { net: 2.3 }, bgTarget: { low: 100 } },
      },
    ]);
    fc.assert(
      fc.property(byteEdits(3), (ops) => {
        const r = typedOrValue(() => decodeRecords(applyEdits(valid, ops)));
        if (r.ok) for (const rec of r.value) expect(parseRecord(rec)).toEqual(rec);
        else expect(r.error).toBeInstanceOf(MalformedInput);
      }),
      { numRuns: 2000 },
    );
  });

  it("give back ids that hold their time or deviceTime, beside digits or twice, and refuse any other template for them", () => {
    const piece = fc.constantFrom("cgm-", "1", "7", "-", "x9", "time", "0");
    const idOf = fc.array(fc.oneof(piece, fc.constant("T"), fc.constant("D")), { minLength: 1, maxLength: 5 });
    const stream = fc
      .array(fc.record({ parts: idOf, offset: fc.nat({ max: 3_000 }), wall: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      })
      .map((list) =>
        unique(
          list.map(({ parts, offset, wall }): StewardRecord => {
            const time = T0 + offset * 60_000;
            const deviceTime = wall ? new Date(time).toISOString().slice(0, 19) : undefined;
            const id = parts.map((p) => (p === "T" ? String(time) : p === "D" ? (deviceTime ?? "d") : p)).join("");
            return { id, type: "cgm", time, ...(deviceTime ? { deviceTime } : {}), body: { mgdl: 100 } };
          }),
        ),
      );
    fc.assert(
      fc.property(stream, byteEdits(2), (records, ops) => {
        const bytes = encodeRecords(records);
        expect(decodeRecords(bytes)).toEqual(canonical(records));
        // Whatever else decodes is the one encoding of what it decodes to.
        const r = typedOrValue(() => decodeRecords(applyEdits(bytes, ops)));
        if (r.ok) expect(encodeRecords(r.value)).toEqual(applyEdits(bytes, ops));
        else expect(r.error).toBeInstanceOf(MalformedInput);
      }),
      { numRuns: 3000 },
    );
  });

  it("refuse an id template other than the one its writer would choose", () => {
    const swap = (bytes: Uint8Array, from: Uint8Array, to: Uint8Array) => {
      const at = bytes.findIndex((_, i) => from.every((b, j) => bytes[i + j] === b));
      expect(at).toBeGreaterThanOrEqual(0);
      const out = bytes.slice();
      out.set(to, at);
      return out;
    };
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
      return Uint8Array.of(...out, n);
    };
    // At time 2222222222222 the id "12222222222222" is "1" then the time; moved to 1111111111111 the
    // same template builds "11111111111111", whose writer puts the time first.
    const digitBeside = encodeRecords([
      { id: "12222222222222", type: "cgm", time: 2_222_222_222_222, body: { mgdl: 100 } },
    ]);
    expectTyped(
      () => decodeRecords(swap(digitBeside, varint(2_222_222_222_222), varint(1_111_111_111_111))),
      MalformedInput,
    );
    // An id holding its (text) deviceTime is written with the deviceTime's mark.
    const text = encodeRecords([{ id: `cgm-${T0}`, type: "cgm", time: T0, deviceTime: "cgz", body: { mgdl: 100 } }]);
    expectTyped(
      () => decodeRecords(swap(text, new TextEncoder().encode("cgz"), new TextEncoder().encode("cgm"))),
      MalformedInput,
    );
    expect(
      decodeRecords(
        encodeRecords([{ id: `cgm-${T0}`, type: "cgm", time: T0, deviceTime: "cgm", body: { mgdl: 100 } }]),
      )[0]!.id,
    ).toBe(`cgm-${T0}`);
  });

  it("refuse values out of their schema's bounds and a second encoding of the same records", () => {
    const encode = (mgdl: number) =>
      encodeRecords([{ id: "c", type: "cgm", time: T0, body: { mgdl } } as StewardRecord]);
    const ok = encode(1000);
    // 1000 → 1001 in the mgdl column: the last value's zigzag delta goes from 2000 to 2002.
    const tampered = ok.slice();
    const at = ok.findLastIndex((b, i) => b === 0xd0 && ok[i + 1] === 0x0f);
    tampered[at] = 0xd2;
    expectTyped(() => decodeRecords(tampered), MalformedInput);
    // A column written as runs although plain is shorter (or the other way) is not canonical.
    expectTyped(() => decodeRecords(Uint8Array.of(1, 0, 1, 1, 1, 1, 0)), MalformedInput);
  });
});
