// EU placement through the SDK against the real worker: a patient who chooses the EU at sign-up gets
// an account whose id and signed record say so, and shares with a clinician placed elsewhere.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Grantee, MalformedInput, Patient } from "../../client/index.js";
import { bundlePlacement } from "../../shared/keyBundle.js";
import { startWorker, type LocalWorker } from "./localWorker.js";
import { shareWith, unique } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("EU placement", () => {
  it("is chosen at sign-up, visible to others from the signed record, and works with accounts placed elsewhere", async () => {
    const { patient } = await Patient.create({
      server: worker.url,
      database: `eu-${unique()}`,
      handle: `eu${unique()}`,
      placement: "eu",
    });
    expect(patient.placement).toBe("eu");
    expect(patient.accountId.startsWith("e5")).toBe(true);
    const { grantee: clinician } = await Grantee.create({
      server: worker.url,
      database: `clin-${unique()}`,
      handle: `clin${unique()}`,
    });
    expect(clinician.placement).toBe("default");
    // The clinician reads where the patient's data lives from the patient's self-signed bundle.
    expect(bundlePlacement((await clinician.findContact(patient.handle)).bundle)).toBe("eu");

    const now = Date.now();
    await patient.records.put([{ id: "eu-1", type: "cgm", time: now - HOUR / 2, deviceId: "g7", body: { mgdl: 123 } }]);
    await patient.sync.sync();
    const share = await shareWith(patient, clinician, {
      scopes: ["glucose"],
      from: now - HOUR,
      to: now,
      expiresAt: now + HOUR,
    });
    await clinician.shares();
    const view = await clinician.open(share.grantId);
    await view.sync.sync();
    expect((await view.records.query({ scope: "glucose", from: now - HOUR, to: now })).map((r) => r.id)).toEqual([
      "eu-1",
    ]);
    await Promise.all([patient.close(), clinician.close()]);
  });

  it("refuses a place it does not know", async () => {
    await expect(
      Patient.create({
        server: worker.url,
        database: `mars-${unique()}`,
        handle: `mars${unique()}`,
        placement: "mars" as "eu",
      }),
    ).rejects.toBeInstanceOf(MalformedInput);
  });
});
