// A grantee that polls must not grow the patient's access log without bound: identical reads within
// the window become one entry with a count, and the chain stays append-only, so what a patient's
// device verified earlier stays valid.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyAccessLogChain, type AccessLogEntry } from "../../shared/accessLog.js";
import { toHex } from "../../shared/bytes.js";
import { ACCESS_LOG_COALESCE_MS } from "../../durable-objects/accessLogStore.js";
import { call, grantCreate, openSocket, pull, push, signedUp, type Session } from "../helpers/api.js";
import { DeviceChain, makeGrant, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 496_000;

async function setup() {
  const patient = await signedUp("pat");
  const grantee = await signedUp("care");
  const pid = patient.identity.accountId;
  const chain = new DeviceChain(patient.identity, pid);
  const glucose = scopeTag();
  const insulin = scopeTag();
  const entries = [glucose, insulin].map((tag) => ({ scopeTag: tag, fromHour: H, toHour: H + 5, generations: [1] }));
  expect(
    (
      await grantCreate(
        patient,
        pid,
        (
          await makeGrant(patient.identity, grantee.identity, { entries, live: true })
        ).wire,
      )
    ).status,
  ).toBe(201);
  expect(
    (
      await push(
        patient,
        pid,
        [await chain.next({ scopeTag: glucose, hour: H }), await chain.next({ scopeTag: insulin, hour: H })].map(
          (e) => e.bytes,
        ),
      )
    ).status,
  ).toBe(200);
  return { patient, grantee, pid, glucose };
}

async function accessLog(patient: Session, after = 0): Promise<AccessLogEntry[]> {
  const res = await call(`/v1/patients/${patient.identity.accountId}/access-log?after=${after}`, {
    token: patient.token,
  });
  expect(res.status).toBe(200);
  return (await res.json<{ entries: AccessLogEntry[] }>()).entries;
}

/** Polls like a client: from its cursor, `times` times. */
async function poll(grantee: Session, pid: string, times: number, query = ""): Promise<void> {
  let cursor = 0;
  for (let i = 0; i < times; i++) {
    const { page } = await pull(grantee, pid, `after=${cursor}${query}`);
    cursor = page!.cursor;
  }
}

describe("access log coalescing", () => {
  it("records 40 identical polls as one pull entry with their count, and the chain verifies", async () => {
    const s = await setup();
    await poll(s.grantee, s.pid, 40);
    const log = await accessLog(s.patient);
    expect(log.map((e) => e.action)).toEqual(["grant.create", "pull"]);
    expect(JSON.parse(log[1]!.details)).toMatchObject({ times: 40, count: 2, after: 0, cursor: 2 });
    expect(log[1]!.actor).toBe(s.grantee.identity.accountId);
    verifyAccessLogChain(log);
  });

  it("never rewrites an entry a device has seen: later polls continue the chain from it", async () => {
    const s = await setup();
    await poll(s.grantee, s.pid, 3);
    const seen = await accessLog(s.patient);
    const head = verifyAccessLogChain(seen);
    await poll(s.grantee, s.pid, 5);
    expect(await accessLog(s.patient)).toEqual(expect.arrayContaining(seen));
    const added = await accessLog(s.patient, head.seq);
    expect(added.map((e) => [e.action, JSON.parse(e.details).times])).toEqual([["pull", 5]]);
    verifyAccessLogChain(added, head);
  });

  it("keeps reads apart when the filter differs or the window has passed; a refusal between them is tallied apart", async () => {
    const s = await setup();
    await poll(s.grantee, s.pid, 2);
    await poll(s.grantee, s.pid, 2, `&tags=${toHex(s.glucose)}`);
    await pull(s.grantee, s.pid, "tags=00000000000000000000000000000000");
    await poll(s.grantee, s.pid, 2, `&tags=${toHex(s.glucose)}`);
    const stub = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(s.pid));
    await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec("UPDATE access_log_pending SET time = time - ?", ACCESS_LOG_COALESCE_MS),
    );
    await poll(s.grantee, s.pid, 2, `&tags=${toHex(s.glucose)}`);
    const log = await accessLog(s.patient);
    expect(log.map((e) => [e.action, JSON.parse(e.details).times ?? null])).toEqual([
      ["grant.create", null],
      ["pull", 2],
      ["pull", 4],
      ["pull", 2],
      ["refused", 1],
    ]);
    verifyAccessLogChain(log);
  });

  it("records an app that keeps polling after its grant was revoked as one refused entry with a count", async () => {
    const s = await setup();
    const grantId = JSON.parse((await accessLog(s.patient))[0]!.details).grantId as string;
    expect(
      (await call(`/v1/patients/${s.pid}/grants/${grantId}`, { method: "DELETE", token: s.patient.token })).status,
    ).toBe(200);
    for (let i = 0; i < 25; i++) expect((await pull(s.grantee, s.pid)).status).toBe(403);
    const log = await accessLog(s.patient);
    expect(log.map((e) => [e.action, e.actor])).toEqual([
      ["grant.create", s.patient.identity.accountId],
      ["grant.revoke", s.patient.identity.accountId],
      ["refused", s.grantee.identity.accountId],
    ]);
    expect(JSON.parse(log[2]!.details)).toMatchObject({ route: "pull", code: "revoked_grant", times: 25 });
    verifyAccessLogChain(log);
  });

  it("records a caregiver's socket reconnecting as one socket.open entry with a count", async () => {
    const s = await setup();
    for (let i = 0; i < 4; i++) {
      const live = await openSocket(s.grantee, s.pid);
      if (live instanceof Response) throw new Error(`socket refused: ${live.status}`);
      live.ws.close(1000, "reconnect");
    }
    const opens = (await accessLog(s.patient)).filter((e) => e.action === "socket.open");
    expect(opens.map((e) => JSON.parse(e.details).times)).toEqual([4]);
  });
});
