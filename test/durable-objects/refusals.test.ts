// Refused requests are tallied, not logged one by one: a stranger probing every route, or a crowd of
// strangers, adds a bounded number of entries per hour to the patient's access log, each saying who,
// which route, why and how often.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyAccessLogChain, type AccessLogEntry } from "../../shared/accessLog.js";
import { toHex } from "../../shared/bytes.js";
import { AccessLogStore } from "../../durable-objects/accessLogStore.js";
import { NAMED_PER_HOUR, REFUSAL_WINDOW_MS, RefusalTally } from "../../durable-objects/refusalTally.js";
import { call, push, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 496_200;
const LATE = "ffffffffffffffffffffffffffffffff";

async function patientInUse(): Promise<Session> {
  const patient = await signedUp("rpat");
  const chain = new DeviceChain(patient.identity, patient.identity.accountId);
  expect(
    (await push(patient, patient.identity.accountId, [(await chain.next({ scopeTag: scopeTag(), hour: H })).bytes]))
      .status,
  ).toBe(200);
  return patient;
}

async function accessLog(patient: Session): Promise<AccessLogEntry[]> {
  return (
    await (
      await call(`/v1/patients/${patient.identity.accountId}/access-log`, { token: patient.token })
    ).json<{ entries: AccessLogEntry[] }>()
  ).entries;
}

describe("refused requests in the access log", () => {
  it("a stranger trying every route over and over leaves one entry per route and reason, with counts", async () => {
    const patient = await patientInUse();
    const stranger = await signedUp("rstr");
    const base = `/v1/patients/${patient.identity.accountId}`;
    const probes = [`${base}/envelopes`, `${base}/grants`, `${base}/access-log`, `${base}/generations`];
    for (let round = 0; round < 15; round++)
      for (const path of probes) expect((await call(path, { token: stranger.token })).status).toBe(403);
    const refused = (await accessLog(patient)).filter((e) => e.action === "refused");
    expect(refused).toHaveLength(probes.length);
    for (const entry of refused) {
      expect(entry.actor).toBe(stranger.identity.accountId);
      expect(JSON.parse(entry.details)).toMatchObject({ code: "forbidden", times: 15 });
    }
    expect(new Set(refused.map((e) => JSON.parse(e.details).route))).toEqual(
      new Set(["pull", "grant.list", "accessLog.read", "generation.list"]),
    );
    verifyAccessLogChain(await accessLog(patient));
  });

  it(`names the ${NAMED_PER_HOUR} callers refused most in an hour and sums the rest in one entry`, async () => {
    const patient = await patientInUse();
    const stub = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(patient.identity.accountId));
    const hour = Math.floor(Date.now() / REFUSAL_WINDOW_MS) * REFUSAL_WINDOW_MS;
    const entries = await runInDurableObject(stub, (_, state) => {
      const log = new AccessLogStore(state.storage.sql);
      const tally = new RefusalTally(state.storage.sql, log);
      const before = log.read(0, 10_000).length;
      // 1,200 callers, the first one busiest; then a refusal an hour later closes the hour.
      const caller = (i: number) => toHex(new Uint8Array(16)).slice(0, 24) + i.toString(16).padStart(8, "0");
      for (let i = 0; i < 1_200; i++)
        for (let n = 0; n < (i === 0 ? 5 : 1); n++) tally.count(caller(i), "pull", "forbidden", "not yours", hour + i);
      tally.count(LATE, "pull", "forbidden", "not yours", hour + REFUSAL_WINDOW_MS + 1);
      return log.read(0, 10_000).slice(before);
    });
    expect(entries).toHaveLength(NAMED_PER_HOUR + 1);
    expect(JSON.parse(entries.find((e) => e.time === hour)!.details)).toMatchObject({ times: 5 });
    const summary = entries.find((e) => e.actor === null)!;
    expect(JSON.parse(summary.details)).toMatchObject({
      route: "*",
      code: "forbidden",
      times: 1_200 - NAMED_PER_HOUR,
      callers: expect.any(Number),
    });
    expect(JSON.parse(summary.details).reason).toMatch(/at least \d+ more callers/);
    // The later hour is still being counted, until the patient reads the log.
    const after = await accessLog(patient);
    expect(after.filter((e) => e.actor === LATE)).toHaveLength(1);
    verifyAccessLogChain(after);
  });
});
