// Logins by device key: once an account registered its device list, only a device that list holds
// as active (or the recovery key) logs in. A removed device cannot, although it still holds the
// account's identity key.
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import { encodeDeviceList, linkHash, RECOVERY_ID } from "../../shared/deviceList.js";
import { call, postJson } from "../helpers/api.js";
import {
  deviceCertificate,
  deviceListLink,
  genesisList,
  loginProof,
  newIdentity,
  type Identity,
} from "../helpers/webcryptoFixtures.js";

let handles = 0;

function loginAs(account: Identity, signer: Identity, id: Uint8Array | undefined): Promise<Response> {
  return loginProof(account, { key: signer.privateKey, ...(id ? { signer: id } : {}) }).then((authorization) =>
    call("/v1/auth/login", { method: "POST", headers: { authorization } }),
  );
}

describe("device-key logins", () => {
  it("only the listed, active devices and the recovery key log in; the identity key and a removed device do not", async () => {
    const account = await newIdentity();
    const { list, genesis, device: phone, deviceId: phoneId, recovery } = await genesisList(account);
    const res = await postJson("/v1/accounts", {
      bundle: toBase64Url(account.bundle),
      handle: `dev${++handles}x${account.accountId.slice(0, 6)}`,
      devices: toBase64Url(list),
    });
    expect(res.status).toBe(201);
    expect((await loginAs(account, account, undefined)).status).toBe(401);
    expect((await loginAs(account, phone, phoneId)).status).toBe(200);
    expect((await loginAs(account, recovery, RECOVERY_ID)).status).toBe(200);
    // Another key under the phone's id, or a device the list does not hold.
    expect((await loginAs(account, await newIdentity(), phoneId)).status).toBe(401);
    expect((await loginAs(account, await newIdentity(), crypto.getRandomValues(new Uint8Array(16)))).status).toBe(401);

    // The phone links a laptop, then the laptop removes the phone: the phone is locked out.
    const laptop = await newIdentity();
    const laptopId = crypto.getRandomValues(new Uint8Array(16));
    const added = await deviceListLink(account, phone, phoneId, 2, linkHash(genesis), {
      op: "add",
      certificate: await deviceCertificate(account, laptop, laptopId, "Laptop"),
    });
    const { token } = await (await loginAs(account, phone, phoneId)).json<{ token: string }>();
    const put = (devices: Uint8Array, bearer: string) =>
      call(`/v1/accounts/${account.accountId}/devices`, {
        method: "PUT",
        token: bearer,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ devices: toBase64Url(devices) }),
      });
    expect((await put(encodeDeviceList([genesis, added]), token)).status).toBe(200);
    expect((await loginAs(account, laptop, laptopId)).status).toBe(200);
    const removed = await deviceListLink(account, laptop, laptopId, 3, linkHash(added), {
      op: "remove",
      deviceId: phoneId,
      lastSeq: 0,
      lastServerSeq: 0,
    });
    expect((await put(encodeDeviceList([genesis, added, removed]), token)).status).toBe(200);
    const refused = await loginAs(account, phone, phoneId);
    expect(refused.status).toBe(401);
    expect((await refused.json<{ error: { message: string } }>()).error.message).toMatch(/not an active device/);
    // Nor can the old list be put back.
    expect((await put(encodeDeviceList([genesis, added]), token)).status).toBe(409);
  });
});
