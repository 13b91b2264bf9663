import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyAccessLogChain, type AccessLogEntry } from "../../shared/accessLog.js";
import { CLOSE_GRANT_ENDED } from "../../shared/api.js";
import { toHex } from "../../shared/bytes.js";
import {
  call,
  errorOf,
  grantCreate,
  openSocket,
  pull,
  push,
  signedUp,
  type LiveSocket,
  type Session,
} from "../helpers/api.js";
import { DeviceChain, makeGrant, newIdentity, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 491_000;

interface World {
  patient: Session;
  pid: string;
  grantee: Session;
  chain: DeviceChain;
  glucose: Uint8Array;
  insulin: Uint8Array;
}

async function world(): Promise<World> {
  const patient = await signedUp("pat");
  const grantee = await signedUp("care");
  return {
    patient,
    pid: patient.identity.accountId,
    grantee,
    chain: new DeviceChain(patient.identity, patient.identity.accountId),
    glucose: scopeTag(),
    insulin: scopeTag(),
  };
}

async function accessLog(w: World): Promise<AccessLogEntry[]> {
  const res = await call(`/v1/patients/${w.pid}/access-log`, { token: w.patient.token });
  expect(res.status).toBe(200);
  return (await res.json<{ entries: AccessLogEntry[] }>()).entries;
}

/** A read grant on glucose, generation 1, hours [H, H+2]. */
async function glucoseGrant(w: World, extra: Partial<Parameters<typeof makeGrant>[2]> = {}) {
  const grant = await makeGrant(w.patient.identity, w.grantee.identity, {
    entries: [{ scopeTag: w.glucose, fromHour: H, toHour: H + 2, generations: [1] }],
    ...extra,
  });
  const res = await grantCreate(w.patient, w.pid, grant.wire);
  expect(res.status).toBe(201);
  return grant;
}

describe("grants", () => {
  it("stores a grant, lists it for the patient and delivers it to the grantee's inbox", async () => {
    const w = await world();
    const grant = await glucoseGrant(w, { live: true });
    const list = await (await call(`/v1/patients/${w.pid}/grants`, { token: w.patient.token })).json<{
      grants: { grantId: string; status: string; live: boolean; granteeId: string }[];
    }>();
    expect(list.grants).toMatchObject([
      { grantId: grant.grantId, status: "active", live: true, granteeId: w.grantee.identity.accountId },
    ]);
    const inbox = await (await call("/v1/inbox", { token: w.grantee.token })).json<{
      grants: { grantId: string; patientId: string }[];
    }>();
    expect(inbox.grants).toMatchObject([{ grantId: grant.grantId, patientId: w.pid }]);
    // Retrying the same grant is harmless; only the patient may list grants.
    expect((await grantCreate(w.patient, w.pid, grant.wire)).status).toBe(201);
    expect((await call(`/v1/patients/${w.pid}/grants`, { token: w.grantee.token })).status).toBe(403);
  });

  it("refuses forged, misaddressed, expired and unauthorised grants", async () => {
    const w = await world();
    const mallory = await newIdentity();
    const entries = [{ scopeTag: w.glucose, fromHour: H, toHour: H, generations: [1] }];
    const forged = await makeGrant(w.patient.identity, w.grantee.identity, { entries, signer: mallory });
    const forgedRes = await grantCreate(w.patient, w.pid, forged.wire);
    expect(forgedRes.status).toBe(400);
    expect((await errorOf(forgedRes)).message).toMatch(/not signed by the patient/);
    const other = await signedUp("pat");
    const misaddressed = await makeGrant(other.identity, w.grantee.identity, { entries });
    expect((await grantCreate(w.patient, w.pid, misaddressed.wire)).status).toBe(403);
    expect(
      (await grantCreate(w.grantee, w.pid, (await makeGrant(w.patient.identity, w.grantee.identity, { entries })).wire))
        .status,
    ).toBe(403);
    const unregistered = await makeGrant(w.patient.identity, mallory, { entries });
    expect((await grantCreate(w.patient, w.pid, unregistered.wire)).status).toBe(404);
    const expired = await makeGrant(w.patient.identity, w.grantee.identity, { entries, expiresAt: Date.now() - 1 });
    expect((await grantCreate(w.patient, w.pid, expired.wire)).status).toBe(409);
    expect(
      (
        await call(`/v1/patients/${w.pid}/grants`, {
          method: "POST",
          token: w.patient.token,
          body: JSON.stringify({ grant: "AAAA" }),
          headers: { "content-type": "application/json" },
        })
      ).status,
    ).toBe(400);
    const list = await (await call(`/v1/patients/${w.pid}/grants`, { token: w.patient.token })).json<{
      grants: unknown[];
    }>();
    expect(list.grants).toEqual([]);
  });

  it("accepts a higher revision and refuses a different grant under the same revision", async () => {
    const w = await world();
    const first = await glucoseGrant(w);
    const grantId = Uint8Array.from(first.grantId.match(/../g)!.map((h) => parseInt(h, 16)));
    const widened = await makeGrant(w.patient.identity, w.grantee.identity, {
      grantId,
      revision: 2,
      entries: [{ scopeTag: w.glucose, fromHour: H, toHour: H + 10, generations: [1] }],
    });
    expect((await grantCreate(w.patient, w.pid, widened.wire)).status).toBe(201);
    const sameRevision = await makeGrant(w.patient.identity, w.grantee.identity, {
      grantId,
      revision: 2,
      entries: [{ scopeTag: w.insulin, fromHour: H, toHour: H, generations: [1] }],
    });
    expect((await grantCreate(w.patient, w.pid, sameRevision.wire)).status).toBe(409);
    const older = await makeGrant(w.patient.identity, w.grantee.identity, {
      grantId,
      revision: 1,
      entries: [{ scopeTag: w.glucose, fromHour: H, toHour: H, generations: [1] }],
    });
    expect((await grantCreate(w.patient, w.pid, older.wire)).status).toBe(409);
    const actions = (await accessLog(w)).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith("grant."))).toEqual(["grant.create", "grant.update"]);
  });
});

describe("grantee reads", () => {
  async function seeded(w: World) {
    const made = {
      inside: await w.chain.next({ scopeTag: w.glucose, hour: H }),
      inside2: await w.chain.next({ scopeTag: w.glucose, hour: H + 2 }),
      laterHour: await w.chain.next({ scopeTag: w.glucose, hour: H + 3 }),
      otherScope: await w.chain.next({ scopeTag: w.insulin, hour: H }),
      otherGeneration: await w.chain.next({ scopeTag: w.glucose, hour: H + 1, generation: 2 }),
    };
    expect(
      (
        await push(
          w.patient,
          w.pid,
          Object.values(made).map((e) => e.bytes),
        )
      ).status,
    ).toBe(200);
    return made;
  }

  it("serves a grantee only the tags, hours and generations its grant allows, and logs the pull", async () => {
    const w = await world();
    const made = await seeded(w);
    await glucoseGrant(w);
    const { page } = await pull(w.grantee, w.pid);
    expect(page!.entries.map((e) => toHex(e.bytes))).toEqual([toHex(made.inside.bytes), toHex(made.inside2.bytes)]);
    // The cursor stops at the last envelope the grantee may see: later writes elsewhere stay unseen.
    expect(page!.cursor).toBe(2);
    expect(page!.more).toBe(false);
    const log = await accessLog(w);
    const pullEntry = log.find((e) => e.action === "pull");
    expect(pullEntry?.actor).toBe(w.grantee.identity.accountId);
    expect(JSON.parse(pullEntry!.details)).toMatchObject({ count: 2, cursor: 2 });
  });

  it("gives nothing of another scope or hour, refuses the request and logs the refusal", async () => {
    const w = await world();
    await seeded(w);
    await glucoseGrant(w);
    const otherScope = await pull(w.grantee, w.pid, `tags=${toHex(w.insulin)}`);
    expect(otherScope.status).toBe(403);
    expect(otherScope.error!.code).toBe("outside_grant");
    const otherHours = await pull(w.grantee, w.pid, `tags=${toHex(w.glucose)}&fromHour=${H + 3}&toHour=${H + 9}`);
    expect(otherHours.status).toBe(403);
    // Narrowing inside the grant is fine and still never reaches past it.
    const narrowed = await pull(w.grantee, w.pid, `fromHour=${H + 2}`);
    expect(narrowed.page!.entries.map((e) => e.seq)).toEqual([2]);
    // Both refusals, tallied into one entry for this caller and kind.
    const refused = (await accessLog(w)).filter((e) => e.action === "refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]!.actor).toBe(w.grantee.identity.accountId);
    expect(JSON.parse(refused[0]!.details)).toMatchObject({ route: "pull", code: "outside_grant", times: 2 });
  });

  it("refuses accounts without a grant, and a grantee reading the access log", async () => {
    const w = await world();
    await seeded(w);
    const stranger = await signedUp("str");
    expect((await pull(stranger, w.pid)).status).toBe(403);
    await glucoseGrant(w);
    expect((await call(`/v1/patients/${w.pid}/access-log`, { token: w.grantee.token })).status).toBe(403);
    const log = await accessLog(w);
    expect(log.some((e) => e.action === "refused" && e.actor === stranger.identity.accountId)).toBe(true);
  });

  it("pages by limit and byte budget with a resumable cursor", async () => {
    const w = await world();
    const tag = w.glucose;
    const envs = [];
    for (let i = 0; i < 5; i++) envs.push(await w.chain.next({ scopeTag: tag, hour: H, bodyLength: 2000 }));
    await push(
      w.patient,
      w.pid,
      envs.map((e) => e.bytes),
    );
    const first = await pull(w.patient, w.pid, "limit=2");
    expect(first.page!.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(first.page!.more).toBe(true);
    const second = await pull(w.patient, w.pid, `after=${first.page!.cursor}&maxBytes=5000`);
    expect(second.page!.entries.map((e) => e.seq)).toEqual([3, 4]);
    const third = await pull(w.patient, w.pid, `after=${second.page!.cursor}&maxBytes=1024`);
    // One envelope larger than the budget still comes alone, so a pull always makes progress.
    expect(third.page!.entries.map((e) => e.seq)).toEqual([5]);
    expect(third.page!.more).toBe(false);
    expect((await pull(w.patient, w.pid, "limit=0")).status).toBe(400);
  });

  it("keeps the access log a verifiable hash chain", async () => {
    const w = await world();
    await seeded(w);
    await glucoseGrant(w);
    await pull(w.grantee, w.pid);
    await pull(w.grantee, w.pid, `tags=${toHex(w.insulin)}`);
    const log = await accessLog(w);
    expect(log.map((e) => e.action)).toEqual(["grant.create", "pull", "refused"]);
    expect(verifyAccessLogChain(log)).toEqual({ seq: 3, hash: log[2]!.hash });
    const later = await call(`/v1/patients/${w.pid}/access-log?after=2`, { token: w.patient.token });
    expect((await later.json<{ entries: AccessLogEntry[] }>()).entries.map((e) => e.seq)).toEqual([3]);
    const edited = log.map((e, i) => (i === 1 ? { ...e, details: e.details.replace('"count":2', '"count":0') } : e));
    expect(() => verifyAccessLogChain(edited)).toThrow(/altered/);
  });
});

describe("write grants", () => {
  it("lets a grantee write only inside a live write grant, signed by its own key", async () => {
    const w = await world();
    await glucoseGrant(w, { write: true });
    const parent = new DeviceChain(w.grantee.identity, w.pid);
    expect(
      (await push(w.grantee, w.pid, [(await parent.next({ scopeTag: w.glucose, hour: H + 1 })).bytes])).status,
    ).toBe(200);
    const outside = await push(w.grantee, w.pid, [(await parent.peek({ scopeTag: w.insulin, hour: H + 1 })).bytes]);
    expect(outside.status).toBe(403);
    expect((await errorOf(outside)).code).toBe("outside_grant");
    expect(
      (await push(w.grantee, w.pid, [(await parent.peek({ scopeTag: w.glucose, hour: H + 7 })).bytes])).status,
    ).toBe(403);
    // The grantee cannot push the patient's envelopes as if it were the patient.
    expect((await push(w.grantee, w.pid, [(await w.chain.next({ scopeTag: w.glucose, hour: H })).bytes])).status).toBe(
      403,
    );
    expect((await accessLog(w)).filter((e) => e.action === "push")).toHaveLength(1);
  });

  it("refuses writes under a read-only grant", async () => {
    const w = await world();
    await glucoseGrant(w);
    const parent = new DeviceChain(w.grantee.identity, w.pid);
    expect((await push(w.grantee, w.pid, [(await parent.next({ scopeTag: w.glucose, hour: H })).bytes])).status).toBe(
      403,
    );
  });
});

describe("live sockets, revocation and expiry", () => {
  async function socket(s: Session, pid: string): Promise<LiveSocket> {
    const opened = await openSocket(s, pid);
    if (opened instanceof Response) throw new Error(`socket refused: ${opened.status} ${await opened.text()}`);
    return opened;
  }

  it("fans out new envelopes to every socket allowed to see them", async () => {
    const w = await world();
    await glucoseGrant(w);
    const mine = await socket(w.patient, w.pid);
    const theirs = await socket(w.grantee, w.pid);
    const hidden = await w.chain.next({ scopeTag: w.insulin, hour: H });
    const shown = await w.chain.next({ scopeTag: w.glucose, hour: H });
    await push(w.patient, w.pid, [hidden.bytes, shown.bytes]);
    const [patientPage] = await mine.waitFor(1);
    expect(patientPage!.entries.map((e) => e.seq)).toEqual([1, 2]);
    const [granteePage] = await theirs.waitFor(1);
    expect(granteePage!.entries.map((e) => toHex(e.bytes))).toEqual([toHex(shown.bytes)]);
    expect((await push(w.patient, w.pid, [(await w.chain.next({ scopeTag: w.insulin, hour: H })).bytes])).status).toBe(
      200,
    );
    await mine.waitFor(2);
    expect(theirs.pages).toHaveLength(1);
    expect((await accessLog(w)).filter((e) => e.action === "socket.open")).toHaveLength(1);
  });

  it("refuses a socket without a session or grant, and a non-upgrade request", async () => {
    const w = await world();
    await push(w.patient, w.pid, [(await w.chain.next({ scopeTag: w.glucose, hour: H })).bytes]);
    const refused = await openSocket(w.grantee, w.pid);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(403);
    expect((await call(`/v1/patients/${w.pid}/ws`, { headers: { upgrade: "websocket" } })).status).toBe(401);
    expect((await call(`/v1/patients/${w.pid}/ws`, { token: w.patient.token })).status).toBe(400);
  });

  it("revoking a grant refuses its pulls, closes its sockets and empties the inbox", async () => {
    const w = await world();
    const grant = await glucoseGrant(w);
    const live = await socket(w.grantee, w.pid);
    const res = await call(`/v1/patients/${w.pid}/grants/${grant.grantId}`, {
      method: "DELETE",
      token: w.patient.token,
    });
    expect(res.status).toBe(200);
    expect((await res.json<{ status: string }>()).status).toBe("revoked");
    expect(await live.closed).toEqual({ code: CLOSE_GRANT_ENDED, reason: "grant revoked" });
    const after = await pull(w.grantee, w.pid);
    expect(after.status).toBe(403);
    expect(after.error!.message).toMatch(/revoked/);
    expect((await (await call("/v1/inbox", { token: w.grantee.token })).json<{ grants: unknown[] }>()).grants).toEqual(
      [],
    );
    // A revoked grant cannot be brought back by re-posting it.
    expect((await grantCreate(w.patient, w.pid, grant.wire)).status).toBe(409);
    expect(
      (await call(`/v1/patients/${w.pid}/grants/${"0".repeat(32)}`, { method: "DELETE", token: w.patient.token }))
        .status,
    ).toBe(404);
    expect(
      (await call(`/v1/patients/${w.pid}/grants/${grant.grantId}`, { method: "DELETE", token: w.grantee.token }))
        .status,
    ).toBe(403);
  });

  it("revoke-all ends every grant at once", async () => {
    const w = await world();
    const a = await glucoseGrant(w);
    const other = await signedUp("clin");
    const b = await makeGrant(w.patient.identity, other.identity, {
      entries: [{ scopeTag: w.insulin, fromHour: H, toHour: H, generations: [1] }],
    });
    await grantCreate(w.patient, w.pid, b.wire);
    const res = await call(`/v1/patients/${w.pid}/grants/revoke-all`, { method: "POST", token: w.patient.token });
    expect((await res.json<{ revoked: string[] }>()).revoked.sort()).toEqual([a.grantId, b.grantId].sort());
    expect((await pull(w.grantee, w.pid)).status).toBe(403);
    expect((await pull(other, w.pid)).status).toBe(403);
    expect((await accessLog(w)).filter((e) => e.action === "grant.revokeAll")).toHaveLength(1);
  });

  it("accepts a grant expiring after 2189 (beyond workerd's alarm range) and keeps arming expiry alarms", async () => {
    const w = await world();
    await glucoseGrant(w, { expiresAt: Number.MAX_SAFE_INTEGER });
    const stub = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(w.pid));
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    // The alarm fires early with nothing due and re-arms; the grant stays active.
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    expect((await pull(w.grantee, w.pid)).status).toBe(200);
    const other = await signedUp("clin");
    expect(
      (
        await grantCreate(
          w.patient,
          w.pid,
          (
            await makeGrant(w.patient.identity, other.identity, {
              entries: [{ scopeTag: w.insulin, fromHour: H, toHour: H, generations: [1] }],
            })
          ).wire,
        )
      ).status,
    ).toBe(201);
  });

  it("ends an expired grant by alarm: pulls refused, socket closed, inbox emptied, logged", async () => {
    const w = await world();
    await glucoseGrant(w, { expiresAt: Date.now() + 1500 });
    const live = await socket(w.grantee, w.pid);
    expect((await pull(w.grantee, w.pid)).status).toBe(200);
    const stub = env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(w.pid));
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 1600));
    // Refused as soon as the expiry passes, whether or not the alarm has run yet.
    expect((await pull(w.grantee, w.pid)).error!.message).toMatch(/expired/);
    // Runs the alarm now if workerd has not fired it already; only the alarm closes sockets.
    await runDurableObjectAlarm(stub);
    expect(await live.closed).toEqual({ code: CLOSE_GRANT_ENDED, reason: "grant expired" });
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    expect((await (await call("/v1/inbox", { token: w.grantee.token })).json<{ grants: unknown[] }>()).grants).toEqual(
      [],
    );
    const grants = await (await call(`/v1/patients/${w.pid}/grants`, { token: w.patient.token })).json<{
      grants: { status: string }[];
    }>();
    expect(grants.grants.map((g) => g.status)).toEqual(["expired"]);
    expect((await accessLog(w)).some((e) => e.action === "grant.expire" && e.actor === null)).toBe(true);
  });
});
