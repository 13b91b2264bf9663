import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../shared/bytes.js";
import { call, errorOf, postJson, register, signedUp } from "../helpers/api.js";
import { newIdentity, randomBytes } from "../helpers/webcryptoFixtures.js";

describe("accounts", () => {
  it("registers a bundle and finds it by handle (any case) and by id", async () => {
    const alice = await newIdentity();
    const res = await register(alice, "Alice.T");
    expect(res.status).toBe(201);
    const body = await res.json<{ accountId: string; handle: string; bundle: string }>();
    expect(body).toEqual({ accountId: alice.accountId, handle: "alice.t", bundle: toBase64Url(alice.bundle) });
    const { token } = await signedUp("finder");
    expect(await (await call("/v1/accounts/by-handle/ALICE.t", { token })).json()).toEqual(body);
    expect(await (await call(`/v1/accounts/${alice.accountId}`)).json()).toEqual(body);
  });

  it("treats a repeated registration as a retry, and refuses a taken handle or a changed bundle", async () => {
    const bob = await newIdentity();
    expect((await register(bob, "bob-r")).status).toBe(201);
    expect((await register(bob, "bob-r")).status).toBe(201);
    const other = await newIdentity();
    const taken = await register(other, "BOB-R");
    expect(taken.status).toBe(409);
    expect((await errorOf(taken)).code).toBe("conflict");
    expect((await register(bob, "bob-other")).status).toBe(409);
    // The loser did not get an account.
    expect((await call(`/v1/accounts/${other.accountId}`)).status).toBe(404);
  });

  it("refuses a bundle whose self-signature does not verify", async () => {
    const carol = await newIdentity();
    const forged = carol.bundle.slice();
    forged[forged.length - 1]! ^= 1;
    const res = await postJson("/v1/accounts", { bundle: toBase64Url(forged), handle: "carol" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/not signed/);
    expect((await call(`/v1/accounts/${carol.accountId}`)).status).toBe(404);
  });

  it("refuses malformed input with 400 and clear JSON errors", async () => {
    const dave = await newIdentity();
    const badHandle = await register(dave, "a b");
    expect(badHandle.status).toBe(400);
    expect((await errorOf(badHandle)).message).toMatch(/handle/);
    expect((await postJson("/v1/accounts", { bundle: toBase64Url(randomBytes(40)), handle: "dave" })).status).toBe(400);
    expect((await postJson("/v1/accounts", { bundle: "!!", handle: "dave" })).status).toBe(400);
    const notJson = await call("/v1/accounts", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    expect((await call("/v1/accounts/not-hex")).status).toBe(400);
  });

  it("answers 404 for unknown handles, ids and routes, and 413 for oversized bodies", async () => {
    const { token } = await signedUp("finder");
    expect((await call("/v1/accounts/by-handle/nobody-here", { token })).status).toBe(404);
    expect((await call(`/v1/accounts/${"0".repeat(32)}`)).status).toBe(404);
    const unknown = await call("/v1/nothing");
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");
    const huge = await postJson("/v1/accounts", { bundle: "A".repeat(600_000), handle: "huge" });
    expect(huge.status).toBe(413);
  });

  it("keeps /health working and answers CORS preflights", async () => {
    expect(await (await call("/health")).json()).toEqual({ ok: true, service: "steward" });
    const preflight = await call("/v1/accounts", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });
});
