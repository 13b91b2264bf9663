// Done-when: every decoder answers bad input (garbage, truncated, oversized, wrong version, mutated)
// with a typed StewardError, and whatever it does accept re-encodes to exactly the input: no
// untyped exception, no partial data.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ByteWriter, concat, fromBase64Url, fromHex, toHex, utf8 } from "../../shared/bytes.js";
import { sealEnvelope } from "../../crypto/envelope.js";
import { MAX_BODY_BYTES, PREFIX_BYTES, decodeEnvelope, encodeEnvelope } from "../../shared/envelopeCodec.js";
import { MalformedInput, StewardError, UnsupportedVersion } from "../../shared/errors.js";
import { issueGrant } from "../../crypto/grant.js";
import { decodeGrantPolicy, decodeGrantWire, encodeGrantPolicy, encodeGrantWire } from "../../shared/grantCodec.js";
import { decodeKeyBundle, encodeKeyBundle } from "../../shared/keyBundle.js";
import {
  ACCESS_LOG_ZERO_HASH,
  accessLogEntryHash,
  accessLogEntrySchema,
  verifyAccessLogChain,
  type AccessLogEntry,
} from "../../shared/accessLog.js";
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_ENVELOPES,
  decodePage,
  decodeUpload,
  encodePage,
  encodeUpload,
  splitEnvelopePrefix,
} from "../../shared/syncFrames.js";
import { sealBlock } from "../../crypto/block.js";
import { BLOCK_PREFIX_BYTES, decodeBlock, encodeBlock } from "../../shared/blockCodec.js";
import { encodeManifest, manifestHash } from "../../shared/manifest.js";
import { decodeContent, encodeContent } from "../../shared/shardContent.js";
import { decodeRecords, encodeRecords } from "../../shared/packedColumns.js";
import { KeyTreeReader, ROOT } from "../../crypto/keyTree.js";
import { parseRecord } from "../../shared/records.js";
import { newRecoverySecret, parseRecoverySecret, unwrapWithRecoverySecret } from "../../crypto/recoveryKit.js";
import { loadSodium } from "../../crypto/sodium.js";
import { bytesOf, expectTyped, fixedAccount, seed, typedOrValue } from "./helpers.js";
import { applyEdits, byteEdits } from "../helpers/byteEdits.js";

interface Codec {
  name: string;
  valid: () => Uint8Array;
  decode: (bytes: Uint8Array) => unknown;
  /** Re-encodes an accepted value: must give back the input exactly. */
  reencode?: (value: never) => Uint8Array;
  /** Offset of the version byte. */
  versionAt?: number;
  /** Versions the decoder accepts besides the one `valid` has (they change the layout after the byte). */
  otherVersions?: readonly number[];
}

let codecs: Codec[];

beforeAll(async () => {
  await loadSodium();
  const patient = fixedAccount(1, 2);
  const clinician = fixedAccount(3, 4);
  const leaf = new KeyTreeReader([{ node: ROOT, key: seed(5) }]).leaf(1000);
  const envelope = encodeEnvelope(
    sealEnvelope({
      header: {
        kind: "update",
        patientId: bytesOf(16, 1),
        scopeTag: bytesOf(16, 2),
        generation: 1,
        hour: 1000,
        envelopeId: bytesOf(16, 3),
        authorKey: patient.signKey,
        deviceId: bytesOf(16, 4),
        seq: 1,
        prevHash: bytesOf(32, 0),
      },
      plaintext: utf8("x"),
      leaf,
      authorSecretKey: patient.signSecretKey,
    }),
  );
  const grantWire = issueGrant({
    patient,
    recipient: { bundle: clinician.bundle, verified: true },
    scopes: [{ scope: "glucose", scopeTag: bytesOf(16, 2), generations: [{ generation: 1, root: seed(5) }] }],
    devices: { index: 1, hash: bytesOf(32, 6) },
    fromHour: 1000,
    toHour: 1100,
    expiresAt: 2_000_000_000_000,
    now: 1_900_000_000_000,
  }).wire;
  const grant = decodeGrantWire(grantWire);
  const entries = [{ envelopeId: bytesOf(16, 3), link: bytesOf(32, 9) }];
  const block = encodeBlock(
    sealBlock({
      header: {
        level: 3,
        patientId: bytesOf(16, 1),
        scopeTag: bytesOf(16, 2),
        generation: 1,
        node: 125,
        blockId: bytesOf(16, 6),
        authorKey: patient.signKey,
        deviceId: bytesOf(16, 4),
        basis: 7,
        count: 1,
        manifestHash: manifestHash(entries),
      },
      plaintext: utf8("x"),
      nodeKey: seed(6),
      authorSecretKey: patient.signSecretKey,
    }),
  );
  const records = [
    {
      id: "cgm-1",
      type: "cgm",
      time: 1000 * 3_600_000 + 60_000,
      deviceId: "DexG7",
      body: { mgdl: 112, trend: "flat" },
    },
    {
      id: "cgm-2",
      type: "cgm",
      time: 1000 * 3_600_000 + 360_000,
      deviceTime: "2024-01-01T00:06:00",
      body: { mgdl: 118, backfilled: true },
    },
    {
      id: "bolus-1",
      type: "bolus",
      time: 1000 * 3_600_000 + 900_000,
      body: { subType: "normal", normal: 2.35, expectedNormal: 1 / 3 },
    },
  ].map(parseRecord);
  const span = { scope: "glucose" as const, first: 1000, last: 1001 };
  const content = encodeContent(
    { readings: records.filter((r) => r.type === "cgm"), view: [], deleted: [], yjs: [] },
    span,
  );
  codecs = [
    {
      name: "envelope",
      valid: () => envelope,
      decode: decodeEnvelope,
      reencode: (e: never) => encodeEnvelope(e),
      versionAt: 4,
    },
    { name: "block", valid: () => block, decode: decodeBlock, reencode: (b: never) => encodeBlock(b), versionAt: 4 },
    {
      name: "grant wire",
      valid: () => grantWire,
      decode: decodeGrantWire,
      reencode: (g: ReturnType<typeof decodeGrantWire>) => encodeGrantWire(g.policyBytes, g.policySignature, g.sealed),
      versionAt: 8,
    },
    {
      name: "grant policy",
      valid: () => grant.policyBytes,
      decode: decodeGrantPolicy,
      reencode: (p: never) => encodeGrantPolicy(p),
      versionAt: 4,
    },
    {
      name: "key bundle",
      valid: () => encodeKeyBundle(patient.bundle),
      decode: decodeKeyBundle,
      reencode: (b: never) => encodeKeyBundle(b),
      versionAt: 4,
      otherVersions: [2],
    },
    {
      name: "upload",
      valid: () => encodeUpload([envelope, block], [{ kind: 1, bytes: utf8("head") }]),
      decode: decodeUpload,
      reencode: (u: ReturnType<typeof decodeUpload>) => encodeUpload(u.objects, u.extras),
      versionAt: 4,
    },
    {
      name: "sync page",
      valid: () =>
        encodePage({
          entries: [
            { seq: 1, compacted: false, bytes: envelope },
            { seq: 9, compacted: true, bytes: envelope.slice(0, PREFIX_BYTES) },
            { seq: 12, compacted: true, bytes: block.slice(0, BLOCK_PREFIX_BYTES), manifest: encodeManifest(entries) },
          ],
          cursor: 9,
          more: true,
          extras: [{ kind: 2, bytes: utf8("receipt") }],
        }),
      decode: decodePage,
      reencode: (p: never) => encodePage(p),
      versionAt: 4,
    },
    {
      name: "packed records",
      valid: () => encodeRecords(records),
      decode: decodeRecords,
      reencode: (r: never) => encodeRecords(r),
    },
    {
      name: "content",
      valid: () => content,
      decode: (bytes) => decodeContent(bytes, span),
      reencode: (c: never) => encodeContent(c, span),
      versionAt: 0,
    },
  ];
});

function check(codec: Codec, bytes: Uint8Array): void {
  const r = typedOrValue(() => codec.decode(bytes));
  if (r.ok && codec.reencode) expect(toHex(codec.reencode(r.value as never))).toBe(toHex(bytes));
}

const edits = byteEdits(4);

describe("binary decoders", () => {
  it("answer random bytes with a typed error", () => {
    for (const codec of codecs)
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => check(codec, bytes)),
        { numRuns: 300 },
      );
  });

  it("answer random bytes behind a valid magic and version with a typed error", () => {
    for (const codec of codecs) {
      if (codec.versionAt === undefined) continue;
      const prefix = codec.valid().slice(0, codec.versionAt + 1);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => check(codec, concat(prefix, bytes))),
        { numRuns: 300 },
      );
    }
  });

  it("answer random edits of a valid encoding with a typed error, or accept only what re-encodes exactly", () => {
    for (const codec of codecs)
      fc.assert(
        fc.property(edits, (ops) => check(codec, applyEdits(codec.valid(), ops))),
        { numRuns: 1000 },
      );
  });

  it("refuse every truncation and any extension (MalformedInput)", () => {
    for (const codec of codecs) {
      const valid = codec.valid();
      for (let n = 0; n < valid.length; n++) expectTyped(() => codec.decode(valid.slice(0, n)), MalformedInput);
      expectTyped(() => codec.decode(concat(valid, Uint8Array.of(0))), MalformedInput);
    }
  });

  it("refuse other versions, older and newer (UnsupportedVersion)", () => {
    for (const codec of codecs) {
      if (codec.versionAt === undefined) continue;
      const current = codec.valid()[codec.versionAt]!;
      for (const version of [0, current - 1, current + 1, 255].filter(
        (v) => v !== current && v >= 0 && !codec.otherVersions?.includes(v),
      )) {
        const bytes = codec.valid().slice();
        bytes[codec.versionAt] = version;
        expectTyped(() => codec.decode(bytes), UnsupportedVersion);
      }
    }
  });

  it("refuse oversized input before reading it (MalformedInput)", () => {
    expectTyped(() => decodeEnvelope(new Uint8Array(PREFIX_BYTES + MAX_BODY_BYTES + 1)), MalformedInput);
    // Length prefixes claiming 4 GiB: refused without allocating.
    expectTyped(() => decodeGrantWire(new ByteWriter().u32(0xffffffff).finish()), MalformedInput);
    const g = codecs.find((c) => c.name === "grant wire")!.valid();
    const policyLength = new DataView(g.buffer).getUint32(0);
    const hugeSealed = g.slice();
    new DataView(hugeSealed.buffer).setUint32(4 + policyLength + 64, 0xffffffff);
    expectTyped(() => decodeGrantWire(hugeSealed), MalformedInput);
  });

  it("refuse sync frames whose counts or lengths claim more than they hold (MalformedInput, no allocation)", () => {
    const head = (magic: string) => new ByteWriter().raw(utf8(magic)).u8(2);
    const huge = [
      head("STWU").u32(0xffffffff),
      head("STWU").u32(1).u32(0xffffffff),
      head("STWU").u32(MAX_BATCH_ENVELOPES).u32(0),
      head("STWU").u32(0).u32(0xffffffff),
    ];
    for (const frame of huge) expectTyped(() => decodeUpload(frame.finish()), MalformedInput);
    expectTyped(() => decodePage(head("STWP").u8(0).u64(0).u32(0xffffffff).finish()), MalformedInput);
    expectTyped(
      () => decodePage(head("STWP").u8(0).u64(0).u32(1).u64(1).u8(0).u32(0xffffffff).finish()),
      MalformedInput,
    );
    expectTyped(() => decodeUpload(new Uint8Array(MAX_BATCH_BYTES + 1)), MalformedInput);
    // An empty upload, and extras of a kind nobody defined.
    expectTyped(() => decodeUpload(head("STWU").u32(0).u32(0).finish()), MalformedInput);
    expectTyped(() => decodeUpload(head("STWU").u32(0).u32(1).u8(7).u32(0).finish()), MalformedInput);
  });

  it("splitEnvelopePrefix refuses anything shorter than a prefix and reads only the prefix of longer input", () => {
    const envelope = codecs[0]!.valid();
    for (let n = 0; n < PREFIX_BYTES; n++) expectTyped(() => splitEnvelopePrefix(envelope.slice(0, n)), MalformedInput);
    const prefix = splitEnvelopePrefix(envelope);
    expect(toHex(prefix.headerBytes)).toBe(toHex(envelope.slice(0, prefix.headerBytes.length)));
    expect(toHex(prefix.signature)).toBe(toHex(decodeEnvelope(envelope).signature));
  });
});

describe("access log", () => {
  const actor = "ab".repeat(16);
  function chain(n: number): AccessLogEntry[] {
    const out: AccessLogEntry[] = [];
    for (let seq = 1; seq <= n; seq++) {
      const body = {
        seq,
        time: 1_767_225_600_000 + seq,
        actor: seq % 2 ? actor : null,
        action: "pull" as const,
        details: JSON.stringify({ n: seq }),
        prevHash: out.at(-1)?.hash ?? ACCESS_LOG_ZERO_HASH,
      };
      out.push({ ...body, hash: accessLogEntryHash(body) });
    }
    return out;
  }
  const fields = ["seq", "time", "actor", "action", "details", "prevHash", "hash"] as const;
  const hostile: unknown[] = [
    0,
    -1,
    2 ** 53,
    "",
    "zz",
    "AB".repeat(16),
    "0".repeat(64),
    null,
    "refused",
    '{"n":1}',
    "é",
  ];

  it("entries that pass the wire schema, with any field edited, fail verifyAccessLogChain with a typed error", () => {
    const valid = chain(5);
    expect(verifyAccessLogChain(valid)).toEqual({ seq: 5, hash: valid[4]!.hash });
    fc.assert(
      fc.property(fc.nat({ max: 4 }), fc.constantFrom(...fields), fc.constantFrom(...hostile), (i, field, value) => {
        const edited = valid.map((e, j) => (j === i ? { ...e, [field]: value } : e)) as AccessLogEntry[];
        if (edited[i]![field] === valid[i]![field]) return;
        // Clients read the log through accessLogResponse, so only schema-valid entries reach the chain check.
        if (!accessLogEntrySchema.safeParse(edited[i]).success) return;
        expect(typedOrValue(() => verifyAccessLogChain(edited)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("verifyAccessLogChain refuses dropped, reordered and replayed entries", () => {
    const valid = chain(4);
    for (const entries of [[valid[0]!, valid[2]!], [valid[1]!, valid[0]!], [valid[0]!, valid[0]!], valid.slice(1)])
      expect(typedOrValue(() => verifyAccessLogChain(entries)).ok).toBe(false);
  });
});

describe("text decoders", () => {
  it("recovery codes: any string gives a typed error or a secret", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({
            unit: fc.constantFrom(..."0123456789ABCDEFGHJKMNPQRSTVWXYZ- ".split("")),
            minLength: 30,
            maxLength: 50,
          }),
        ),
        (text) => {
          const r = typedOrValue(() => parseRecoverySecret(text));
          if (r.ok) expect(r.value.bytes).toHaveLength(20);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("recovery blobs: garbage gives a typed error without deriving (no Argon2 run on random parameters)", () => {
    const secret = newRecoverySecret();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, prefixed) => {
        const blob = prefixed ? concat(utf8("STWR"), Uint8Array.of(1, 2), bytes) : bytes;
        expect(typedOrValue(() => unwrapWithRecoverySecret(blob, secret)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("hex and base64url: any string gives a typed error or bytes", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        typedOrValue(() => fromHex(text));
        typedOrValue(() => fromBase64Url(text));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("records", () => {
  const valid = { id: "cgm-1", type: "cgm", time: 1_767_225_600_000, body: { mgdl: 112, trend: "flat" } };

  it("parseRecord answers any JSON value with MalformedInput or a valid record", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => {
        const r = typedOrValue(() => parseRecord(value));
        if (r.ok) expect(parseRecord(JSON.parse(JSON.stringify(r.value)))).toEqual(r.value);
      }),
      { numRuns: 2000 },
    );
  });

  it("parseRecord refuses each field out of its domain, naming it", () => {
    expect(parseRecord(valid)).toEqual(valid);
    const bad: [unknown, RegExp][] = [
      [{ ...valid, type: "unknown" }, /type/],
      [{ ...valid, time: -1 }, /time/],
      [{ ...valid, time: 2 ** 21 * 3_600_000 }, /time/],
      [{ ...valid, body: { mgdl: 112.5 } }, /mgdl/],
      [{ ...valid, body: { mgdl: 1001 } }, /mgdl/],
      [{ ...valid, id: "" }, /id/],
      [null, /root/],
      ["cgm", /root/],
    ];
    for (const [input, field] of bad)
      expect(expectTyped(() => parseRecord(input), MalformedInput).message).toMatch(field);
  });

  it("parseRecord drops unknown keys rather than passing attacker-chosen fields through", () => {
    const parsed = parseRecord({
      ...valid,
      extra: "x",
      body: { ...valid.body, __proto__: { polluted: true }, more: 1 },
    }) as unknown as Record<string, unknown>;
    expect(parsed.extra).toBeUndefined();
    expect((parsed.body as Record<string, unknown>).more).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

it("StewardError subclasses carry a stable code and their own name", () => {
  const e = new MalformedInput("x");
  expect(e).toBeInstanceOf(StewardError);
  expect([e.code, e.name]).toEqual(["malformed_input", "MalformedInput"]);
});
