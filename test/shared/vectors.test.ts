// Fixed test vectors, checked into test/shared/vectors/*.json. They pin every derivation and wire
// format byte for byte, so a change that would orphan stored data or break the other side fails
// here. To regenerate after a deliberate format change (and a version bump):
//   STEWARD_WRITE_VECTORS=1 npm exec -- vitest run --project node test/shared/vectors.test.ts
// then review the JSON diff like code.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { fromHex, toHex, utf8 } from "../../shared/bytes.js";
import { openEnvelope, sealEnvelope } from "../../crypto/envelope.js";
import {
  PREFIX_BYTES,
  decodeEnvelope,
  encodeEnvelope,
  envelopeLink,
  envelopeSignedBytes,
} from "../../shared/envelopeCodec.js";
import { openBlock, sealBlock } from "../../crypto/block.js";
import { blockSignedBytes, decodeBlock, encodeBlock } from "../../shared/blockCodec.js";
import { UnsupportedVersion } from "../../shared/errors.js";
import { encodeManifest, manifestHash } from "../../shared/manifest.js";
import { decodeRecords, encodeRecords } from "../../shared/packedColumns.js";
import { encodeContent } from "../../shared/shardContent.js";
import { EXTRA_KINDS, encodePage, encodeUpload } from "../../shared/syncFrames.js";
import { sign } from "../../crypto/accountKeys.js";
import { encodeGrantPolicy, grantPolicySignedBytes, type GrantPolicy } from "../../shared/grantCodec.js";
import { accountIdOf, decodeKeyBundle, encodeKeyBundle, keyBundleSignedBytes } from "../../shared/keyBundle.js";
import { decodeLoginProof, encodeLoginProof, loginProofPayload } from "../../shared/loginProof.js";
import { HOUR_LIMIT, KeyTreeReader, ROOT, blockKeys, coverKeys, epochKeys } from "../../crypto/keyTree.js";
import { SCOPES, type StewardRecord } from "../../shared/records.js";
import { safetyNumber } from "../../shared/safetyNumber.js";
import { scopeTag } from "../../crypto/scopeTag.js";
import { signedMessage } from "../../shared/signing.js";
import { loadSodium } from "../../crypto/sodium.js";
import { bytesOf, fixedAccount, seed } from "./helpers.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "vectors");
const WRITE = process.env.STEWARD_WRITE_VECTORS === "1";

beforeAll(async () => {
  await loadSodium();
});

type Json = Record<string, unknown>;

function ggm(): Json {
  const root = seed(0x11);
  const reader = new KeyTreeReader([{ node: ROOT, key: root }]);
  const nodes = [
    { height: 20, index: 0 },
    { height: 20, index: 1 },
    { height: 17, index: 3 },
    { height: 8, index: 1918 },
    { height: 0, index: 0 },
    { height: 0, index: 1 },
    { height: 0, index: 491_234 },
    { height: 0, index: HOUR_LIMIT - 1 },
  ];
  const leaf = reader.leaf(491_234);
  const usage = epochKeys(leaf);
  return {
    description:
      'GGM tree, depth 21: child = crypto_kdf_derive_from_key(32, bit, "STWggm01", parent); epoch keys = crypto_kdf_derive_from_key(32, 1|2, "STWepoch", leaf)',
    root: toHex(root),
    nodes: nodes.map((n) => ({ ...n, key: toHex(reader.nodeKey(n)) })),
    epoch: { hour: 491_234, leaf: toHex(leaf), aead: toHex(usage.aead), commit: toHex(usage.commit) },
  };
}

function covers(): Json {
  const root = seed(0x11);
  const u = 2 ** 17;
  const ranges: [number, number][] = [
    [3, 12],
    [3 * u, 13 * u - 1],
    [0, HOUR_LIMIT - 1],
    [1, HOUR_LIMIT - 2],
    [491_234, 491_234],
    [491_234, 491_234 + 24 * 90 - 1],
  ];
  return {
    description:
      "minimal dyadic covers [from, to] inclusive, nodes left to right, with their keys under the GGM vector's root",
    root: toHex(root),
    ranges: ranges.map(([from, to]) => ({
      from,
      to,
      nodes: coverKeys(root, from, to).map(({ node, key }) => ({ ...node, key: toHex(key) })),
    })),
  };
}

function scopeTags(): Json {
  const metaKey = seed(0x0e);
  return {
    description: 'scopeTag = BLAKE2b-128(key = metaKey, "steward/scope-tag/v1" ‖ 0x00 ‖ scope)',
    metaKey: toHex(metaKey),
    tags: Object.fromEntries(SCOPES.map((s) => [s, toHex(scopeTag(metaKey, s))])),
  };
}

const ENVELOPE_NONCE = bytesOf(24, 0x6e);

/** Fixes the platform's random bytes (the nonce) for the call, making the sealed object reproducible. */
function withNonce<T>(make: () => T): T {
  const spy = vi.spyOn(crypto, "getRandomValues").mockImplementation((array: ArrayBufferView) => {
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(ENVELOPE_NONCE);
    return array;
  });
  try {
    return make();
  } finally {
    spy.mockRestore();
  }
}

const HOUR_MS = 3_600_000;
const READINGS: StewardRecord[] = [
  {
    id: `cgm-${491_234 * HOUR_MS + 120_000}`,
    type: "cgm",
    time: 491_234 * HOUR_MS + 120_000,
    deviceTime: "2026-01-15T03:02:00",
    timezoneOffset: 60,
    deviceId: "DexG7-0001",
    source: "clarity",
    body: { mgdl: 112, trend: "flat", intervalMs: 300_000 },
  },
  {
    id: `cgm-${491_234 * HOUR_MS + 420_000}`,
    type: "cgm",
    time: 491_234 * HOUR_MS + 420_000,
    deviceTime: "2026-01-15T03:07:00",
    timezoneOffset: 60,
    deviceId: "DexG7-0001",
    source: "clarity",
    body: { mgdl: 109, trend: "fortyFiveDown", intervalMs: 300_000 },
  },
  {
    id: "bolus-1",
    type: "bolus",
    time: 491_234 * HOUR_MS + 900_000,
    deviceId: "MedT-780G",
    body: { subType: "normal", normal: 2.35, expectedNormal: 3 },
  },
];

function packed(): Json {
  const segment = encodeRecords(READINGS);
  return {
    description:
      "packed records (docs/protocol.md §6B): two CGM readings and a bolus; records as parseRecord returns them",
    records: READINGS,
    segment: toHex(segment),
    content: toHex(
      encodeContent(
        { readings: READINGS.filter((r) => r.type === "cgm"), view: [], deleted: [], yjs: [] },
        { scope: "glucose", first: 491_234, last: 491_234 },
      ),
    ),
  };
}

function envelope(): Json {
  const author = fixedAccount(0xa1, 0xa2);
  const hour = 491_234;
  const leaf = new KeyTreeReader([{ node: ROOT, key: seed(0x11) }]).leaf(hour);
  const plaintext = encodeContent(
    { readings: READINGS.filter((r) => r.type === "cgm"), view: [], deleted: [], yjs: [] },
    { scope: "glucose", first: hour, last: hour },
  );
  const sealed = withNonce(() =>
    sealEnvelope({
      header: {
        kind: "update",
        patientId: bytesOf(16, 1),
        scopeTag: bytesOf(16, 2),
        generation: 3,
        hour,
        envelopeId: bytesOf(16, 3),
        authorKey: author.signKey,
        deviceId: bytesOf(16, 4),
        seq: 7,
        prevHash: bytesOf(32, 5),
      },
      plaintext,
      leaf,
      authorSecretKey: author.signSecretKey,
    }),
  );
  return {
    description:
      "hour envelope v2 with a fixed nonce; author = crypto_sign_seed_keypair(0xa1 × 32); leaf = GGM vector root, hour 491234; plaintext = packed.json's content",
    authorSeed: toHex(seed(0xa1)),
    authorKey: toHex(author.signKey),
    leaf: toHex(leaf),
    nonce: toHex(ENVELOPE_NONCE),
    plaintext: toHex(plaintext),
    envelope: toHex(encodeEnvelope(sealed)),
    link: toHex(envelopeLink(sealed.headerBytes, sealed.body.length, sealed.bodyHash)),
  };
}

function block(): Json {
  const author = fixedAccount(0xa1, 0xa2);
  const node = { height: 5, index: Math.floor(491_234 / 32) };
  const nodeKey = new KeyTreeReader([{ node: ROOT, key: seed(0x11) }]).nodeKey(node);
  const keys = blockKeys(nodeKey);
  const manifest = [
    { envelopeId: bytesOf(16, 3), link: bytesOf(32, 8) },
    { envelopeId: bytesOf(16, 9), link: bytesOf(32, 10) },
  ];
  const first = node.index * 32;
  const plaintext = encodeContent(
    { readings: READINGS.filter((r) => r.type === "cgm"), view: [], deleted: [], yjs: [] },
    { scope: "glucose", first, last: first + 31 },
  );
  const sealed = withNonce(() =>
    sealBlock({
      header: {
        level: 5,
        patientId: bytesOf(16, 1),
        scopeTag: bytesOf(16, 2),
        generation: 3,
        node: node.index,
        blockId: bytesOf(16, 6),
        authorKey: author.signKey,
        deviceId: bytesOf(16, 4),
        basis: 40,
        count: manifest.length,
        manifestHash: manifestHash(manifest),
      },
      plaintext,
      nodeKey,
      authorSecretKey: author.signSecretKey,
    }),
  );
  return {
    description:
      'block v2 of level 5 (32 hours) with a fixed nonce; node key from the GGM vector root; K_aead / K_commit = crypto_kdf_derive_from_key(32, 1 | 2, "STWblock", nodeKey); manifest of two (id, link) entries',
    node,
    nodeKey: toHex(nodeKey),
    aead: toHex(keys.aead),
    commit: toHex(keys.commit),
    manifest: toHex(encodeManifest(manifest)),
    manifestHash: toHex(manifestHash(manifest)),
    plaintext: toHex(plaintext),
    block: toHex(encodeBlock(sealed)),
  };
}

function frames(): Json {
  const e = fromHex((JSON.parse(readFileSync(join(DIR, "envelope.json"), "utf8")) as Record<string, string>).envelope!);
  const b = fromHex((JSON.parse(readFileSync(join(DIR, "block.json"), "utf8")) as Record<string, string>).block!);
  return {
    description:
      "sync frames v2 (docs/protocol.md §6C) over envelope.json and block.json: an upload with a head extra, and a page with a prefix-only entry and a block with its manifest",
    upload: toHex(encodeUpload([e, b], [{ kind: EXTRA_KINDS.head, bytes: utf8("head") }])),
    page: toHex(
      encodePage({
        entries: [
          { seq: 7, compacted: true, bytes: e.slice(0, PREFIX_BYTES) },
          {
            seq: 9,
            compacted: false,
            bytes: b,
            manifest: encodeManifest([{ envelopeId: bytesOf(16, 3), link: bytesOf(32, 8) }]),
          },
        ],
        cursor: 8,
        more: false,
      }),
    ),
  };
}

function accounts(): Json {
  const createdAt = 1_767_225_600_000;
  const patient = fixedAccount(0x10, 0x11, createdAt);
  const clinician = fixedAccount(0x20, 0x21, createdAt);
  const policy: GrantPolicy = {
    grantId: bytesOf(16, 0x47),
    revision: 1,
    patientId: accountIdOf(patient.signKey),
    patientKey: patient.signKey,
    granteeId: accountIdOf(clinician.signKey),
    granteeSignKey: clinician.signKey,
    granteeBoxKey: clinician.boxKey,
    write: false,
    live: true,
    issuedAt: createdAt,
    expiresAt: createdAt + 90 * 86_400_000,
    devices: { index: 3, hash: bytesOf(32, 0x44) },
    entries: [
      { scopeTag: bytesOf(16, 2), fromHour: 491_234, toHour: 491_234 + 24 * 90 - 1, generations: [1, 2] },
      { scopeTag: bytesOf(16, 6), fromHour: 0, toHour: 0, generations: [1] },
    ],
  };
  const policyBytes = encodeGrantPolicy(policy);
  const unsignedProof = {
    accountId: accountIdOf(clinician.signKey),
    time: createdAt + 60_000,
    nonce: bytesOf(16, 0x4e),
    signer: bytesOf(16, 0xd1),
  };
  const proofSignature = sign("login", clinician.signSecretKey, loginProofPayload(unsignedProof));
  return {
    description:
      "accounts from seeds (sign seed, box seed) via crypto_sign_seed_keypair / crypto_box_seed_keypair, createdAt ms",
    patient: {
      signSeed: toHex(seed(0x10)),
      boxSeed: toHex(seed(0x11)),
      signKey: toHex(patient.signKey),
      boxKey: toHex(patient.boxKey),
      accountId: toHex(accountIdOf(patient.signKey)),
      bundle: toHex(encodeKeyBundle(patient.bundle)),
    },
    clinician: {
      signSeed: toHex(seed(0x20)),
      boxSeed: toHex(seed(0x21)),
      signKey: toHex(clinician.signKey),
      boxKey: toHex(clinician.boxKey),
      accountId: toHex(accountIdOf(clinician.signKey)),
      bundle: toHex(encodeKeyBundle(clinician.bundle)),
    },
    safetyNumber: safetyNumber(patient.signKey, clinician.signKey),
    grantPolicy: {
      bytes: toHex(policyBytes),
      signature: toHex(sign("grantPolicy", patient.signSecretKey, policyBytes)),
    },
    loginProof: {
      proof: toHex(encodeLoginProof({ ...unsignedProof, signature: proofSignature })),
      signedBy: "clinician",
    },
  };
}

// In this order: frames reads what envelope and block wrote.
const VECTORS: Record<string, () => Json> = { ggm, covers, scopeTags, packed, envelope, block, frames, accounts };

describe("fixed vectors", () => {
  for (const [name, compute] of Object.entries(VECTORS)) {
    it(`${name}.json matches the code`, () => {
      const file = join(DIR, `${name}.json`);
      const actual = compute();
      if (WRITE) writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      const stored = JSON.parse(readFileSync(file, "utf8")) as Json;
      expect(actual).toEqual(stored);
    });
  }

  it("the stored envelope and block decode and open to their stored plaintext, and that to the stored records", () => {
    const v = JSON.parse(readFileSync(join(DIR, "envelope.json"), "utf8")) as Record<string, string>;
    const decoded = decodeEnvelope(fromHex(v.envelope!));
    expect(toHex(decoded.header.authorKey)).toBe(v.authorKey);
    expect(toHex(decoded.body.subarray(0, 24))).toBe(v.nonce);
    expect(toHex(openEnvelope(decoded, fromHex(v.leaf!)))).toBe(v.plaintext);
    const b = JSON.parse(readFileSync(join(DIR, "block.json"), "utf8")) as Record<string, string>;
    expect(toHex(openBlock(decodeBlock(fromHex(b.block!)), fromHex(b.nodeKey!)))).toBe(b.plaintext);
    const p = JSON.parse(readFileSync(join(DIR, "packed.json"), "utf8")) as {
      segment: string;
      records: StewardRecord[];
    };
    expect(decodeRecords(fromHex(p.segment))).toEqual(p.records);
  });

  it("the stored v1 envelope still decodes and opens, for the migration of v1 logs only", () => {
    const v = JSON.parse(readFileSync(join(DIR, "envelope-v1.json"), "utf8")) as Record<string, string>;
    expect(() => decodeEnvelope(fromHex(v.envelope!))).toThrow(UnsupportedVersion);
    const decoded = decodeEnvelope(fromHex(v.envelope!), { legacy: true });
    expect(toHex(openEnvelope(decoded, fromHex(v.leaf!)))).toBe(v.plaintext);
    expect(toHex(envelopeLink(decoded.headerBytes, decoded.body.length, decoded.bodyHash))).toBe(v.link);
  });

  it("the stored signatures verify with WebCrypto over the bytes the server rebuilds (envelope, grant policy, key bundle, login proof)", async () => {
    const web = async (key: string, sig: Uint8Array, message: Uint8Array) =>
      crypto.subtle.verify(
        "Ed25519",
        await crypto.subtle.importKey("raw", new Uint8Array(fromHex(key)), "Ed25519", false, ["verify"]),
        new Uint8Array(sig),
        new Uint8Array(message),
      );
    const e = JSON.parse(readFileSync(join(DIR, "envelope.json"), "utf8")) as Record<string, string>;
    const env = decodeEnvelope(fromHex(e.envelope!));
    expect(
      await web(e.authorKey!, env.signature, envelopeSignedBytes(env.headerBytes, env.body.length, env.bodyHash)),
    ).toBe(true);
    const blk = decodeBlock(
      fromHex((JSON.parse(readFileSync(join(DIR, "block.json"), "utf8")) as Record<string, string>).block!),
    );
    expect(
      await web(e.authorKey!, blk.signature, blockSignedBytes(blk.headerBytes, blk.body.length, blk.bodyHash)),
    ).toBe(true);
    const a = JSON.parse(readFileSync(join(DIR, "accounts.json"), "utf8")) as {
      patient: Record<string, string>;
      clinician: Record<string, string>;
      grantPolicy: Record<string, string>;
      loginProof: Record<string, string>;
    };
    expect(
      await web(
        a.patient.signKey!,
        fromHex(a.grantPolicy.signature!),
        grantPolicySignedBytes(fromHex(a.grantPolicy.bytes!)),
      ),
    ).toBe(true);
    const bundle = decodeKeyBundle(fromHex(a.patient.bundle!));
    expect(await web(a.patient.signKey!, bundle.signature, keyBundleSignedBytes(bundle))).toBe(true);
    const proof = decodeLoginProof(fromHex(a.loginProof.proof!));
    expect(await web(a.clinician.signKey!, proof.signature, signedMessage("login", loginProofPayload(proof)))).toBe(
      true,
    );
  });

  it("the worked example's cover is in the stored covers", () => {
    const v = JSON.parse(readFileSync(join(DIR, "covers.json"), "utf8")) as {
      ranges: { from: number; to: number; nodes: { height: number; index: number }[] }[];
    };
    const example = v.ranges.find((r) => r.from === 3 && r.to === 12)!;
    expect(example.nodes.map(({ height, index }) => [height, index])).toEqual([
      [0, 3],
      [2, 1],
      [2, 2],
      [0, 12],
    ]);
    expect(v.ranges.find((r) => r.from === 1 && r.to === HOUR_LIMIT - 2)!.nodes).toHaveLength(40);
  });
});
