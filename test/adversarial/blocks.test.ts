// Blocks against a lying server (the memory server playing a PatientLog that alters, moves, forges
// and withholds blocks and their manifests). The oracle, as for envelopes: a device shows the honest
// records or stops with a typed error, keeps nothing of what failed, and reads honestly once the
// server behaves. A block whose key, span, scope tag, generation, author or contents were swapped
// or altered is refused; a prefix-only envelope is taken only beside a block that lists it.
import "fake-indexeddb/auto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { sealBlock } from "../../crypto/block.js";
import {
  BLOCK_PREFIX_BYTES,
  decodeBlock,
  decodeBlockPrefix,
  encodeBlock,
  encodeBlockHeader,
  type BlockHeader,
} from "../../shared/blockCodec.js";
import { PREFIX_BYTES } from "../../shared/envelopeCodec.js";
import {
  InvalidSignature,
  MalformedInput,
  OutsideGrant,
  StewardError,
  TamperedEnvelope,
  UnknownAuthor,
} from "../../shared/errors.js";
import { sha256 } from "../../shared/hash.js";
import { encodeManifest } from "../../shared/manifest.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import { encodeContent } from "../../shared/shardContent.js";
import { loadSodium } from "../../crypto/sodium.js";
import { objectKind, type Page, type PageEntry } from "../../shared/syncFrames.js";
import { openGrant } from "../../crypto/grant.js";
import { createKeyRing, scopeTags, type KeyRing } from "../../client/keyRing.js";
import { ownKeySource } from "../../client/keySource.js";
import { MemoryServer } from "../helpers/memoryServer.js";
import { grantFromRing, granteeDevice, patientDevice, type Device } from "../helpers/patientDevice.js";

// 64 closed hours from a 64-aligned hour: blocks of every node up to level 13 get sealed.
const H = 491_008;
const reading = (hour: number, i: number, mgdl: number): StewardRecord => ({
  id: `cgm-${hour}-${i}`,
  type: "cgm",
  time: hour * MS_PER_HOUR + i * 300_000,
  body: { mgdl },
});
const data = Array.from({ length: 64 * 4 }, (_, i) => reading(H + Math.floor(i / 4), i % 4, 80 + (i % 150)));
const range = { scope: "glucose" as Scope, from: H * MS_PER_HOUR, to: (H + 64) * MS_PER_HOUR - 1 };

const open: Device[] = [];
function track(d: Device): Device {
  open.push(d);
  return d;
}

async function readings(d: Device): Promise<string[]> {
  return (await d.records.query(range)).map((r) => `${r.id}=${r.type === "cgm" ? r.body.mgdl : "?"}`);
}

async function stored(d: Device) {
  return { envelopes: await d.db.envelopes.count(), blocks: await d.db.blocks.count(), after: await d.log.cursor() };
}

type Serve = (page: Page) => Page;
const asIs: Serve = (page) => page;
/** What the real PatientLog serves the clinic's grant (one level-6 node): no block of a wider node. */
const clinicCover: Serve = (page) => ({
  ...page,
  entries: page.entries.filter((e) => objectKind(e.bytes) !== "block" || decodeBlockPrefix(e.bytes).header.level <= 6),
});

/** Rewrites the block entries of every page the server serves (after `honest`, what it serves when it behaves). */
function rewriteBlocks(server: MemoryServer, edit: (entry: PageEntry) => PageEntry, honest: Serve = asIs): void {
  server.servePage = (page: Page) => {
    const served = honest(page);
    return {
      ...served,
      entries: served.entries.map((e) => (objectKind(e.bytes) === "block" && !e.compacted ? edit(e) : e)),
    };
  };
}

function withHeader(bytes: Uint8Array, change: Partial<BlockHeader>): Uint8Array {
  const block = decodeBlock(bytes);
  const header = { ...block.header, ...change };
  return encodeBlock({ ...block, header, headerBytes: encodeBlockHeader(header) });
}

describe("blocks from a lying server", () => {
  let ring: KeyRing;
  let server: MemoryServer;
  let phone: Device;
  let honest: string[];

  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
    clinician = createAccountKeys();
    server = new MemoryServer();
    server.pageSize = 1000;
    phone = patientDevice(ring, server.transport("phone"), "phone");
    await phone.records.put(data);
    await phone.sync.sync();
    honest = await readings(phone);
    expect(server.log(phone.log.patient).some((r) => objectKind(r.bytes) === "block")).toBe(true);
  });

  afterEach(async () => {
    server.servePage = undefined;
    for (const d of open.splice(0)) await d.close();
  });

  /** A new reader refuses what the server serves now, keeps nothing of it, and reads honestly once it behaves. */
  async function refusedThenHonest(
    reader: () => Device,
    expected: abstract new (...args: never[]) => StewardError,
    honestServe: Serve = asIs,
  ): Promise<void> {
    const d = track(reader());
    await expect(d.sync.sync()).rejects.toBeInstanceOf(expected);
    const before = await stored(d);
    expect(before.blocks).toBe(0);
    server.servePage = honestServe;
    await d.sync.sync();
    expect(await readings(d)).toEqual(honest);
  }

  let clinician: ReturnType<typeof createAccountKeys>;
  const laptop = () => patientDevice(ring, server.transport("laptop"), "laptop");
  const clinic = () =>
    granteeDevice(
      openGrant(grantFromRing(ring, clinician, ["glucose"], H, H + 63).wire, clinician, ring.account.signKey),
      clinician,
      server.transport("clinic"),
      "clinic",
    );

  it("moved to another span, scope tag or generation, or with its basis or manifest hash changed, fail the signature", async () => {
    const changes: Partial<BlockHeader>[] = [
      { node: 1 },
      { level: 13, node: Math.floor(H / 8192) },
      { scopeTag: scopeTags(ring.data!).get("insulin")! },
      { generation: 2 },
      { basis: 1 },
      { manifestHash: new Uint8Array(32) },
    ];
    for (const change of changes) {
      rewriteBlocks(server, (e) => ({ ...e, bytes: withHeader(e.bytes, change) }));
      await refusedThenHonest(laptop, InvalidSignature);
      rewriteBlocks(server, (e) => ({ ...e, bytes: withHeader(e.bytes, change) }), clinicCover);
      await refusedThenHonest(clinic, InvalidSignature, clinicCover);
    }
  });

  it("whose contents changed fail their hash, or (rehashed) their signature", async () => {
    const flip = (bytes: Uint8Array, rehash: boolean) => {
      const out = bytes.slice();
      out[BLOCK_PREFIX_BYTES + 60]! ^= 1;
      if (rehash) out.set(sha256(out.subarray(BLOCK_PREFIX_BYTES)), 154 + 4);
      return out;
    };
    rewriteBlocks(server, (e) => ({ ...e, bytes: flip(e.bytes, false) }), clinicCover);
    await refusedThenHonest(clinic, MalformedInput, clinicCover);
    rewriteBlocks(server, (e) => ({ ...e, bytes: flip(e.bytes, true) }), clinicCover);
    await refusedThenHonest(clinic, InvalidSignature, clinicCover);
  });

  it("sealed under another node's key, signed by a patient's device, fail the commitment before any decryption", async () => {
    const keys = ownKeySource(ring);
    rewriteBlocks(
      server,
      (e) => {
        const { header } = decodeBlock(e.bytes);
        // The right header, the key of the neighbouring node: genuine signature, wrong key.
        const wrongKey = keys.nodeKey("glucose", header.generation, { height: header.level, index: header.node ^ 1 });
        const plaintext = encodeContent(
          { readings: [], view: [], deleted: [], yjs: [] },
          { scope: "glucose", first: header.node * 2 ** header.level, last: (header.node + 1) * 2 ** header.level - 1 },
        );
        return {
          ...e,
          bytes: encodeBlock(
            sealBlock({
              header: { ...header, blockId: crypto.getRandomValues(new Uint8Array(16)) },
              plaintext,
              nodeKey: wrongKey,
              authorSecretKey: phone.author.signSecretKey,
            }),
          ),
        };
      },
      clinicCover,
    );
    await refusedThenHonest(clinic, TamperedEnvelope, clinicCover);
  });

  it("sealed by anyone but the patient's devices (a write grantee holds the keys) are refused", async () => {
    const nurse = createAccountKeys();
    const grant = openGrant(grantFromRing(ring, nurse, ["glucose"], H, H + 63, true).wire, nurse, ring.account.signKey);
    rewriteBlocks(
      server,
      (e) => {
        const { header } = decodeBlock(e.bytes);
        const nodeKey = grant.nodeKey("glucose", header.generation, { height: header.level, index: header.node });
        const plaintext = encodeContent(
          { readings: [reading(H, 0, 45)], view: [], deleted: [], yjs: [] },
          { scope: "glucose", first: header.node * 2 ** header.level, last: (header.node + 1) * 2 ** header.level - 1 },
        );
        return {
          ...e,
          bytes: encodeBlock(
            sealBlock({
              header: { ...header, authorKey: nurse.signKey },
              plaintext,
              nodeKey,
              authorSecretKey: nurse.signSecretKey,
            }),
          ),
        };
      },
      clinicCover,
    );
    await refusedThenHonest(clinic, UnknownAuthor, clinicCover);
  });

  it("of hours outside a grant are refused by the grantee even when the server sends them", async () => {
    const narrow = () =>
      granteeDevice(
        openGrant(grantFromRing(ring, clinician, ["glucose"], H + 8, H + 15).wire, clinician, ring.account.signKey),
        clinician,
        server.transport("clinic"),
        "narrow",
      );
    const level13 = server
      .log(phone.log.patient)
      .find((r) => objectKind(r.bytes) === "block" && decodeBlock(r.bytes).header.level === 13)!;
    server.servePage = (page) => ({ ...page, entries: [{ seq: level13.seq, compacted: false, bytes: level13.bytes }] });
    const d = track(narrow());
    await expect(d.sync.sync()).rejects.toBeInstanceOf(OutsideGrant);
    expect((await stored(d)).blocks).toBe(0);
  });

  it("listing an envelope's id and link is the only way a prefix-only envelope is taken; a forged manifest is refused", async () => {
    const rows = server.log(phone.log.patient);
    const envelope = rows.find((r) => objectKind(r.bytes) === "envelope")!;
    const block = rows.find((r) => objectKind(r.bytes) === "block")!;
    // The envelope served as its prefix, with a block whose manifest (as served) lists it but whose author signed another list.
    const manifest = encodeManifest([
      { envelopeId: decodeBlock(block.bytes).header.blockId, link: new Uint8Array(32) },
    ]);
    server.servePage = (page) => ({
      ...page,
      entries: page.entries.map((e) =>
        e.seq === envelope.seq
          ? { ...e, compacted: true, bytes: e.bytes.subarray(0, PREFIX_BYTES) }
          : e.seq === block.seq
            ? { ...e, manifest }
            : e,
      ),
    });
    const d = track(laptop());
    await expect(d.sync.sync()).rejects.toBeInstanceOf(StewardError);
    server.servePage = undefined;
    await d.sync.sync();
    expect(await readings(d)).toEqual(honest);
  });
});
