// Read receipts on the PatientLog (defence in depth: the patient's devices check them again): only
// a grantee with a live grant stores receipts, signed by its own key, for that grant, in chain order;
// only the patient reads them.
import { describe, expect, it } from "vitest";
import { fromBase64Url, fromHex } from "../../shared/bytes.js";
import { EXTRA_KINDS, encodeUpload } from "../../shared/syncFrames.js";
import {
  encodeReadReceipt,
  readReceiptLink,
  readReceiptSignedBytes,
  type UnsignedReadReceipt,
} from "../../shared/readReceipt.js";
import { call, grantCreate, signedUp, type Session } from "../helpers/api.js";
import { makeGrant, newIdentity, scopeTag, signWith, type Identity } from "../helpers/webcryptoFixtures.js";

const H = 491_000;

async function receipt(signer: Identity, r: UnsignedReadReceipt): Promise<Uint8Array> {
  return encodeReadReceipt({ ...r, signature: await signWith(signer.privateKey, readReceiptSignedBytes(r)) });
}

/** A receipt travels as an extra of an upload holding no objects. */
function post(session: Session, patientId: string, bytes: Uint8Array): Promise<Response> {
  return call(`/v1/patients/${patientId}/envelopes`, {
    method: "POST",
    token: session.token,
    headers: { "content-type": "application/octet-stream" },
    body: encodeUpload([], [{ kind: EXTRA_KINDS.receipt, bytes }]),
  });
}

describe("read receipts", () => {
  it("are stored from the grantee that signed them, for its own grant, in chain order, and read by the patient only", async () => {
    const patient = await signedUp("pat");
    const grantee = await signedUp("care");
    const pid = patient.identity.accountId;
    const grant = await makeGrant(patient.identity, grantee.identity, {
      entries: [{ scopeTag: scopeTag(), fromHour: H, toHour: H, generations: [1] }],
    });
    expect((await grantCreate(patient, pid, grant.wire)).status).toBe(201);
    const first: UnsignedReadReceipt = {
      patientId: fromHex(pid, 16),
      grantId: fromHex(grant.grantId, 16),
      readerKey: grantee.identity.signKey,
      readerDeviceId: crypto.getRandomValues(new Uint8Array(16)),
      seq: 1,
      prevHash: new Uint8Array(32),
      time: Date.now(),
      kind: "open",
      after: 0,
      cursor: 0,
      count: 0,
      heads: [],
    };
    const one = await receipt(grantee.identity, first);
    expect((await post(grantee, pid, await receipt(await newIdentity(), first))).status).toBe(400);
    expect(
      (await post(grantee, pid, await receipt(grantee.identity, { ...first, grantId: new Uint8Array(16) }))).status,
    ).toBe(403);
    expect((await post(patient, pid, one)).status).toBe(403);
    expect((await post(grantee, pid, await receipt(grantee.identity, { ...first, seq: 2 }))).status).toBe(409);
    expect((await post(grantee, pid, one)).status).toBe(200);
    expect((await post(grantee, pid, one)).status).toBe(200); // a retry
    const two = await receipt(grantee.identity, {
      ...first,
      seq: 2,
      prevHash: readReceiptLink(one),
      kind: "read",
      cursor: 5,
      count: 3,
    });
    expect((await post(grantee, pid, two)).status).toBe(200);

    const listed = await (await call(`/v1/patients/${pid}/receipts`, { token: patient.token })).json<{
      receipts: { n: number; receipt: string }[];
    }>();
    expect(listed.receipts.map((r) => fromBase64Url(r.receipt))).toEqual([one, two]);
    expect(
      (
        await call(`/v1/patients/${pid}/receipts?after=${listed.receipts[0]!.n}`, { token: patient.token }).then((r) =>
          r.json<{ receipts: unknown[] }>(),
        )
      ).receipts,
    ).toHaveLength(1);
    expect((await call(`/v1/patients/${pid}/receipts`, { token: grantee.token })).status).toBe(403);
  });
});
