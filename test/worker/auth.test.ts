import { describe, expect, it } from "vitest";
import { FAILED_LOGINS_PER_MINUTE } from "../../durable-objects/account.js";
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
    expect((await errorOf(replay)).message).toMatch(/already used/);

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

  it("refuses a nonce it did not issue, or issued for another account", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    await register(alice, "auth-alice4");
    await register(bob, "auth-bob4");
    const made = fromBase64Url(await challenge(alice.accountId));
    made[0]! ^= 1;
    const forged = await postJson("/v1/auth/login", { accountId: alice.accountId, nonce: toBase64Url(made), signature: toBase64Url(await loginSignature(alice, made)) });
    expect(forged.status).toBe(401);
    expect((await errorOf(forged)).message).toMatch(/not issued/);
    const bobs = fromBase64Url(await challenge(bob.accountId));
    expect((await postJson("/v1/auth/login", { accountId: alice.accountId, nonce: toBase64Url(bobs), signature: toBase64Url(await loginSignature(alice, bobs)) })).status).toBe(401);
  });

  it("answers challenges for any id without saying whether it exists, 404 at login, 400 for malformed requests", async () => {
    const nobody = "f".repeat(32);
    const nonce = fromBase64Url(await challenge(nobody));
    const stranger = await newIdentity();
    expect((await postJson("/v1/auth/login", { accountId: nobody, nonce: toBase64Url(nonce), signature: toBase64Url(await loginSignature(stranger, nonce)) })).status).toBe(404);
    expect((await postJson("/v1/auth/challenge", { accountId: "xyz" })).status).toBe(400);
    expect((await postJson("/v1/auth/login", { accountId: nobody, nonce: "AAAA", signature: "AAAA" })).status).toBe(400);
  });

  it("cannot be locked out by a stranger: floods of challenges and failed proofs leave the owner's login working", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-busy");
    const mallory = await newIdentity();
    for (let i = 0; i < 100; i++) await challenge(alice.accountId);
    const failures: number[] = [];
    for (let i = 0; i < FAILED_LOGINS_PER_MINUTE + 5; i++) {
      const nonce = fromBase64Url(await challenge(alice.accountId));
      failures.push((await postJson("/v1/auth/login", { accountId: alice.accountId, nonce: toBase64Url(nonce), signature: toBase64Url(await loginSignature(mallory, nonce)) })).status);
    }
    expect(failures.slice(0, FAILED_LOGINS_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(failures.slice(FAILED_LOGINS_PER_MINUTE).every((s) => s === 429)).toBe(true);
    await expect(login(alice)).resolves.toMatch(/^v1\./);
  });
});
