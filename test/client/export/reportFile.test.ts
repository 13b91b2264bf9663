// The encrypted report file: round trip, and each way a file or passphrase can be wrong gets its own typed error.
import { beforeAll, describe, expect, it } from "vitest";
import { buildReport, type Report } from "../../../client/export/report.js";
import { openReport, REPORT_CHUNK_BYTES, sealReport, type SealedReport } from "../../../client/export/reportFile.js";
import { concat } from "../../../shared/bytes.js";
import {
  MalformedInput,
  OutsideGrant,
  TamperedEnvelope,
  UnsupportedVersion,
  WeakKdfParameters,
  WrongSecret,
} from "../../../shared/errors.js";
import { parseRecord, type StewardRecord } from "../../../shared/records.js";
import { newRecoverySecret } from "../../../crypto/recoveryKit.js";
import { loadSodium } from "../../../crypto/sodium.js";
import { derivationsDuring, expectTyped, withU32 } from "../../shared/helpers.js";

// Layout: magic 4 ‖ version 1 ‖ alg 1 ‖ ops u32 ‖ mem u32 ‖ salt 16 ‖ key check 16 ‖ stream header 24 ‖ chunks.
const VERSION_AT = 4;
const OPS_AT = 6;
const MEM_AT = 10;
const HEADER_BYTES = 70;
const CHUNK = REPORT_CHUNK_BYTES + 17;

const start = Date.parse("2026-03-01T00:00:00Z");
const range = { from: start, to: start + 14 * 86_400_000 - 1 };

/** Two weeks of 5-minute readings (~4,000 records, several chunks), a bolus, a note and the patient's profile. */
function twoWeeks(): StewardRecord[] {
  const records: StewardRecord[] = [];
  for (let i = 0; i < 14 * 288; i++)
    records.push(
      parseRecord({
        id: `cgm-${i}`,
        type: "cgm",
        time: start + i * 300_000,
        deviceId: "Dexcom-G7",
        body: { mgdl: 60 + ((i * 37) % 200), trend: "flat" },
      }),
    );
  records.push(
    parseRecord({ id: "bolus-1", type: "bolus", time: start + 3_600_000, body: { subType: "normal", normal: 3.5 } }),
  );
  records.push(
    parseRecord({ id: "note-1", type: "note", time: start + 7_200_000, body: { text: "sensor felt loose" } }),
  );
  records.push(
    parseRecord({ id: "profile", type: "profile", time: 0, body: { name: "Ada Example", birthDate: "1990-04-01" } }),
  );
  return records;
}

let report: Report;
let sealed: SealedReport;
let other: SealedReport;

beforeAll(async () => {
  await loadSodium();
  report = buildReport({
    records: twoWeeks(),
    range,
    timeZone: "Europe/Berlin",
    now: Date.parse("2026-03-15T09:00:00Z"),
  });
  sealed = sealReport(report);
  other = sealReport(report);
}, 60_000);

describe("report contents", () => {
  it("holds the records, the range, the metrics of the CGM readings and the patient's name from identity", () => {
    expect(report.records).toHaveLength(14 * 288 + 3);
    expect(report.patientName).toBe("Ada Example");
    expect(report.metrics?.readings).toBe(14 * 288);
    expect(report.range).toEqual(range);
  });

  it("round-trips a report whose SD is undefined (one reading): JSON has no NaN", () => {
    const one = buildReport({
      records: [parseRecord({ id: "only", type: "cgm", time: start, body: { mgdl: 99 } })],
      range,
      timeZone: "UTC",
    });
    expect(one.metrics?.sd).toBeNaN();
    const { file, passphrase } = sealReport(one);
    const back = openReport(file, passphrase);
    expect(back.metrics?.sd).toBeNaN();
    expect(back).toEqual(one);
  });

  it("has no name without the identity scope, and refuses records outside the range", () => {
    const glucoseOnly = buildReport({ records: twoWeeks().filter((r) => r.type === "cgm"), range, timeZone: "UTC" });
    expect(glucoseOnly.patientName).toBeUndefined();
    expect(JSON.stringify(glucoseOnly)).not.toContain("Ada");
    const late = parseRecord({ id: "late", type: "cgm", time: range.to + 1, body: { mgdl: 100 } });
    expectTyped(() => buildReport({ records: [late], range, timeZone: "UTC" }), OutsideGrant);
  });
});

describe("sealed report file", () => {
  it("opens with its passphrase to the same report, and holds no readable content", () => {
    expect(sealed.passphrase).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){8}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(sealed.file.length).toBeGreaterThan(HEADER_BYTES + 3 * CHUNK);
    expect(openReport(sealed.file, sealed.passphrase)).toEqual(report);
    // A typed passphrase is forgiving about case and separators.
    expect(openReport(sealed.file, sealed.passphrase.toLowerCase().replace(/-/g, " ")).records).toHaveLength(
      report.records.length,
    );
    const text = new TextDecoder("latin1").decode(sealed.file);
    for (const plain of ["Ada", "loose", "mgdl", "cgm-1"]) expect(text).not.toContain(plain);
  });

  it("refuses a wrong passphrase (WrongSecret) and a mistyped one before deriving (MalformedInput)", () => {
    expectTyped(() => openReport(sealed.file, other.passphrase), WrongSecret);
    const chars = sealed.passphrase.replace(/-/g, "");
    const typo = (chars[0] === "A" ? "B" : "A") + chars.slice(1);
    expect(derivationsDuring(() => expectTyped(() => openReport(sealed.file, typo), MalformedInput))).toBe(0);
    // A recovery code has the same shape but its own check label: it is refused as a typo, not tried.
    expect(
      derivationsDuring(() => expectTyped(() => openReport(sealed.file, newRecoverySecret().text), MalformedInput)),
    ).toBe(0);
  });

  it("rejects a truncated file: cut at a chunk boundary (no FINAL chunk) or inside a chunk", () => {
    expectTyped(() => openReport(sealed.file.slice(0, HEADER_BYTES + 2 * CHUNK), sealed.passphrase), TamperedEnvelope);
    expectTyped(() => openReport(sealed.file.slice(0, sealed.file.length - 1), sealed.passphrase), TamperedEnvelope);
    expectTyped(() => openReport(sealed.file.slice(0, HEADER_BYTES), sealed.passphrase), TamperedEnvelope);
    expectTyped(() => openReport(sealed.file.slice(0, HEADER_BYTES - 1), sealed.passphrase), MalformedInput);
  });

  it("rejects an extended file: bytes after FINAL, or a second copy of the last chunk", () => {
    expectTyped(() => openReport(concat(sealed.file, new Uint8Array([0])), sealed.passphrase), TamperedEnvelope);
    const lastChunk = sealed.file.slice(HEADER_BYTES + Math.floor((sealed.file.length - HEADER_BYTES) / CHUNK) * CHUNK);
    expectTyped(() => openReport(concat(sealed.file, lastChunk), sealed.passphrase), TamperedEnvelope);
  });

  it("rejects a spliced file: chunks reordered, or taken from another file", () => {
    const chunkAt = (file: Uint8Array, i: number) =>
      file.slice(HEADER_BYTES + i * CHUNK, HEADER_BYTES + (i + 1) * CHUNK);
    const header = sealed.file.slice(0, HEADER_BYTES);
    const tail = sealed.file.slice(HEADER_BYTES + 2 * CHUNK);
    const swapped = concat(header, chunkAt(sealed.file, 1), chunkAt(sealed.file, 0), tail);
    expectTyped(() => openReport(swapped, sealed.passphrase), TamperedEnvelope);
    const mixed = concat(header, chunkAt(sealed.file, 0), chunkAt(other.file, 1), tail);
    expectTyped(() => openReport(mixed, sealed.passphrase), TamperedEnvelope);
    // Another file's header (and so its key) with this file's chunks: the key check passes, the chunks do not.
    expectTyped(
      () => openReport(concat(other.file.slice(0, HEADER_BYTES), sealed.file.slice(HEADER_BYTES)), other.passphrase),
      TamperedEnvelope,
    );
  });

  it("refuses weakened KDF parameters before deriving anything, and rejects stronger ones as altered", () => {
    for (const doctored of [
      withU32(sealed.file, OPS_AT, 1),
      withU32(sealed.file, MEM_AT, 8 * 1024 * 1024),
      withU32(sealed.file, MEM_AT, 4 * 1024 * 1024 * 1024 - 1),
    ]) {
      expect(
        derivationsDuring(() => expectTyped(() => openReport(doctored, sealed.passphrase), WeakKdfParameters)),
      ).toBe(0);
    }
    expectTyped(() => openReport(withU32(sealed.file, OPS_AT, 4), sealed.passphrase), WrongSecret);
  });

  it("rejects another magic as MalformedInput and another version as UnsupportedVersion", () => {
    const notReport = sealed.file.slice();
    notReport[0] = 0x58;
    expectTyped(() => openReport(notReport, sealed.passphrase), MalformedInput);
    const v2 = sealed.file.slice();
    v2[VERSION_AT] = 2;
    expectTyped(() => openReport(v2, sealed.passphrase), UnsupportedVersion);
  });

  it("rejects a flipped bit in a chunk or in the authenticated header", () => {
    const inChunk = sealed.file.slice();
    inChunk[HEADER_BYTES + CHUNK + 100] = (inChunk[HEADER_BYTES + CHUNK + 100] ?? 0) ^ 1;
    expectTyped(() => openReport(inChunk, sealed.passphrase), TamperedEnvelope);
    const inStreamHeader = sealed.file.slice();
    inStreamHeader[HEADER_BYTES - 1] = (inStreamHeader[HEADER_BYTES - 1] ?? 0) ^ 1;
    expectTyped(() => openReport(inStreamHeader, sealed.passphrase), TamperedEnvelope);
  });
});
