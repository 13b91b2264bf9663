import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toHex } from "../../shared/bytes.js";
import { grantCreate, openSocket, push, signedUp } from "../helpers/api.js";
import { DeviceChain, makeGrant, scopeTag } from "../helpers/webcryptoFixtures.js";

const H = 494_000;

async function setup() {
  const patient = await signedUp("pat");
  const pid = patient.identity.accountId;
  return { patient, pid, phone: new DeviceChain(patient.identity, pid), tag: scopeTag() };
}

describe("hibernation", () => {
  it("keeps sockets and their permissions across an eviction of the object", async () => {
    const s = await setup();
    const grantee = await signedUp("care");
    await grantCreate(
      s.patient,
      s.pid,
      (
        await makeGrant(s.patient.identity, grantee.identity, {
          entries: [{ scopeTag: s.tag, fromHour: H, toHour: H, generations: [1] }],
        })
      ).wire,
    );
    const live = await openSocket(grantee, s.pid);
    if (live instanceof Response) throw new Error(`socket refused: ${live.status}`);
    await evictDurableObject(env.PATIENT_LOG.get(env.PATIENT_LOG.idFromName(s.pid)));
    const outside = await s.phone.next({ scopeTag: s.tag, hour: H + 1 });
    const inside = await s.phone.next({ scopeTag: s.tag, hour: H });
    expect((await push(s.patient, s.pid, [outside.bytes, inside.bytes])).status).toBe(200);
    const [page] = await live.waitFor(1);
    expect(page!.entries.map((e) => toHex(e.bytes))).toEqual([toHex(inside.bytes)]);
  });
});

describe("closed sockets", () => {
  it("a socket the client closed does not break later pushes", async () => {
    const s = await setup();
    const live = await openSocket(s.patient, s.pid);
    if (live instanceof Response) throw new Error(`socket refused: ${live.status}`);
    live.ws.close(1000, "bye");
    for (let i = 0; i < 3; i++)
      expect((await push(s.patient, s.pid, [(await s.phone.next({ scopeTag: s.tag, hour: H })).bytes])).status).toBe(
        200,
      );
    const again = await openSocket(s.patient, s.pid);
    if (again instanceof Response) throw new Error(`socket refused: ${again.status}`);
    await push(s.patient, s.pid, [(await s.phone.next({ scopeTag: s.tag, hour: H })).bytes]);
    expect((await again.waitFor(1))[0]!.entries.map((e) => e.seq)).toEqual([4]);
  });
});
