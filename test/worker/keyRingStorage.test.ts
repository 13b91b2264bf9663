import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import { call, errorOf, login, signedUp } from "../helpers/api.js";
import { randomBytes } from "../helpers/webcryptoFixtures.js";

function putJson(path: string, body: unknown, token: string): Promise<Response> {
  return call(path, {
    method: "PUT",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    token,
  });
}

describe("key ring and recovery kit storage", () => {
  it("stores key ring versions in order and refuses a stale version, so devices never overwrite each other", async () => {
    const alice = await signedUp("ring");
    const path = `/v1/accounts/${alice.identity.accountId}/key-ring`;
    expect((await call(path, { token: alice.token })).status).toBe(404);
    const first = toBase64Url(randomBytes(200));
    expect((await putJson(path, { version: 1, blob: first }, alice.token)).status).toBe(200);
    expect(await (await call(path, { token: alice.token })).json()).toEqual({ version: 1, blob: first });
    const stale = await putJson(path, { version: 1, blob: toBase64Url(randomBytes(10)) }, alice.token);
    expect(stale.status).toBe(409);
    expect((await errorOf(stale)).message).toMatch(/version 1.*version 2/);
    expect((await putJson(path, { version: 3, blob: first }, alice.token)).status).toBe(409);
    expect((await putJson(path, { version: 2, blob: first }, alice.token)).status).toBe(200);
  });

  it("serves an account's key ring to that account only", async () => {
    const alice = await signedUp("ring");
    const mallory = await signedUp("ring");
    const path = `/v1/accounts/${alice.identity.accountId}/key-ring`;
    await putJson(path, { version: 1, blob: "AAAA" }, alice.token);
    expect((await call(path, { token: mallory.token })).status).toBe(403);
    expect((await putJson(path, { version: 2, blob: "AAAA" }, mallory.token)).status).toBe(403);
    expect((await call(path)).status).toBe(401);
  });

  it("serves the recovery kit by handle without a session, and only the owner stores it", async () => {
    const alice = await signedUp("kit");
    const handle = (await (await call(`/v1/accounts/${alice.identity.accountId}`)).json<{ handle: string }>()).handle;
    expect((await call(`/v1/accounts/by-handle/${handle}/recovery-kit`)).status).toBe(404);
    const kit = toBase64Url(randomBytes(300));
    const mallory = await signedUp("kit");
    expect(
      (await putJson(`/v1/accounts/${alice.identity.accountId}/recovery-kit`, { blob: kit }, mallory.token)).status,
    ).toBe(403);
    expect(
      (await putJson(`/v1/accounts/${alice.identity.accountId}/recovery-kit`, { blob: kit }, alice.token)).status,
    ).toBe(204);
    expect(await (await call(`/v1/accounts/by-handle/${handle.toUpperCase()}/recovery-kit`)).json()).toEqual({
      accountId: alice.identity.accountId,
      blob: kit,
    });
  });

  it("keeps serving the recovery kit however often strangers fetch it, so nobody can block a recovery", async () => {
    const alice = await signedUp("kit");
    const handle = (await (await call(`/v1/accounts/${alice.identity.accountId}`)).json<{ handle: string }>()).handle;
    await putJson(`/v1/accounts/${alice.identity.accountId}/recovery-kit`, { blob: "AAAA" }, alice.token);
    for (let i = 0; i < 40; i++)
      await call(`/v1/accounts/by-handle/${handle}/recovery-kit`, {
        headers: { "cf-connecting-ip": `198.51.100.${i}` },
      });
    expect(
      (await call(`/v1/accounts/by-handle/${handle}/recovery-kit`, { headers: { "cf-connecting-ip": "192.0.2.77" } }))
        .status,
    ).toBe(200);
    await expect(login(alice.identity)).resolves.toMatch(/^v1\./);
  });
});
