// A share as the grantee's device sees it end, against the real worker: the same typed error on
// open, pull and socket (ExpiredGrant, RevokedGrant), `sync.status.ended` saying which, and that
// share's data gone from IndexedDB while another share from the same patient keeps its own; plus
// the checks on what a patient passes to share and revoke-everything.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Grantee, Patient, type GrantEnd, type SharedView, type StewardRecord } from "../../client/index.js";
import { StewardDatabase } from "../../client/store/database.js";
import { ExpiredGrant, MalformedInput, OutsideGrant, RevokedGrant } from "../../shared/errors.js";
import { startWorker, type LocalWorker } from "./localWorker.js";
import { unique, verifyContact } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;

function options(prefix: string) {
  return { server: worker.url, database: `${prefix}-${unique()}` };
}

function readings(prefix: string, count: number, start: number): StewardRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: "cgm",
    time: start + i * 300_000,
    deviceId: "g7",
    body: { mgdl: 100 + i },
  }));
}

function bolus(id: string, time: number): StewardRecord {
  return { id, type: "bolus", time, body: { subType: "normal", normal: 2 } };
}

/** Envelopes of `patientId` stored in the database `name`. */
async function storedEnvelopes(name: string, patientId: string): Promise<number> {
  const db = new StewardDatabase(name);
  try {
    return await db.envelopes
      .where("[patient+seq]")
      .between([patientId, -Infinity], [patientId, Infinity], true, true)
      .count();
  } finally {
    db.close();
  }
}

function endOf(view: SharedView): Promise<GrantEnd> {
  return new Promise((resolve) => view.sync.onStatus((s) => s.ended && resolve(s.ended)));
}

async function pair(prefix: string) {
  const { patient } = await Patient.create({ ...options(`${prefix}p`), handle: `p${unique()}` });
  const granteeOptions = options(`${prefix}g`);
  const { grantee } = await Grantee.create({ ...granteeOptions, handle: `g${unique()}` });
  await verifyContact(patient, grantee);
  return { patient, grantee, database: granteeOptions.database };
}

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("a share ending, as the grantee's device sees it", () => {
  it("two shares from one patient open side by side; revoking one ends that view only and deletes only its data", async () => {
    const { patient, grantee, database } = await pair("two");
    const now = Date.now();
    await patient.records.put([...readings("g", 12, now - 2 * HOUR), bolus("b1", now - HOUR)]);
    await patient.sync.sync();
    const range = { from: now - 3 * HOUR, to: now, expiresAt: now + 24 * HOUR };
    const glucose = await patient.share({ with: grantee.accountId, scopes: ["glucose"], ...range });
    const insulin = await patient.share({ with: grantee.accountId, scopes: ["insulin"], ...range });
    await grantee.shares();
    const glucoseView = await grantee.open(glucose.grantId);
    const insulinView = await grantee.open(insulin.grantId);
    await glucoseView.sync.sync();
    await insulinView.sync.sync();
    expect(await glucoseView.records.query({ scope: "glucose", from: range.from, to: now })).toHaveLength(12);
    expect((await insulinView.records.query({ scope: "insulin", from: range.from, to: now })).map((r) => r.id)).toEqual(
      ["b1"],
    );
    const before = await storedEnvelopes(database, patient.accountId);

    await patient.revoke(glucose.grantId);
    const ended = endOf(glucoseView);
    await expect(glucoseView.sync.sync()).rejects.toBeInstanceOf(RevokedGrant);
    expect(await ended).toBe("revoked");
    expect(glucoseView.sync.status.error).toBeInstanceOf(RevokedGrant);
    await expect(glucoseView.sync.sync()).rejects.toBeInstanceOf(RevokedGrant);
    expect(await glucoseView.records.query({ scope: "glucose", from: range.from, to: now })).toEqual([]);
    const after = await storedEnvelopes(database, patient.accountId);
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThan(0);

    await insulinView.sync.sync();
    expect(insulinView.sync.status.ended).toBeUndefined();
    expect((await insulinView.records.query({ scope: "insulin", from: range.from, to: now })).map((r) => r.id)).toEqual(
      ["b1"],
    );
    await expect(grantee.open(glucose.grantId)).rejects.toBeInstanceOf(RevokedGrant);
    await Promise.all([patient.close(), grantee.close()]);
  });

  it("revoke everything with re-issue: the live view says its grant was revoked over the socket, and the kept person gets a new share", async () => {
    const { patient, grantee, database } = await pair("all");
    const now = Date.now();
    await patient.records.put(readings("r", 6, now - HOUR));
    await patient.sync.sync();
    const first = await patient.share({
      with: grantee.accountId,
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + 24 * HOUR,
      live: true,
    });
    await grantee.shares();
    const view = await grantee.open(first.grantId);
    await view.sync.follow();
    expect(await view.records.query({ scope: "glucose", from: now - HOUR, to: now })).toHaveLength(6);
    const ended = endOf(view);

    await expect(patient.revokeEverything({ keep: ["nobody-at-all"] })).rejects.toBeInstanceOf(MalformedInput);
    expect((await patient.grants()).find((g) => g.grantId === first.grantId)?.status).toBe("active");
    const result = await patient.revokeEverything({ keep: [`@${grantee.handle.toUpperCase()}`] });
    expect(result).toEqual({ revoked: 1, reissued: 1 });
    expect(await ended).toBe("revoked");
    expect(await storedEnvelopes(database, patient.accountId)).toBe(0);

    const [second] = await grantee.shares();
    expect(second!.grantId).not.toBe(first.grantId);
    const renewed = await grantee.open(second!.grantId);
    await patient.records.put(readings("after", 1, Date.now()));
    await patient.sync.sync();
    await renewed.sync.sync();
    expect(
      (await renewed.records.query({ scope: "glucose", from: now - HOUR, to: Date.now() + 60_000 })).map((r) => r.id),
    ).toContain("after-0");
    await Promise.all([patient.close(), grantee.close()]);
  });

  it("a share revoked while no view had it open leaves the device on the next listing", async () => {
    const { patient, grantee, database } = await pair("closed");
    const now = Date.now();
    await patient.records.put(readings("c", 4, now - HOUR));
    await patient.sync.sync();
    const share = await patient.share({
      with: grantee.accountId,
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + 24 * HOUR,
    });
    await grantee.shares();
    const view = await grantee.open(share.grantId);
    await view.sync.sync();
    await view.close();
    expect(await storedEnvelopes(database, patient.accountId)).toBeGreaterThan(0);

    await patient.revoke(share.grantId);
    expect(await grantee.shares()).toEqual([]);
    expect(await storedEnvelopes(database, patient.accountId)).toBe(0);
    await Promise.all([patient.close(), grantee.close()]);
  });

  it('an expired share: the view ends with "expired", and opening or pulling it again raises ExpiredGrant', async () => {
    const { patient, grantee } = await pair("exp");
    const now = Date.now();
    await patient.records.put(readings("e", 3, now - HOUR));
    await patient.sync.sync();
    const share = await patient.share({
      with: grantee.accountId,
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + 4_000,
    });
    await grantee.shares();
    const view = await grantee.open(share.grantId);
    await view.sync.sync();
    expect(await endOf(view)).toBe("expired");
    await expect(view.sync.sync()).rejects.toBeInstanceOf(ExpiredGrant);
    await expect(grantee.open(share.grantId)).rejects.toBeInstanceOf(ExpiredGrant);
    await Promise.all([patient.close(), grantee.close()]);
  });
});

describe("what a patient passes to share and revoke everything", () => {
  it("refuses unknown categories, bad ranges and unknown keep entries with MalformedInput naming them", async () => {
    const { patient, grantee } = await pair("input");
    const now = Date.now();
    const base = { with: grantee.accountId, from: now - HOUR, to: now, expiresAt: now + HOUR };
    await expect(patient.share({ ...base, scopes: ["bogus" as "glucose"] })).rejects.toThrow(MalformedInput);
    await expect(patient.share({ ...base, scopes: ["bogus" as "glucose"] })).rejects.toThrow(
      /"bogus" is not a category/,
    );
    await expect(patient.share({ ...base, scopes: ["glucose"], to: now - 2 * HOUR })).rejects.toBeInstanceOf(
      MalformedInput,
    );
    await expect(patient.share({ ...base, scopes: ["glucose"], expiresAt: Number.NaN })).rejects.toBeInstanceOf(
      MalformedInput,
    );
    await expect(
      patient.createInvite({ scopes: [], from: now - HOUR, to: now, expiresAt: now + HOUR }),
    ).rejects.toBeInstanceOf(MalformedInput);
    const first = await patient.share({ ...base, scopes: ["glucose"] });
    // What a person would pass: the contact, the grant, an account id, a handle; each keeps that person.
    const contact = patient.contacts().find((c) => c.accountId === grantee.accountId)!;
    const active = async () => (await patient.grants()).find((g) => g.status === "active")!;
    for (const keep of [() => contact, active, () => grantee.accountId, () => grantee.handle]) {
      await expect(patient.revokeEverything({ keep: [await keep()] })).resolves.toEqual({ revoked: 1, reissued: 1 });
    }
    // The first grant ended long ago: naming it keeps nobody, so nothing is revoked.
    await expect(patient.revokeEverything({ keep: [first.grantId] })).rejects.toThrow(/names no active grant/);
    expect((await patient.grants()).filter((g) => g.status === "active")).toHaveLength(1);
    await Promise.all([patient.close(), grantee.close()]);
  });

  it("a pull outside the grant is OutsideGrant, the same class as reading outside it locally", async () => {
    const { patient, grantee } = await pair("outside");
    const now = Date.now();
    const share = await patient.share({
      with: grantee.accountId,
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + HOUR,
    });
    await grantee.shares();
    const view = await grantee.open(share.grantId);
    await expect(view.records.query({ scope: "insulin", from: now - HOUR, to: now })).rejects.toBeInstanceOf(
      OutsideGrant,
    );
    const api = (grantee as unknown as { api: import("../../client/api/serverApi.js").ServerApi }).api;
    await expect(
      api.request("GET", `/v1/patients/${patient.accountId}/envelopes`, {
        auth: true,
        query: { tags: "00".repeat(16) },
      }),
    ).rejects.toBeInstanceOf(OutsideGrant);
    await Promise.all([patient.close(), grantee.close()]);
  });
});
