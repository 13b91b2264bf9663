// The role-level SDK end to end: a patient's phone and laptop, a clinician and a caregiver, each
// with its own IndexedDB, against the real worker on a loopback port.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Grantee, Patient, roleOnDevice, type StewardRecord } from "../../client/index.js";
import { scopeTags } from "../../client/keyRing.js";
import {
  MalformedInput,
  OutsideGrant,
  ServerUnreachable,
  UnverifiedRecipient,
  WrongSecret,
} from "../../shared/errors.js";
import { toHex } from "../../shared/bytes.js";
import { unsent } from "../helpers/patientDevice.js";
import { startWorker, type LocalWorker } from "./localWorker.js";
import { linkDevice, shareWith, unique, verifyContact } from "../helpers/accounts.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let worker: LocalWorker;

/** A fetch with an offline switch, as a phone in a tunnel. */
function network() {
  const state = { online: true };
  const fetcher: typeof fetch = (input, init) =>
    state.online ? fetch(input, init) : Promise.reject(new TypeError("fetch failed: network is offline"));
  return { state, fetch: fetcher };
}

function cgm(id: string, time: number, mgdl: number): StewardRecord {
  return { id, type: "cgm", time, deviceId: "g7-test", body: { mgdl } };
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("patient devices", () => {
  it("a phone writing a week offline and a linked laptop editing the same note offline converge, nothing lost or doubled", async () => {
    const phoneNet = network();
    const { patient: phone, recoveryCode } = await Patient.create({
      server: worker.url,
      handle: `pat${unique()}`,
      database: `phone-${unique()}`,
      fetch: phoneNet.fetch,
    });
    expect(recoveryCode).toMatch(/^([0-9A-Z]{4}-){8}[0-9A-Z]{4}$/);

    // Link the laptop: both screens show the same six digits before the key ring moves.
    const laptopNet = network();
    const laptop = await linkDevice(phone, {
      server: worker.url,
      database: `laptop-${unique()}`,
      fetch: laptopNet.fetch,
    });
    expect(laptop.accountId).toBe(phone.accountId);

    const start = Math.floor(Date.now() / HOUR) * HOUR - 7 * DAY;
    const note: StewardRecord = {
      id: "note-1",
      type: "note",
      time: start + 3 * DAY,
      body: { text: "Pasta for dinner" },
    };
    await phone.records.put([note]);
    await phone.sync.sync();
    await laptop.sync.sync();

    phoneNet.state.online = false;
    laptopNet.state.online = false;
    const week = Array.from({ length: 7 * 288 }, (_, i) => cgm(`cgm-${i}`, start + i * 300_000, 80 + (i % 120)));
    await phone.records.put(week);
    await phone.records.put([{ ...note, body: { text: "Pasta for dinner, then a walk" } }]);
    await expect(phone.sync.sync()).rejects.toBeInstanceOf(ServerUnreachable);
    expect(phone.sync.status.pending).toBeGreaterThan(0);
    await laptop.records.put([{ ...note, body: { text: "Big pasta for dinner" } }]);
    await expect(laptop.sync.sync()).rejects.toBeInstanceOf(ServerUnreachable);

    phoneNet.state.online = true;
    laptopNet.state.online = true;
    await phone.sync.sync();
    await laptop.sync.sync();
    await phone.sync.sync();
    const range = { from: start, to: start + 8 * DAY };
    const [phoneGlucose, laptopGlucose] = await Promise.all([
      phone.records.query({ scope: "glucose", ...range }),
      laptop.records.query({ scope: "glucose", ...range }),
    ]);
    expect(phoneGlucose).toHaveLength(week.length);
    expect(laptopGlucose.map((r) => r.id)).toEqual(phoneGlucose.map((r) => r.id));
    const [phoneNote] = await phone.records.query({ scope: "events", ...range });
    const [laptopNote] = await laptop.records.query({ scope: "events", ...range });
    expect(phoneNote).toEqual(laptopNote);
    expect((phoneNote!.body as { text: string }).text).toBe("Big pasta for dinner, then a walk");
    await phone.close();
    await laptop.close();
  });

  it("a device that wrote offline while another rotated the keys re-seals its writes under the new keys and loses none (T23)", async () => {
    const { patient: phone } = await Patient.create({
      server: worker.url,
      handle: `rot${unique()}`,
      database: `rot-phone-${unique()}`,
    });
    const laptopNet = network();
    const laptop = await linkDevice(phone, {
      server: worker.url,
      database: `rot-laptop-${unique()}`,
      fetch: laptopNet.fetch,
    });
    const tablet = await linkDevice(phone, { server: worker.url, database: `rot-tablet-${unique()}` });
    const t = Date.now() - HOUR;
    await laptop.records.put([cgm("before", t, 100)]);
    await laptop.sync.sync();

    laptopNet.state.online = false;
    await laptop.records.put([cgm("offline-1", t + 300_000, 101), cgm("offline-2", t + 600_000, 102)]);
    await phone.revokeEverything();
    laptopNet.state.online = true;
    await laptop.sync.sync();
    expect(laptop.sync.status.pending).toBe(0);
    await phone.sync.sync();
    expect((await phone.records.query({ scope: "glucose", from: t - 1, to: Date.now() })).map((r) => r.id)).toEqual([
      "before",
      "offline-1",
      "offline-2",
    ]);
    // A device that only reads fetches the rotated keys when it meets data under them.
    await tablet.sync.sync();
    expect((await tablet.records.query({ scope: "glucose", from: t - 1, to: Date.now() })).map((r) => r.id)).toEqual([
      "before",
      "offline-1",
      "offline-2",
    ]);
    await phone.close();
    await laptop.close();
    await tablet.close();
  });

  it("an account creation cut short by the network resumes with the same keys, so its handle is not lost", async () => {
    const handle = `cut${unique()}`;
    const database = `cut-${unique()}`;
    let dropKit = true;
    const flaky: typeof fetch = (input, init) => {
      if (dropKit && String(input).endsWith("/recovery-kit")) {
        dropKit = false;
        return Promise.reject(new TypeError("fetch failed: connection reset"));
      }
      return fetch(input, init);
    };
    await expect(Patient.create({ server: worker.url, handle, database, fetch: flaky })).rejects.toBeInstanceOf(
      ServerUnreachable,
    );
    expect(await Patient.open({ server: worker.url, database })).toBeUndefined();
    const { patient, recoveryCode } = await Patient.create({ server: worker.url, handle, database, fetch: flaky });
    expect(patient.handle).toBe(handle);
    await patient.close();
    const restored = await Patient.recover({ server: worker.url, handle, recoveryCode, database: `cut2-${unique()}` });
    expect(restored.accountId).toBe(patient.accountId);
    await restored.close();
  });

  it("recovers on a new device from the recovery code; a wrong code or a typo is refused clearly", async () => {
    const handle = `rec${unique()}`;
    const { patient, recoveryCode } = await Patient.create({ server: worker.url, handle, database: `rec-${unique()}` });
    await patient.records.put([cgm("r-1", Date.now() - HOUR, 123)]);
    await patient.sync.sync();
    await patient.close();

    const other = (await Patient.create({ server: worker.url, handle: `oth${unique()}`, database: `oth-${unique()}` }))
      .recoveryCode;
    await expect(
      Patient.recover({ server: worker.url, handle, recoveryCode: other, database: `rec2-${unique()}` }),
    ).rejects.toBeInstanceOf(WrongSecret);
    const typo = recoveryCode.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    await expect(
      Patient.recover({ server: worker.url, handle, recoveryCode: typo, database: `rec2-${unique()}` }),
    ).rejects.toBeInstanceOf(MalformedInput);

    const restored = await Patient.recover({ server: worker.url, handle, recoveryCode, database: `rec3-${unique()}` });
    await restored.sync.sync();
    expect(
      (await restored.records.query({ scope: "glucose", from: Date.now() - DAY, to: Date.now() })).map((r) => r.id),
    ).toEqual(["r-1"]);
    await restored.close();
  });
});

describe("sharing", () => {
  let patient: Patient;
  let patientCode: string;
  let clinician: Grantee;
  let caregiver: Grantee;
  const now = Date.now();

  beforeAll(async () => {
    ({ patient, recoveryCode: patientCode } = await Patient.create({
      server: worker.url,
      handle: `alice${unique()}`,
      database: `alice-${unique()}`,
    }));
    clinician = (await Grantee.create({ server: worker.url, handle: `drbob${unique()}`, database: `bob-${unique()}` }))
      .grantee;
    caregiver = (
      await Grantee.create({ server: worker.url, handle: `carol${unique()}`, database: `carol-${unique()}` })
    ).grantee;
  }, 60_000);
  afterAll(async () => Promise.all([patient?.close(), clinician?.close(), caregiver?.close()]));

  it("a clinician granted 14 days of glucose decrypts exactly those readings; insulin and day 15 stay out and are logged", async () => {
    const start = Math.floor(now / HOUR) * HOUR - 20 * DAY;
    const readings = Array.from({ length: 20 * 24 }, (_, i) => cgm(`c-${i}`, start + i * HOUR + 60_000, 90 + (i % 60)));
    const doses: StewardRecord[] = Array.from({ length: 20 }, (_, i) => ({
      id: `b-${i}`,
      type: "bolus",
      time: start + i * DAY,
      body: { subType: "normal", normal: 3 },
    }));
    await patient.records.put([...readings, ...doses]);
    await patient.sync.sync();

    const bob = await patient.findContact(clinician.handle);
    await expect(
      patient.share({
        with: bob.accountId,
        scopes: ["glucose"],
        from: now - 14 * DAY,
        to: now,
        expiresAt: now + 30 * DAY,
      }),
    ).rejects.toBeInstanceOf(UnverifiedRecipient);
    // Both compare the same 60 digits.
    const alice = await clinician.findContact(patient.handle);
    expect(patient.safetyNumber(bob)).toBe(clinician.safetyNumber(alice));
    await patient.verifyContact(bob.accountId);
    await clinician.verifyContact(alice.accountId);
    const granted = await patient.share({
      with: bob.accountId,
      scopes: ["glucose"],
      from: now - 14 * DAY,
      to: now,
      expiresAt: now + 30 * DAY,
    });

    const [share] = await clinician.shares();
    expect(share).toMatchObject({
      grantId: granted.grantId,
      scopes: ["glucose"],
      patientVerified: true,
      patient: { accountId: patient.accountId },
    });
    const view = await clinician.open(share!.grantId);
    await view.sync.sync();
    const got = await view.records.query({ scope: "glucose", from: start, to: now });
    expect(got.map((r) => r.id)).toEqual(
      readings.filter((r) => r.time >= share!.from && r.time <= share!.to).map((r) => r.id),
    );
    expect(got.length).toBeGreaterThanOrEqual(14 * 24);
    await expect(view.records.query({ scope: "insulin", from: start, to: now })).rejects.toBeInstanceOf(OutsideGrant);

    // Asking the server itself for insulin or for day 15 is refused, and the patient sees it.
    const api = (clinician as unknown as { api: import("../../client/api/serverApi.js").ServerApi }).api;
    const insulinTag = toHex(
      scopeTags((patient as unknown as { ring: import("../../client/keyRing.js").KeyRing }).ring.data!).get("insulin")!,
    );
    await expect(
      api.request("GET", `/v1/patients/${patient.accountId}/envelopes`, { auth: true, query: { tags: insulinTag } }),
    ).rejects.toBeInstanceOf(OutsideGrant);
    const day15 = Math.floor((now - 15 * DAY) / HOUR);
    await expect(
      api.request("GET", `/v1/patients/${patient.accountId}/envelopes`, {
        auth: true,
        query: { fromHour: String(day15), toHour: String(day15 + 23) },
      }),
    ).rejects.toBeInstanceOf(OutsideGrant);
    const log = await patient.accessLog();
    // Both refusals, tallied into one entry per kind with their count.
    const refused = log.filter((e) => e.action === "refused" && e.actor.accountId === clinician.accountId);
    expect(refused.reduce((n, e) => n + Number(e.details.times), 0)).toBeGreaterThanOrEqual(2);
    expect(refused[0]!.actor.handle).toBe(clinician.handle);
    expect(log.some((e) => e.action === "grant.create")).toBe(true);
    await view.close();
  });

  it("a caregiver invited for 48 hours sees live readings within a second, and nothing after revocation", async () => {
    const invite = await patient.createInvite({
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + 48 * HOUR,
      live: true,
    });
    expect(new URL(invite.url).hash).toMatch(/^#invite=/);
    expect(patient.openInvites().map((i) => i.inviteId)).toEqual([invite.inviteId]);
    const accepted = await caregiver.acceptInvite(invite.url);
    expect(accepted.patient.accountId).toBe(patient.accountId);
    const [grant] = await patient.completeInvites();
    expect(grant).toMatchObject({ live: true, scopes: ["glucose"], grantee: { accountId: caregiver.accountId } });
    expect(patient.openInvites()).toEqual([]);

    const [share] = await caregiver.shares();
    expect(share!.patientVerified).toBe(true);
    const view = await caregiver.open(share!.grantId);
    expect(view.endsIn()).toBeGreaterThan(47 * HOUR);
    await view.sync.follow();
    const arrived = new Promise<number>((resolve) => view.records.subscribe(() => resolve(Date.now())));
    const sent = Date.now();
    await patient.records.put([cgm("live-1", Date.now(), 64)]);
    await patient.sync.sync();
    expect((await arrived) - sent).toBeLessThan(1_000);
    expect(
      (await view.records.query({ scope: "glucose", from: now - HOUR, to: Date.now() })).map((r) => r.id),
    ).toContain("live-1");

    const ended = new Promise<void>((resolve) => view.sync.onStatus((s) => s.ended && resolve()));
    await patient.revoke(share!.grantId);
    await ended;
    expect((await patient.grants()).find((g) => g.grantId === share!.grantId)?.status).toBe("revoked");
    await patient.records.put([cgm("after-revoke", Date.now() + 1, 181)]);
    const [written] = await unsent(patient.records.log);
    await patient.sync.sync();
    // Even handed the envelope directly, the caregiver's kept keys do not open it: the keys rotated.
    await expect(
      view.records.log.ingest([{ seq: 1_000_000, compacted: false, bytes: written!.bytes }]),
    ).rejects.toBeInstanceOf(OutsideGrant);
    expect(await caregiver.shares()).toEqual([]);
    await expect(caregiver.open(share!.grantId)).rejects.toThrow(/revoked|expired/);
    await view.close();
  });

  it("the remaining clinician keeps reading new data after a revocation, and revoke-everything re-issues only to those kept", async () => {
    const [share] = await clinician.shares();
    const view = await clinician.open(share!.grantId);
    await view.sync.sync();
    // A rotation happened (the caregiver's revocation): the clinician's grant was re-issued with the new keys.
    expect((await clinician.shares())[0]!.revision).toBeGreaterThan(1);
    await patient.records.put([cgm("after-rotation", now - 2 * HOUR, 140)]);
    await patient.sync.sync();
    await view.sync.sync();
    expect((await view.records.query({ scope: "glucose", from: now - 3 * HOUR, to: now })).map((r) => r.id)).toContain(
      "after-rotation",
    );

    const extra = await Grantee.create({ server: worker.url, handle: `dan${unique()}`, database: `dan-${unique()}` });
    await shareWith(patient, extra.grantee, {
      scopes: ["glucose", "insulin"],
      from: now - DAY,
      to: now,
      expiresAt: now + DAY,
    });
    const result = await patient.revokeEverything({ keep: [share!.grantId] });
    expect(result).toEqual({ revoked: 2, reissued: 1 });
    expect(await extra.grantee.shares()).toEqual([]);
    const [kept] = await clinician.shares();
    expect(kept!.grantId).not.toBe(share!.grantId);
    const fresh = await clinician.open(kept!.grantId);
    await patient.records.put([cgm("after-breach", now - HOUR, 150)]);
    await patient.sync.sync();
    await fresh.sync.sync();
    expect((await fresh.records.query({ scope: "glucose", from: now - 3 * HOUR, to: now })).map((r) => r.id)).toContain(
      "after-breach",
    );
    await view.close();
    await fresh.close();
    await extra.grantee.close();
  });

  it("a parent with a write grant logs a meal into events; every patient device accepts it, and writing glucose is refused", async () => {
    const { grantee: parent } = await Grantee.create({
      server: worker.url,
      handle: `dad${unique()}`,
      database: `dad-${unique()}`,
    });
    const grant = await shareWith(patient, parent, {
      scopes: ["events"],
      from: now - DAY,
      to: now + DAY,
      expiresAt: now + DAY,
      write: true,
    });
    const view = await parent.open(grant.grantId);
    await view.records.put([{ id: "meal-dad", type: "food", time: now - HOUR, body: { carbsG: 45 } }]);
    await expect(view.records.put([cgm("forged", now - HOUR, 300)])).rejects.toBeInstanceOf(OutsideGrant);
    await view.sync.sync();
    await patient.sync.sync();
    expect((await patient.records.query({ scope: "events", from: now - DAY, to: now })).map((r) => r.id)).toContain(
      "meal-dad",
    );

    // A device restored from the recovery kit has never listed the grants: it learns the writer.
    const restored = await Patient.recover({
      server: worker.url,
      handle: patient.handle,
      recoveryCode: patientCode,
      database: `alice-restored-${unique()}`,
    });
    await restored.sync.sync().catch(() => undefined);
    await until(
      async () =>
        (await restored.records.query({ scope: "events", from: now - DAY, to: now })).some((r) => r.id === "meal-dad"),
      "the restored device to accept the parent's meal",
    );

    // Another reader of events cannot verify the parent's writes (it does not know the patient's
    // write grants): they are passed over and counted, and its sync is not stuck.
    const { grantee: nana } = await Grantee.create({
      server: worker.url,
      handle: `nana${unique()}`,
      database: `nana-${unique()}`,
    });
    const nanaGrant = await shareWith(patient, nana, {
      scopes: ["events"],
      from: now - DAY,
      to: now,
      expiresAt: now + DAY,
    });
    const nanaView = await nana.open(nanaGrant.grantId);
    await nanaView.sync.sync();
    expect(nanaView.unverifiable).toBeGreaterThanOrEqual(1);
    expect(
      (await nanaView.records.query({ scope: "events", from: now - DAY, to: now })).map((r) => r.id),
    ).not.toContain("meal-dad");

    // Revoking nana rotates the events keys: the parent's next write is re-sealed under its re-issued grant.
    await patient.revoke(nanaGrant.grantId);
    await view.records.put([{ id: "meal-dad-2", type: "food", time: now - HOUR + 60_000, body: { carbsG: 20 } }]);
    await view.sync.sync();
    await patient.sync.sync();
    expect((await patient.records.query({ scope: "events", from: now - DAY, to: now })).map((r) => r.id)).toEqual(
      expect.arrayContaining(["meal-dad", "meal-dad-2"]),
    );
    await nanaView.close();
    await nana.close();
    await view.close();
    await parent.close();
    await restored.close();
  });

  it("a clinician's device reopens as a grantee, offline too: its shares and the data it read stay", async () => {
    const net = network();
    const database = `dana-${unique()}`;
    const { grantee: dana } = await Grantee.create({
      server: worker.url,
      handle: `dana${unique()}`,
      database,
      fetch: net.fetch,
    });
    const contact = await verifyContact(patient, dana);
    await patient.records.put([cgm("dana-1", now - HOUR, 123)]);
    await patient.sync.sync();
    const grant = await patient.share({
      with: contact.accountId,
      scopes: ["glucose"],
      from: now - DAY,
      to: now,
      expiresAt: now + DAY,
    });
    const first = await dana.open(grant.grantId);
    await first.sync.sync();
    await dana.close();

    expect(await roleOnDevice({ database })).toBe("grantee");
    expect(await roleOnDevice({ database: `nobody-${unique()}` })).toBeUndefined();
    await expect(Patient.open({ server: worker.url, database })).rejects.toThrow(/clinician or caregiver/);
    net.state.online = false;
    const reopened = (await Grantee.open({ server: worker.url, database, fetch: net.fetch }))!;
    const shares = await reopened.shares();
    expect(shares.map((s) => s.grantId)).toEqual([grant.grantId]);
    expect(reopened.sharesAsOf).toBeLessThanOrEqual(Date.now());
    const view = await reopened.open(grant.grantId);
    await expect(view.sync.sync()).rejects.toBeInstanceOf(ServerUnreachable);
    expect((await view.records.query({ scope: "glucose", from: now - DAY, to: now })).map((r) => r.id)).toContain(
      "dana-1",
    );
    net.state.online = true;
    await reopened.shares();
    expect(reopened.sharesAsOf).toBeUndefined();
    await reopened.close();
  });

  it("a grant that expired ends by itself on the grantee's device", async () => {
    const { grantee: erin } = await Grantee.create({
      server: worker.url,
      handle: `erin${unique()}`,
      database: `erin-${unique()}`,
    });
    const grant = await shareWith(patient, erin, {
      scopes: ["glucose"],
      from: now - DAY,
      to: now,
      expiresAt: Date.now() + 1_500,
    });
    const view = await erin.open(grant.grantId);
    await view.sync.follow();
    const ended = new Promise<void>((resolve) => view.sync.onStatus((s) => s.ended && resolve()));
    await ended;
    await until(async () => (await erin.shares()).length === 0, "the expired share to leave the inbox");
    await expect(erin.open(grant.grantId)).rejects.toThrow(/revoked|expired/);
    await view.close();
    await erin.close();
  });
});
