// EU placement: an account whose id carries the EU marker has its Account and PatientLog created in,
// and reached through, the EU-scoped namespace (namespace.jurisdiction("eu")), by the worker and by
// other objects, from the id alone; its signed bundle says so, and a bundle that disagrees is refused.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import type { Inbox } from "../../shared/api.js";
import { signedMessage } from "../../shared/signing.js";
import { accountStub, patientLogStub, placedNamespace } from "../../durable-objects/stubs.js";
import { call, errorOf, grantCreate, login, postJson, pull, push, register, type Session } from "../helpers/api.js";
import { DeviceChain, makeGrant, newIdentity, scopeTag, signWith } from "../helpers/webcryptoFixtures.js";

const H = 496_500;

async function signedUpIn(placement: "default" | "eu", prefix: string): Promise<Session> {
  const identity = await newIdentity(placement);
  const res = await register(identity, `${prefix}${identity.accountId.slice(0, 10)}`);
  expect(res.status, await res.clone().text()).toBe(201);
  return { identity, token: await login(identity) };
}

/** A namespace whose jurisdiction() behaves as on Cloudflare (workerd has none): ids of another space, recorded. */
function withJurisdictions<T extends Rpc.DurableObjectBranded | undefined>(
  real: DurableObjectNamespace<T>,
  calls: string[],
): DurableObjectNamespace<T> {
  return new Proxy(real, {
    get(target, key) {
      if (key === "jurisdiction")
        return (jurisdiction: string) => {
          calls.push(jurisdiction);
          return {
            ...target,
            idFromName: (name: string) => target.idFromName(`${jurisdiction}/${name}`),
            get: target.get.bind(target),
          };
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("EU placement", () => {
  it('routes an EU id\'s Account and PatientLog through namespace.jurisdiction("eu"), a default id through the plain namespace', async () => {
    const calls: string[] = [];
    const placed = {
      ...env,
      ACCOUNT: withJurisdictions(env.ACCOUNT, calls),
      PATIENT_LOG: withJurisdictions(env.PATIENT_LOG, calls),
    } as Env;
    const eu = await newIdentity("eu");
    const local = await newIdentity("default");
    expect(accountStub(placed, eu.accountId).id.equals(env.ACCOUNT.idFromName(`eu/${eu.accountId}`))).toBe(true);
    expect(patientLogStub(placed, eu.accountId).id.equals(env.PATIENT_LOG.idFromName(`eu/${eu.accountId}`))).toBe(true);
    expect(calls).toEqual(["eu", "eu"]);
    expect(accountStub(placed, local.accountId).id.equals(env.ACCOUNT.idFromName(local.accountId))).toBe(true);
    expect(patientLogStub(placed, local.accountId).id.equals(env.PATIENT_LOG.idFromName(local.accountId))).toBe(true);
    expect(calls).toEqual(["eu", "eu"]);
    // The objects reached that way are real: the EU account registers in its own object.
    const stub = accountStub(placed, eu.accountId);
    expect((await stub.register(eu.bundle, `eu${eu.accountId.slice(0, 10)}`)).ok).toBe(true);
    expect(await env.ACCOUNT.get(env.ACCOUNT.idFromName(eu.accountId)).profile()).toBeNull();
  });

  it("never falls back to the plain namespace outside development when the jurisdiction is unavailable", async () => {
    const eu = await newIdentity("eu");
    const production = { ...env, ENVIRONMENT: "production" } as Env;
    // workerd itself has no jurisdictions, as a misconfigured runtime would not.
    expect(() => placedNamespace(production, env.PATIENT_LOG, eu.accountId)).toThrow(/jurisdiction/i);
    // A development run falls back, and says once that the EU placement is not enforced here.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(placedNamespace(env, env.PATIENT_LOG, eu.accountId)).toBe(env.PATIENT_LOG);
      expect(placedNamespace(env, env.ACCOUNT, eu.accountId)).toBe(env.ACCOUNT);
      expect(warn.mock.calls).toEqual([
        [
          expect.stringMatching(
            /^EU placement is not enforced locally .*Jurisdiction restrictions are not implemented in workerd/,
          ),
        ],
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("serves an EU patient end to end: its id carries the marker, its signed bundle says so", async () => {
    const patient = await signedUpIn("eu", "eupat");
    const id = patient.identity.accountId;
    expect(id.startsWith("e5")).toBe(true);
    const profile = await (await call(`/v1/accounts/${id}`)).json<{ bundle: string }>();
    expect(profile.bundle).toBe(toBase64Url(patient.identity.bundle));
    expect(patient.identity.bundle[4]).toBe(2);
    const tag = scopeTag();
    const chain = new DeviceChain(patient.identity, id);
    expect(
      (
        await push(patient, id, [
          (await chain.next({ scopeTag: tag, hour: H })).bytes,
          (await chain.next({ scopeTag: tag, hour: H + 1 })).bytes,
        ])
      ).status,
    ).toBe(200);
    expect((await pull(patient, id)).page?.entries).toHaveLength(2);
  });

  it("shares across jurisdictions: an EU patient's grant reaches a default clinician, and back", async () => {
    const patient = await signedUpIn("eu", "eupat");
    const clinician = await signedUpIn("default", "clin");
    const euClinician = await signedUpIn("eu", "euclin");
    const tag = scopeTag();
    const chain = new DeviceChain(patient.identity, patient.identity.accountId);
    expect(
      (await push(patient, patient.identity.accountId, [(await chain.next({ scopeTag: tag, hour: H })).bytes])).status,
    ).toBe(200);
    for (const grantee of [clinician, euClinician]) {
      const grant = await makeGrant(patient.identity, grantee.identity, {
        entries: [{ scopeTag: tag, fromHour: H, toHour: H, generations: [1] }],
      });
      expect((await grantCreate(patient, patient.identity.accountId, grant.wire)).status).toBe(201);
      const inbox = await (await call("/v1/inbox", { token: grantee.token })).json<Inbox>();
      expect(inbox.grants.map((g) => g.grantId)).toEqual([grant.grantId]);
      expect((await pull(grantee, patient.identity.accountId)).page?.entries).toHaveLength(1);
    }
  });

  it("refuses a bundle whose stated placement and account id disagree", async () => {
    const eu = await newIdentity("eu");
    const local = await newIdentity("default");
    // An EU key in a v1 (default) bundle, and a default key in a v2 bundle claiming the EU, both self-signed.
    const asV1 = await resigned(eu, (body) => new Uint8Array([...body.subarray(0, 4), 1, ...body.subarray(5, 77)]));
    const claimsEu = await resigned(
      local,
      (body) => new Uint8Array([...body.subarray(0, 4), 2, ...body.subarray(5, 77), 1]),
    );
    for (const [bundle, says] of [
      [asV1, "eu"],
      [claimsEu, "default"],
    ] as const) {
      const res = await postJson("/v1/accounts", {
        bundle: toBase64Url(bundle),
        handle: `wrong${crypto.randomUUID().slice(0, 8)}`,
      });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toContain(`account id says "${says}"`);
    }
  });
});

/** The identity's bundle with its body rewritten, signed again by the same key. */
async function resigned(
  identity: Awaited<ReturnType<typeof newIdentity>>,
  rewrite: (body: Uint8Array) => Uint8Array,
): Promise<Uint8Array> {
  const body = rewrite(identity.bundle.subarray(0, identity.bundle.length - 64));
  const signature = await signWith(identity.privateKey, signedMessage("keyBundle", body));
  return new Uint8Array([...body, ...signature]);
}
