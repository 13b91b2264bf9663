import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../shared/bytes.js";
import { call, errorOf, login, postJson, register } from "../helpers/api.js";
import { loginSignature, newIdentity } from "../helpers/webcryptoFixtures.js";

async function challenge(accountId: string): Promise<string> {
  const res = await postJson("/v1/auth/challenge", { accountId });
  expect(res.status).toBe(200);
  return (await res.json<{ nonce: string }>()).nonce;
}

describe("challenge-response login", () => {
  it("issues a token that opens session routes", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-alice");
    const token = await login(alice);
    expect((await call("/v1/inbox", { token })).status).toBe(200);
  });

  it("refuses a reused nonce, a wrong signer and a tampered token", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-alice2");
    const nonce = await challenge(alice.accountId);
    const signature = toBase64Url(await loginSignature(alice, fromBase64Url(nonce)));
    const first = await postJson("/v1/auth/login", { accountId: alice.accountId, nonce, signature });
    expect(first.status).toBe(200);
    const replay = await postJson("/v1/auth/login", { accountId: alice.accountId, nonce, signature });
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).message).toMatch(/unknown, used or expired/);

    const mallory = await newIdentity();
    const nonce2 = await challenge(alice.accountId);
    const wrong = await postJson("/v1/auth/login", { accountId: alice.accountId, nonce: nonce2, signature: toBase64Url(await loginSignature(mallory, fromBase64Url(nonce2))) });
    expect(wrong.status).toBe(401);

    const { token } = await first.json<{ token: string }>();
    const [v, payload, mac] = token.split(".");
    const flipped = `${v}.${payload}.${mac!.startsWith("A") ? "B" : "A"}${mac!.slice(1)}`;
    expect((await call("/v1/inbox", { token: flipped })).status).toBe(401);
    expect((await call("/v1/inbox")).status).toBe(401);
  });

  it("refuses a signature over another account's nonce (the account id is signed)", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    await register(alice, "auth-alice3");
    await register(bob, "auth-bob3");
    const nonce = await challenge(alice.accountId);
    // Bob signs Alice's nonce as if it were his own challenge.
    const res = await postJson("/v1/auth/login", { accountId: bob.accountId, nonce, signature: toBase64Url(await loginSignature(bob, fromBase64Url(nonce))) });
    expect(res.status).toBe(401);
  });

  it("answers 404 for an unknown account and 400 for malformed requests", async () => {
    expect((await postJson("/v1/auth/challenge", { accountId: "f".repeat(32) })).status).toBe(404);
    expect((await postJson("/v1/auth/challenge", { accountId: "xyz" })).status).toBe(400);
    expect((await postJson("/v1/auth/login", { accountId: "f".repeat(32), nonce: "AAAA", signature: "AAAA" })).status).toBe(400);
  });

  it("rate-limits login attempts per account with 429", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-busy");
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await postJson("/v1/auth/challenge", { accountId: alice.accountId })).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const other = await newIdentity();
    await register(other, "auth-calm");
    expect((await postJson("/v1/auth/challenge", { accountId: other.accountId })).status).toBe(200);
  });
});
