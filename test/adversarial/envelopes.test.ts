// Storage-level attacks: the memory server plays a PatientLog that alters, moves, invents, drops,
// reorders, replays, rolls back and forks the envelopes it serves to the real client stack (shard
// store, record store, sync engine; each device with its own IndexedDB). The oracle: a device
// either shows the honest records or stops with a typed error, keeps nothing of what failed, and
// shows the honest records again once the server behaves.
import "fake-indexeddb/auto";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccountKeys, sign, type AccountKeys } from "../../crypto/accountKeys.js";
import { MAX_BLOCK_LEVEL } from "../../shared/blockCodec.js";
import { toHex } from "../../shared/bytes.js";
import { sealEnvelope } from "../../crypto/envelope.js";
import {
  COMMIT_BYTES,
  HEADER_BYTES,
  NONCE_BYTES,
  PREFIX_BYTES,
  TAG_BYTES,
  ZERO_HASH,
  decodeEnvelope,
  encodeEnvelope,
  encodeHeader,
  encodeSeal,
  type EnvelopeHeader,
} from "../../shared/envelopeCodec.js";
import {
  ForkDetected,
  GapDetected,
  InvalidSignature,
  MalformedInput,
  OutsideGrant,
  RollbackDetected,
  StewardError,
  TamperedEnvelope,
  UnsupportedVersion,
} from "../../shared/errors.js";
import { openGrant, type OpenedGrant } from "../../crypto/grant.js";
import { sha256 } from "../../shared/hash.js";
import { accountIdOf } from "../../shared/keyBundle.js";
import { isBucketSize } from "../../crypto/padding.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { EMPTY_CONTENT, encodeContent } from "../../shared/shardContent.js";
import { objectKind, type Page, type PageEntry } from "../../shared/syncFrames.js";
import { createKeyRing, rotateScopes, scopeTags, type KeyRing } from "../../client/keyRing.js";
import { MemoryServer } from "../helpers/memoryServer.js";
import { grantFromRing, granteeDevice, patientDevice, unsent, type Device } from "../helpers/patientDevice.js";

// The current hour: these hours are open, so the devices seal no blocks and every object here is an hour envelope
// (blocks have their own suite, blocks.test.ts).
const H = Math.floor(Date.now() / MS_PER_HOUR);
const reading = (hour: number, mgdl: number, id = `cgm-${hour}`): StewardRecord => ({
  id,
  type: "cgm",
  time: hour * MS_PER_HOUR + 120_000,
  body: { mgdl },
});
const range = { scope: "glucose" as Scope, from: (H - 48) * MS_PER_HOUR, to: (H + 48) * MS_PER_HOUR };
const honest = [reading(H, 101), reading(H + 1, 102), reading(H + 2, 103), reading(H + 3, 104)];

const open: Device[] = [];
function track(d: Device): Device {
  open.push(d);
  return d;
}

/** Rewrites every served entry with `edit` (the server lies about what it stores). */
function rewriteEntries(
  server: MemoryServer,
  edit: (entry: PageEntry, index: number) => PageEntry | PageEntry[],
): void {
  server.servePage = (page: Page) => ({ ...page, entries: page.entries.flatMap((e, i) => edit(e, i)) });
}

function withHeader(bytes: Uint8Array, change: Partial<EnvelopeHeader>): Uint8Array {
  const envelope = decodeEnvelope(bytes);
  return encodeEnvelope({
    ...envelope,
    header: { ...envelope.header, ...change },
    headerBytes: encodeHeader({ ...envelope.header, ...change }),
  });
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0x01;
  return out;
}

/** The server also fixes the body hash after changing the body, so only the signature can catch it. */
function rehashed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(sha256(out.subarray(PREFIX_BYTES)), HEADER_BYTES + 4);
  return out;
}

async function glucose(d: Device): Promise<string[]> {
  return (await d.records.query(range)).map((r) => `${r.id}=${r.type === "cgm" ? r.body.mgdl : "?"}`);
}

async function stored(d: Device): Promise<{ envelopes: number; after: number }> {
  return { envelopes: await d.db.envelopes.count(), after: await d.log.cursor() };
}

function grantTo(
  ring: KeyRing,
  grantee: AccountKeys,
  scopes: Scope[],
  fromHour: number,
  toHour: number,
  write = false,
): OpenedGrant {
  return openGrant(grantFromRing(ring, grantee, scopes, fromHour, toHour, write).wire, grantee, ring.account.signKey);
}

/** An envelope someone holding `leaf` and `signer` seals for the patient's log. */
function forged(
  ring: KeyRing,
  leaf: Uint8Array,
  signer: AccountKeys,
  hour: number,
  scope: Scope = "glucose",
  seq = 1,
): Uint8Array {
  return encodeEnvelope(
    sealEnvelope({
      header: {
        kind: "update",
        patientId: accountIdOf(ring.account.signKey),
        scopeTag: scopeTags(ring.data!).get(scope)!,
        generation: 1,
        hour,
        envelopeId: sodium().randombytes_buf(16),
        authorKey: signer.signKey,
        deviceId: sodium().randombytes_buf(16),
        seq,
        prevHash: ZERO_HASH,
      },
      plaintext: encodeContent(EMPTY_CONTENT, { scope, first: hour, last: hour }),
      leaf,
      authorSecretKey: signer.signSecretKey,
    }),
  );
}

describe("a lying server, seen by the real client stack", () => {
  let ring: KeyRing;
  let server: MemoryServer;
  let phone: Device;
  let laptop: Device;

  beforeAll(loadSodium);

  async function setUp(): Promise<void> {
    ring = createKeyRing(true, "test").ring;
    server = new MemoryServer();
    phone = track(patientDevice(ring, server.transport("phone"), "phone"));
    laptop = track(patientDevice(ring, server.transport("laptop"), "laptop"));
    for (const r of honest) await phone.records.put([r]);
    await phone.sync.sync();
  }

  /** The laptop refuses what the server serves now, keeps nothing of it, and reads honestly once it behaves. */
  async function refusedThenHonest(expected: new (...args: never[]) => StewardError): Promise<void> {
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(expected);
    expect(laptop.sync.status.error).toBeInstanceOf(expected);
    const genuine = new Set(server.log(phone.log.patient).map((r) => toHex(r.bytes)));
    for (const row of await laptop.db.envelopes.toArray()) expect(genuine.has(toHex(row.bytes))).toBe(true);
    server.servePage = undefined;
    await laptop.sync.sync();
    expect(await glucose(laptop)).toEqual(await glucose(phone));
  }

  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });

  it("T5 every altered byte of nonce, commitment, ciphertext and tag, and truncated or extended bodies, are refused", async () => {
    await setUp();
    const sample = server.log(phone.log.patient)[0]!.bytes;
    const offsets = [
      PREFIX_BYTES,
      PREFIX_BYTES + NONCE_BYTES - 1,
      PREFIX_BYTES + NONCE_BYTES,
      PREFIX_BYTES + NONCE_BYTES + COMMIT_BYTES - 1,
      PREFIX_BYTES + NONCE_BYTES + COMMIT_BYTES + 5,
      sample.length - TAG_BYTES,
      sample.length - 1,
    ];
    for (const at of offsets) {
      for (const fix of [false, true]) {
        rewriteEntries(server, (e) => ({ ...e, bytes: fix ? rehashed(flip(e.bytes, at)) : flip(e.bytes, at) }));
        await refusedThenHonest(fix ? InvalidSignature : MalformedInput);
        await laptop.close();
        laptop = track(patientDevice(ring, server.transport("laptop"), "laptop"));
      }
    }
    rewriteEntries(server, (e) => ({ ...e, bytes: e.bytes.subarray(0, e.bytes.length - 1) }));
    await refusedThenHonest(MalformedInput);
  });

  it("T6 each header field changed by the server is refused (the signature covers the header)", async () => {
    await setUp();
    const other = createAccountKeys();
    const changes: Partial<EnvelopeHeader>[] = [
      { generation: 2 },
      { hour: H + 40 },
      { envelopeId: new Uint8Array(16).fill(7) },
      { deviceId: new Uint8Array(16).fill(9) },
      { seq: 9 },
      { prevHash: new Uint8Array(32).fill(1) },
      { authorKey: other.signKey },
    ];
    for (const change of changes) {
      rewriteEntries(server, (e) => ({ ...e, bytes: withHeader(e.bytes, change) }));
      const before = await stored(laptop);
      await expect(laptop.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
      expect(await stored(laptop)).toEqual(before);
    }
    server.servePage = undefined;
    await laptop.sync.sync();
    expect(await glucose(laptop)).toEqual(honest.map((r) => `${r.id}=${(r.body as { mgdl: number }).mgdl}`));
  });

  it("T7 envelopes moved to another patient, scope or hour are refused, even when re-signed by a writer", async () => {
    await setUp();
    // Another patient's genuine envelope copied into this log.
    const other = createKeyRing(true, "test").ring;
    const elsewhere = track(patientDevice(other, server.transport("other"), "other"));
    await elsewhere.records.put([reading(H, 250)]);
    const [foreign] = await unsent(elsewhere.log);
    server.inject(phone.log.patient, foreign!.bytes, "laptop");
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
    server.restore(
      new Map([[phone.log.patient, server.log(phone.log.patient).filter((r) => r.bytes !== foreign!.bytes)]]),
    );

    // A write-grantee (it can sign) moves its own envelope to the next hour and to insulin: the header is in the commitment and the AD.
    const nurse = createAccountKeys();
    const grant = grantTo(ring, nurse, ["glucose", "insulin"], H, H + 10, true);
    const writers = () => [
      { signKey: nurse.signKey, scopes: ["glucose", "insulin"] as Scope[], fromHour: H, toHour: H + 10 },
    ];
    const reader = track(patientDevice(ring, server.transport("reader"), "reader", writers));
    await reader.sync.sync();
    const own = forged(ring, grant.leaf("glucose", 1, H + 4), nurse, H + 4);
    const envelope = decodeEnvelope(own);
    const moves: Partial<EnvelopeHeader>[] = [{ hour: H + 5 }, { scopeTag: scopeTags(ring.data!).get("insulin")! }];
    for (const move of moves) {
      const header = { ...envelope.header, ...move };
      const headerBytes = encodeHeader(header);
      const resigned = encodeEnvelope({
        ...envelope,
        header,
        headerBytes,
        signature: sign(
          "envelope",
          nurse.signSecretKey,
          headerBytes,
          encodeSeal(envelope.body.length, envelope.bodyHash),
        ),
      });
      const seq = server.inject(phone.log.patient, resigned);
      await expect(reader.sync.sync()).rejects.toBeInstanceOf(TamperedEnvelope);
      server.restore(new Map([[phone.log.patient, server.log(phone.log.patient).filter((r) => r.seq !== seq)]]));
    }
  });

  it("T8 envelopes the server invents, or that a reader or an out-of-range writer signs, are refused with the server's checks off", async () => {
    await setUp();
    const clinician = createAccountKeys();
    const readGrant = grantTo(ring, clinician, ["glucose"], H - 24, H + 24);
    const invented = createKeyRing(true, "test").ring;
    const nurse = createAccountKeys();
    const nurseGrant = grantTo(ring, nurse, ["glucose"], H - 24, H + 24, true);
    const writers = () => [{ signKey: nurse.signKey, scopes: ["glucose"] as Scope[], fromHour: H, toHour: H + 1 }];
    const injections = [
      forged(ring, sodium().randombytes_buf(32), invented.account, H), // (a) a key and a signer the server made up
      forged(ring, readGrant.leaf("glucose", 1, H), clinician, H), // (b, d) correctly encrypted, signed by a read-only grantee
      forged(ring, nurseGrant.leaf("glucose", 1, H + 5), nurse, H + 5), // (e) a writing grantee outside the hours it may write
    ];
    for (const bytes of injections) {
      const reader = track(patientDevice(ring, server.transport("reader"), "reader", writers));
      const seq = server.inject(phone.log.patient, bytes);
      await expect(reader.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
      expect(await glucose(reader)).toEqual(await glucose(phone));
      server.restore(new Map([[phone.log.patient, server.log(phone.log.patient).filter((r) => r.seq !== seq)]]));
    }
    // The same writer inside its hours is accepted: the check is authorization, not a blanket refusal.
    const reader = track(patientDevice(ring, server.transport("reader"), "reader", writers));
    server.inject(phone.log.patient, forged(ring, nurseGrant.leaf("glucose", 1, H + 1), nurse, H + 1));
    await reader.sync.sync();
    expect(await glucose(reader)).toEqual(await glucose(phone));
  });

  it("T10 a server restored to an earlier point in time is detected by every device that saw more", async () => {
    await setUp();
    await laptop.sync.sync();
    const earlier = server.snapshot();
    await phone.records.put([reading(H + 4, 140), reading(H + 5, 150)]);
    await phone.sync.sync();
    await laptop.sync.sync();
    const seen = await glucose(laptop);
    server.restore(earlier);
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(RollbackDetected);
    await expect(phone.sync.pull()).rejects.toBeInstanceOf(RollbackDetected);
    expect(await glucose(laptop)).toEqual(seen);
  });

  it("T11 an old envelope served again under a new number changes nothing", async () => {
    await setUp();
    await laptop.sync.sync();
    const before = await glucose(laptop);
    const old = server.log(phone.log.patient)[0]!;
    server.inject(phone.log.patient, old.bytes);
    await laptop.sync.sync();
    expect(await glucose(laptop)).toEqual(before);
    expect(await laptop.db.envelopes.count()).toBe(honest.length);
  });

  it("T12 a dropped or reordered envelope in a device's chain is detected (GapDetected; RollbackDetected for a grantee)", async () => {
    await setUp();
    rewriteEntries(server, (e, i) => (i === 1 ? [] : e));
    await refusedThenHonest(GapDetected);

    await laptop.close();
    laptop = track(patientDevice(ring, server.transport("laptop"), "laptop"));
    server.servePage = (page) => ({
      ...page,
      entries: page.entries.map((e, i, all) => ({ ...e, bytes: all[i === 1 ? 2 : i === 2 ? 1 : i]!.bytes })),
    });
    await refusedThenHonest(GapDetected);

    const clinician = createAccountKeys();
    const view = track(
      granteeDevice(
        grantTo(ring, clinician, ["glucose"], H - 24, H + 24),
        clinician,
        server.transport("clinic"),
        "clinic",
      ),
    );
    server.servePage = (page) => ({
      ...page,
      entries: page.entries.map((e, i, all) => ({ ...e, bytes: all[i === 1 ? 2 : i === 2 ? 1 : i]!.bytes })),
    });
    await expect(view.sync.sync()).rejects.toBeInstanceOf(RollbackDetected);
  });

  it("T13 a server showing the phone and the laptop different histories is caught when it serves the other fork", async () => {
    await setUp();
    await laptop.sync.sync();
    server.fork("laptop");
    await laptop.records.put([reading(H + 6, 160)]);
    await laptop.sync.push(); // acknowledged as number 5 in the laptop's fork, not pulled yet
    await phone.records.put([reading(H + 7, 170)]);
    await phone.sync.sync(); // number 5 in the phone's history is another envelope
    // The server now serves the laptop the phone's history.
    server.servePage = (page, request) =>
      request.client === "laptop"
        ? {
            ...page,
            entries: server
              .log(phone.log.patient)
              .filter((r) => r.seq > request.after)
              .map((r) => ({ seq: r.seq, compacted: false, bytes: r.bytes })),
          }
        : page;
    await expect(laptop.sync.pull()).rejects.toBeInstanceOf(ForkDetected);
    // The phone, shown the laptop's fork later, sees the laptop's chain start past the envelope it was never given.
    server.servePage = undefined;
    await laptop.records.put([reading(H + 8, 180)]);
    await laptop.sync.push();
    const forked = server.log(phone.log.patient, "laptop");
    server.servePage = (page, request) =>
      request.client === "phone"
        ? {
            ...page,
            entries: forked
              .filter((r) => r.seq > request.after)
              .map((r) => ({ seq: r.seq, compacted: false, bytes: r.bytes })),
          }
        : page;
    await expect(phone.sync.pull()).rejects.toBeInstanceOf(GapDetected);
  });

  it("T14 an envelope withheld from the middle of a device's chain is noticed, and the device catches up once it is served", async () => {
    await setUp();
    rewriteEntries(server, (e, i) => (i === 2 ? [] : e));
    await refusedThenHonest(GapDetected);
    expect(await glucose(laptop)).toHaveLength(honest.length);
  });

  it("T15 an envelope served as an older or newer format version is refused", async () => {
    await setUp();
    const relabelled = (version: number) =>
      rewriteEntries(server, (e) => {
        const bytes = e.bytes.slice();
        bytes[4] = version;
        return { ...e, bytes };
      });
    for (const version of [0, 3, 255]) {
      relabelled(version);
      const before = await stored(laptop);
      await expect(laptop.sync.sync()).rejects.toBeInstanceOf(UnsupportedVersion);
      expect(await stored(laptop)).toEqual(before);
    }
    // Version 1 is what a v1 log holds: only the patient's devices read it, to migrate it, and a v2
    // envelope relabelled as v1 no longer verifies; a grantee refuses version 1 outright.
    relabelled(1);
    const before = await stored(laptop);
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
    expect(await stored(laptop)).toEqual(before);
    const clinician = createAccountKeys();
    const view = track(
      granteeDevice(
        grantTo(ring, clinician, ["glucose"], H - 24, H + 24),
        clinician,
        server.transport("clinic"),
        "clinic",
      ),
    );
    await expect(view.sync.sync()).rejects.toBeInstanceOf(UnsupportedVersion);
    // A v2 kind that does not exist (v1's compaction) is refused before any signature check.
    relabelled(2);
    rewriteEntries(server, (e) => {
      const bytes = e.bytes.slice();
      bytes[5] = 2;
      return { ...e, bytes };
    });
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(MalformedInput);
    expect(await stored(laptop)).toEqual(before);
  });

  it("T20 a genuine patient signature from another protocol (login, grant policy) presented as an envelope signature is refused", async () => {
    await setUp();
    for (const context of ["login", "grantPolicy"] as const) {
      rewriteEntries(server, (e) => {
        const bytes = e.bytes.slice();
        bytes.set(sign(context, ring.account.signSecretKey, bytes.subarray(0, HEADER_BYTES + 36)), HEADER_BYTES + 36);
        return { ...e, bytes };
      });
      await expect(laptop.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
    }
  });

  it("T21 a clinician's device refuses hours just outside the grant and other scopes, even when the server sends them", async () => {
    await setUp();
    await phone.records.put([
      reading(H - 1, 99),
      reading(H + 4, 105),
      { id: "bolus-1", type: "bolus", time: H * MS_PER_HOUR + 60_000, body: { subType: "normal", normal: 2 } },
    ]);
    await phone.sync.sync();
    const clinician = createAccountKeys();
    const grant = grantTo(ring, clinician, ["glucose"], H, H + 3);
    const log = server.log(phone.log.patient);
    const glucoseTag = toHex(scopeTags(ring.data!).get("glucose")!);
    const inRange = (bytes: Uint8Array) => {
      const h = decodeEnvelope(bytes).header;
      return toHex(h.scopeTag) === glucoseTag && h.hour >= H && h.hour <= H + 3;
    };
    for (const outside of log.filter((r) => !inRange(r.bytes))) {
      const view = track(granteeDevice(grant, clinician, server.transport("clinic"), "clinic"));
      server.servePage = (page) => ({
        ...page,
        entries: [
          ...page.entries.filter((e) => inRange(e.bytes)),
          { seq: outside.seq, compacted: false, bytes: outside.bytes },
        ].sort((a, b) => a.seq - b.seq),
      });
      await expect(view.sync.pull()).rejects.toBeInstanceOf(OutsideGrant);
    }
    server.servePage = (page) => ({ ...page, entries: page.entries.filter((e) => inRange(e.bytes)) });
    const view = track(granteeDevice(grant, clinician, server.transport("clinic"), "clinic"));
    await view.sync.sync();
    expect(await glucose(view)).toEqual(honest.map((r) => `${r.id}=${(r.body as { mgdl: number }).mgdl}`));
  });

  it("T22 after a rotation, nothing written later (backfill included) opens with the revoked caregiver's keys; a re-issued grant still reads", async () => {
    await setUp();
    const caregiver = createAccountKeys();
    const revoked = grantTo(ring, caregiver, ["glucose"], H - 24, H + 24);
    const before = server.log(phone.log.patient).length;
    rotateScopes(ring.data!, ["glucose"]);
    const rotated = track(patientDevice(ring, server.transport("phone"), "phone-rotated"));
    await rotated.sync.sync();
    await rotated.records.put([reading(H + 10, 200), reading(H - 5, 60)]);
    await rotated.sync.sync();
    // Two hour envelopes (and the blocks sealed for the closed hour H − 5 under generation 2).
    const later = server
      .log(phone.log.patient)
      .slice(before)
      .filter((r) => objectKind(r.bytes) === "envelope");
    expect(later.length).toBe(2);
    for (const row of later) {
      const { header } = decodeEnvelope(row.bytes);
      expect(header.generation).toBe(2);
      expect(() => revoked.leaf("glucose", header.generation, header.hour)).toThrow(OutsideGrant);
    }
    const revokedView = track(granteeDevice(revoked, caregiver, server.transport("caregiver"), "caregiver"));
    await expect(revokedView.sync.sync()).rejects.toBeInstanceOf(OutsideGrant);
    // The memory server serves every block; the hour H − 5 closes its ancestors up to the top level
    // (how far depends on the time of day), so this grant spans the top node holding it.
    const clinician = createAccountKeys();
    const top = H - 5 - ((H - 5) % 2 ** MAX_BLOCK_LEVEL);
    const remaining = track(
      granteeDevice(
        grantTo(ring, clinician, ["glucose"], top, H + 24),
        clinician,
        server.transport("clinic"),
        "clinic",
      ),
    );
    await remaining.sync.sync();
    expect(await glucose(remaining)).toContain(`cgm-${H + 10}=200`);
  });

  it("T24 a writer's envelope whose commitment was made under another hour's key is refused before any decryption", async () => {
    await setUp();
    const nurse = createAccountKeys();
    const grant = grantTo(ring, nurse, ["glucose"], H, H + 10, true);
    const writers = () => [{ signKey: nurse.signKey, scopes: ["glucose"] as Scope[], fromHour: H, toHour: H + 10 }];
    const reader = track(patientDevice(ring, server.transport("reader"), "reader", writers));
    await reader.sync.sync();
    server.inject(phone.log.patient, forged(ring, grant.leaf("glucose", 1, H + 3), nurse, H + 4));
    const aead = vi.spyOn(sodium(), "crypto_aead_xchacha20poly1305_ietf_decrypt");
    try {
      await expect(reader.sync.sync()).rejects.toBeInstanceOf(TamperedEnvelope);
      expect(aead).not.toHaveBeenCalled();
    } finally {
      aead.mockRestore();
    }
  });

  it("T25 T26 what reaches the server has a fresh nonce per envelope and only padding-bucket sizes", async () => {
    await setUp();
    const texts = Array.from({ length: 120 }, (_, i) => "x".repeat(i * 7));
    for (const [i, text] of texts.entries())
      await phone.records.put([{ id: `note-${i}`, type: "note", time: (H + i) * MS_PER_HOUR, body: { text } }]);
    await phone.sync.sync();
    const bodies = server.log(phone.log.patient).map((r) => decodeEnvelope(r.bytes).body);
    const nonces = new Set(bodies.map((b) => toHex(b.subarray(0, NONCE_BYTES))));
    expect(nonces.size).toBe(bodies.length);
    const padded = bodies.map((b) => b.length - NONCE_BYTES - COMMIT_BYTES - TAG_BYTES);
    for (const length of padded) expect(isBucketSize(length)).toBe(true);
    expect(new Set(padded).size).toBeLessThan(texts.length / 4);
  });

  it("T27 every kind of bad envelope leaves the same trace: a typed error, nothing stored, the same requests", async () => {
    await setUp();
    const corruptions: ((bytes: Uint8Array) => Uint8Array)[] = [
      (b) => flip(b, PREFIX_BYTES + 3),
      (b) => rehashed(flip(b, b.length - 2)),
      (b) => withHeader(b, { hour: H + 30 }),
      (b) => flip(b, 4),
      (b) => b.subarray(0, b.length - 1),
    ];
    const traces = new Set<string>();
    for (const corrupt of corruptions) {
      const calls: string[] = [];
      const transport = server.transport("laptop");
      const device = track(
        patientDevice(
          ring,
          { ...transport, pull: (p, after) => (calls.push(`pull ${after}`), transport.pull(p, after)) },
          "oracle",
        ),
      );
      rewriteEntries(server, (e) => ({ ...e, bytes: corrupt(e.bytes) }));
      const error = await device.sync.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StewardError);
      expect(await stored(device)).toEqual({ envelopes: 0, after: 0 });
      traces.add(calls.join(","));
    }
    expect([...traces]).toEqual(["pull 0"]);
  });
});
