import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, type AccountKeys } from "../../crypto/accountKeys.js";
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { OutsideGrant, StewardError } from "../../shared/errors.js";
import { openGrant } from "../../crypto/grant.js";
import { loadSodium } from "../../crypto/sodium.js";
import type { StewardRecord } from "../../shared/records.js";
import { createKeyRing, rotateScopes, scopeTags, type KeyRing } from "../../client/keyRing.js";
import { MemoryServer } from "../helpers/memoryServer.js";
import { grantFromRing, granteeDevice, patientDevice, unsent } from "../helpers/patientDevice.js";

const H = 480_000;
const hourMs = (h: number) => h * 3_600_000;
const cgm = (h: number, mgdl: number): StewardRecord => ({
  id: `cgm-${h}`,
  type: "cgm",
  time: hourMs(h) + 60_000,
  body: { mgdl },
});
const bolus = (h: number): StewardRecord => ({
  id: `bolus-${h}`,
  type: "bolus",
  time: hourMs(h) + 60_000,
  body: { subType: "normal", normal: 2.5 },
});

describe("a grantee's view of a patient log", () => {
  let ring: KeyRing;
  let clinician: AccountKeys;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
    clinician = createAccountKeys();
  });

  it("decrypts exactly the granted scope and hours, and fails closed on the rest", async () => {
    const patient = patientDevice(ring, new MemoryServer().transport(), "granted-view");
    await patient.records.put([cgm(H, 100), cgm(H + 1, 110), cgm(H + 2, 120), bolus(H + 1)]);
    const grant = openGrant(
      grantFromRing(ring, clinician, ["glucose"], H, H + 1).wire,
      clinician,
      ring.account.signKey,
    );
    const view = granteeDevice(grant, clinician, new MemoryServer().transport(), "granted-view");
    const all = await unsent(patient.log);
    const glucoseTag = toHex(scopeTags(ring.data!).get("glucose")!);
    // What an honest server sends: the granted tag and hours only.
    const allowed = all.filter((e) => e.tag === glucoseTag && e.hour >= H && e.hour <= H + 1);
    await view.log.ingest(allowed.map((e, i) => ({ seq: i + 1, compacted: false, bytes: e.bytes })));
    expect(
      (await view.records.query({ scope: "glucose", from: hourMs(H - 5), to: hourMs(H + 5) })).map((r) => r.id),
    ).toEqual(["cgm-480000", "cgm-480001"]);
    // A server that also sends hour H+2 or insulin gets a typed refusal, and nothing is stored.
    const extra = all.find((e) => e.tag === glucoseTag && e.hour === H + 2)!;
    await expect(view.log.ingest([{ seq: 10, compacted: false, bytes: extra.bytes }])).rejects.toBeInstanceOf(
      OutsideGrant,
    );
    const insulin = all.find((e) => e.tag !== glucoseTag)!;
    await expect(view.log.ingest([{ seq: 11, compacted: false, bytes: insulin.bytes }])).rejects.toBeInstanceOf(
      OutsideGrant,
    );
    await expect(view.records.query({ scope: "insulin", from: 0, to: hourMs(H + 5) })).rejects.toBeInstanceOf(
      OutsideGrant,
    );
  });

  it("after a rotation, new readings (backfill of old hours included) do not decrypt with the old grant (T22)", async () => {
    const caregiverGrant = openGrant(
      grantFromRing(ring, clinician, ["glucose"], H, H + 48).wire,
      clinician,
      ring.account.signKey,
    );
    rotateScopes(ring.data!, ["glucose"]);
    const patient = patientDevice(ring, new MemoryServer().transport(), "granted-view");
    await patient.records.put([cgm(H + 3, 140)]);
    const [written] = await unsent(patient.log);
    const envelope = decodeEnvelope(written!.bytes);
    expect(envelope.header.generation).toBe(2);
    const view = granteeDevice(caregiverGrant, clinician, new MemoryServer().transport(), "granted-view");
    await expect(view.log.ingest([{ seq: 1, compacted: false, bytes: written!.bytes }])).rejects.toBeInstanceOf(
      StewardError,
    );
    // Even trying the old generation's leaf on it fails: the commitment binds the key.
    expect(() => caregiverGrant.leaf("glucose", 2, H + 3)).toThrow(OutsideGrant);
  });
});
