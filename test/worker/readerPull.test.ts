// What a grantee's pull reveals and whom it answers for: the cursor moves only with envelopes the
// grantee may see (it cannot tell when the patient writes other scopes), and a view reading under one
// grant is told when that grant ends, even while another grant of the same grantee runs.
import { describe, expect, it } from "vitest";
import { CLOSE_GRANT_ENDED } from "../../shared/api.js";
import { call, grantCreate, openSocket, pull, push, signedUp, type LiveSocket, type Session } from "../helpers/api.js";
import { DeviceChain, makeGrant, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 497_300;

async function world() {
  const patient = await signedUp("rppat");
  const grantee = await signedUp("rpclin");
  const pid = patient.identity.accountId;
  const chain = new DeviceChain(patient.identity, pid);
  const glucose = scopeTag();
  const insulin = scopeTag();
  const write = async (tag: Uint8Array, hour = H) =>
    expect((await push(patient, pid, [(await chain.next({ scopeTag: tag, hour })).bytes])).status).toBe(200);
  const grant = async (tag: Uint8Array) => {
    const made = await makeGrant(patient.identity, grantee.identity, {
      entries: [{ scopeTag: tag, fromHour: H, toHour: H + 10, generations: [1] }],
      live: true,
    });
    expect((await grantCreate(patient, pid, made.wire)).status).toBe(201);
    return made.grantId;
  };
  return { patient, grantee, pid, glucose, insulin, write, grant };
}

describe("a grantee's pull", () => {
  it("moves its cursor only with envelopes the grantee may see", async () => {
    const w = await world();
    await w.grant(w.glucose);
    await w.write(w.glucose);
    await w.write(w.insulin);
    await w.write(w.glucose, H + 1);
    const first = (await pull(w.grantee, w.pid)).page!;
    expect(first.entries.map((e) => e.seq)).toEqual([1, 3]);
    expect(first.cursor).toBe(3);
    // The patient logs insulin: nothing the grantee sees changes, not even the cursor.
    for (let i = 0; i < 3; i++) await w.write(w.insulin, H + 2 + i);
    const quiet = (await pull(w.grantee, w.pid, "after=3")).page!;
    expect(quiet).toMatchObject({ entries: [], cursor: 3, more: false });
    await w.write(w.glucose, H + 5);
    const next = (await pull(w.grantee, w.pid, "after=3")).page!;
    expect(next.entries.map((e) => e.seq)).toEqual([7]);
    expect(next.cursor).toBe(7);
    // The patient's own pull still walks the whole log.
    expect((await pull(w.patient, w.pid, "after=3")).page!.cursor).toBe(7);
  });

  it("under one grant: serves that grant's envelopes only, and says when it ended while another grant runs", async () => {
    const w = await world();
    const glucoseGrant = await w.grant(w.glucose);
    const insulinGrant = await w.grant(w.insulin);
    await w.write(w.glucose);
    await w.write(w.insulin);
    expect((await pull(w.grantee, w.pid, `grant=${glucoseGrant}`)).page!.entries.map((e) => e.seq)).toEqual([1]);
    expect((await pull(w.grantee, w.pid, `grant=${insulinGrant}`)).page!.entries.map((e) => e.seq)).toEqual([2]);
    const glucoseSocket = (await openSocket(w.grantee, w.pid, glucoseGrant)) as LiveSocket;
    const insulinSocket = (await openSocket(w.grantee, w.pid, insulinGrant)) as LiveSocket;

    expect(
      (await call(`/v1/patients/${w.pid}/grants/${glucoseGrant}`, { method: "DELETE", token: w.patient.token })).status,
    ).toBe(200);
    const refused = await pull(w.grantee, w.pid, `grant=${glucoseGrant}`);
    expect(refused).toMatchObject({ status: 403, error: { code: "revoked_grant" } });
    expect(await glucoseSocket.closed).toEqual({ code: CLOSE_GRANT_ENDED, reason: "grant revoked" });
    expect((await pull(w.grantee, w.pid, `grant=${insulinGrant}`)).status).toBe(200);
    await w.write(w.insulin, H + 1);
    expect((await insulinSocket.waitFor(1))[0]!.entries).toHaveLength(1);
    insulinSocket.ws.close(1000, "done");
    // A grant of someone else, or none at all, is just forbidden.
    const stranger: Session = await signedUp("rpstr");
    expect(await pull(stranger, w.pid, `grant=${insulinGrant}`)).toMatchObject({
      status: 403,
      error: { code: "forbidden" },
    });
  });
});
