// Signed revocations and the device list on the PatientLog (defence in depth: clients check both
// themselves). The object stores a revocation only if the patient signed it, ends the grant, and
// hands the revocation to the grantee's inbox; it stores a device list only if every signature
// verifies and it continues the one stored.
import { describe, expect, it } from "vitest";
import { fromHex, toBase64Url } from "../../shared/bytes.js";
import { encodeDeviceList, linkHash } from "../../shared/deviceList.js";
import { encodeRevocation, revocationSignedBytes, type UnsignedRevocation } from "../../shared/revocation.js";
import { call, errorOf, grantCreate, signedUp, type Session } from "../helpers/api.js";
import {
  deviceCertificate as certificate,
  deviceListLink as link,
  genesisList,
  makeGrant,
  newIdentity,
  scopeTag,
  signWith,
  type Identity,
} from "../helpers/webcryptoFixtures.js";

const H = 491_000;

async function signed(signer: Identity, r: UnsignedRevocation): Promise<Uint8Array> {
  return encodeRevocation({ ...r, signature: await signWith(signer.privateKey, revocationSignedBytes(r)) });
}

function putRevocation(session: Session, patientId: string, bytes: Uint8Array): Promise<Response> {
  return call(`/v1/patients/${patientId}/revocations`, {
    method: "PUT",
    token: session.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ revocation: toBase64Url(bytes) }),
  });
}

describe("signed revocations", () => {
  it("are stored only when the patient signed them, end the grant and reach the grantee's inbox", async () => {
    const patient = await signedUp("pat");
    const grantee = await signedUp("care");
    const pid = patient.identity.accountId;
    const grant = await makeGrant(patient.identity, grantee.identity, {
      entries: [{ scopeTag: scopeTag(), fromHour: H, toHour: H, generations: [1] }],
    });
    expect((await grantCreate(patient, pid, grant.wire)).status).toBe(201);
    const unsigned: UnsignedRevocation = {
      patientId: fromHex(pid, 16),
      grantId: fromHex(grant.grantId, 16),
      revision: 1,
      granteeId: fromHex(grantee.identity.accountId, 16),
      revokedAt: Date.now(),
      cutoffs: [],
      generations: [],
    };
    const forged = await putRevocation(patient, pid, await signed(await newIdentity(), unsigned));
    expect(forged.status).toBe(400);
    expect((await errorOf(forged)).message).toMatch(/not signed by the patient/);
    expect((await putRevocation(grantee, pid, await signed(patient.identity, unsigned))).status).toBe(403);
    expect(
      (await putRevocation(patient, pid, await signed(patient.identity, { ...unsigned, grantId: new Uint8Array(16) })))
        .status,
    ).toBe(404);

    const genuine = await signed(patient.identity, unsigned);
    expect((await putRevocation(patient, pid, genuine)).status).toBe(204);
    const grants = await (await call(`/v1/patients/${pid}/grants`, { token: patient.token })).json<{
      grants: { status: string }[];
    }>();
    expect(grants.grants.map((g) => g.status)).toEqual(["revoked"]);
    const inbox = await (await call("/v1/inbox", { token: grantee.token })).json<{
      grants: unknown[];
      revocations: { grantId: string; revocation: string }[];
    }>();
    expect(inbox.grants).toEqual([]);
    expect(inbox.revocations).toEqual([{ grantId: grant.grantId, patientId: pid, revocation: toBase64Url(genuine) }]);
    // A retry is harmless.
    expect((await putRevocation(patient, pid, genuine)).status).toBe(204);
  });
});

function putDevices(session: Session, patientId: string, list: Uint8Array): Promise<Response> {
  return call(`/v1/patients/${patientId}/devices`, {
    method: "PUT",
    token: session.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ devices: toBase64Url(list) }),
  });
}

describe("the published device list", () => {
  it("is stored when every signature verifies and it continues the stored one; grantees without a grant cannot read it", async () => {
    const patient = await signedUp("pat");
    const pid = patient.identity.accountId;
    const { genesis, device: phone, deviceId: phoneId } = await genesisList(patient.identity);
    const laptop = await newIdentity();
    const laptopId = crypto.getRandomValues(new Uint8Array(16));
    const added = await link(patient.identity, phone, phoneId, 2, linkHash(genesis), {
      op: "add",
      certificate: await certificate(patient.identity, laptop, laptopId, "Laptop"),
    });

    // A list the server (or anyone) signed instead of the patient's identity key.
    const mallory = await newIdentity();
    const forgedCert = await link(patient.identity, phone, phoneId, 2, linkHash(genesis), {
      op: "add",
      certificate: { ...(await certificate(mallory, laptop, laptopId, "Laptop")), accountId: fromHex(pid, 16) },
    });
    expect((await putDevices(patient, pid, encodeDeviceList([genesis]))).status).toBe(200);
    const refused = await putDevices(patient, pid, encodeDeviceList([genesis, forgedCert]));
    expect(refused.status).toBe(400);
    expect((await errorOf(refused)).message).toMatch(/does not verify/);
    expect((await putDevices(patient, pid, encodeDeviceList([genesis, added]))).status).toBe(200);
    // Going back to the shorter list is a rollback; a different second link is a fork.
    expect((await putDevices(patient, pid, encodeDeviceList([genesis]))).status).toBe(409);
    const other = await link(patient.identity, phone, phoneId, 2, linkHash(genesis), {
      op: "remove",
      deviceId: phoneId,
      lastSeq: 0,
      lastServerSeq: 0,
    });
    expect((await putDevices(patient, pid, encodeDeviceList([genesis, other]))).status).toBe(409);
    const stored = await (await call(`/v1/patients/${pid}/devices`, { token: patient.token })).json<{
      devices: string;
    }>();
    expect(stored.devices).toBe(toBase64Url(encodeDeviceList([genesis, added])));
    const stranger = await signedUp("care");
    expect((await call(`/v1/patients/${pid}/devices`, { token: stranger.token })).status).toBe(403);
    expect((await putDevices(stranger, pid, encodeDeviceList([genesis, added]))).status).toBe(403);
  });
});
