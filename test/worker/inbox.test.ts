// The grantee's inbox is filed by (patient, grant): a patient who learns another patient's grant id
// cannot overwrite that share or end it, and an ended share says how it ended.
import { runDurableObjectAlarm, runInDurableObject, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fromHex } from "../../shared/bytes.js";
import type { Inbox } from "../../shared/api.js";
import { call, grantCreate, signedUp } from "../helpers/api.js";
import { makeGrant, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 497_000;

async function inbox(token: string): Promise<Inbox> {
  return (await call("/v1/inbox", { token })).json<Inbox>();
}

describe("the grantee's inbox", () => {
  it("keeps one patient's share when another patient reuses its grant id, revises it and revokes it", async () => {
    const alice = await signedUp("ibalice");
    const mallory = await signedUp("ibmallory");
    const clinician = await signedUp("ibclin");
    const entries = [{ scopeTag: scopeTag(), fromHour: H, toHour: H + 24, generations: [1] }];
    const real = await makeGrant(alice.identity, clinician.identity, { entries });
    expect((await grantCreate(alice, alice.identity.accountId, real.wire)).status).toBe(201);

    const copied = fromHex(real.grantId, 16);
    for (const revision of [1, 2]) {
      const imitation = await makeGrant(mallory.identity, clinician.identity, { entries, grantId: copied, revision });
      expect((await grantCreate(mallory, mallory.identity.accountId, imitation.wire)).status).toBe(201);
    }
    expect(
      (
        await call(`/v1/patients/${mallory.identity.accountId}/grants/${real.grantId}`, {
          method: "DELETE",
          token: mallory.token,
        })
      ).status,
    ).toBe(200);

    const listed = await inbox(clinician.token);
    expect(listed.grants.map((g) => [g.patientId, g.grantId, g.revision])).toEqual([
      [alice.identity.accountId, real.grantId, 1],
    ]);
    expect(listed.grants[0]!.grant).toBe(Buffer.from(real.wire).toString("base64url"));
    expect(listed.ended).toMatchObject([
      { patientId: mallory.identity.accountId, grantId: real.grantId, status: "revoked" },
    ]);
  });

  it("says whether a share ended by revocation or by expiry, and drops its keys", async () => {
    const patient = await signedUp("ibpat");
    const grantee = await signedUp("ibcare");
    const entries = [{ scopeTag: scopeTag(), fromHour: H, toHour: H + 2, generations: [1] }];
    const revoked = await makeGrant(patient.identity, grantee.identity, { entries });
    const expiring = await makeGrant(patient.identity, grantee.identity, { entries });
    for (const g of [revoked, expiring])
      expect((await grantCreate(patient, patient.identity.accountId, g.wire)).status).toBe(201);
    expect(
      (
        await call(`/v1/patients/${patient.identity.accountId}/grants/${revoked.grantId}`, {
          method: "DELETE",
          token: patient.token,
        })
      ).status,
    ).toBe(200);
    const log = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(patient.identity.accountId));
    await runInDurableObject(log, (_, state) =>
      state.storage.sql.exec("UPDATE grants SET expires_at = ? WHERE grant_id = ?", Date.now() - 1, expiring.grantId),
    );
    await runDurableObjectAlarm(log);

    const listed = await inbox(grantee.token);
    expect(listed.grants).toEqual([]);
    expect(Object.fromEntries(listed.ended.map((e) => [e.grantId, e.status]))).toEqual({
      [revoked.grantId]: "revoked",
      [expiring.grantId]: "expired",
    });
    const wires = await runInDurableObject(
      env.ACCOUNT.get(env.ACCOUNT.idFromName(grantee.identity.accountId)),
      (_, state) => state.storage.sql.exec<{ n: number }>("SELECT sum(length(wire)) AS n FROM grant_inbox").one().n,
    );
    expect(wires).toBe(0);
  });

  it("moves entries of the earlier inbox (keyed by grant id alone) to (patient, grant)", async () => {
    const grantee = await signedUp("ibold");
    const account = env.ACCOUNT.get(env.ACCOUNT.idFromName(grantee.identity.accountId));
    const patientId = "ab".repeat(16);
    await runInDurableObject(account, (_, state) => {
      state.storage.sql.exec("DROP TABLE grant_inbox");
      state.storage.sql.exec(
        "CREATE TABLE inbox (grant_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, wire BLOB NOT NULL)",
      );
      state.storage.sql.exec(
        "INSERT INTO inbox VALUES (?, ?, 3, ?, x'0102')",
        "cd".repeat(16),
        patientId,
        Date.now() + 3_600_000,
      );
    });
    // A fresh instance of the object runs its constructor, as after a deploy.
    const restarted = await runInDurableObject(account, (instance, state) => {
      const Account = instance.constructor as new (state: DurableObjectState, env: Env) => typeof instance;
      return new Account(state, env).inbox();
    });
    expect(restarted.grants).toEqual([
      { grantId: "cd".repeat(16), patientId, revision: 3, expiresAt: expect.any(Number), grant: "AQI" },
    ]);
  });
});
