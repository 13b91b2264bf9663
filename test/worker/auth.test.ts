// Logins by proof: the device signs its clock's time and a fresh nonce for its account, and sends
// it on its first request (or on its own to /v1/auth/login); the answer carries a session.
// Replays, another account's proofs, stale or future times and
// forged tokens are refused; a stranger's flood of bad proofs cannot lock the owner out.
import { describe, expect, it } from "vitest";
import { FAILED_LOGINS_PER_MINUTE } from "../../durable-objects/account.js";
import { fromBase64Url, fromHex, toBase64Url, toHex } from "../../shared/bytes.js";
import { PROOF_WINDOW_MS } from "../../shared/loginProof.js";
import { call, errorOf, login, register } from "../helpers/api.js";
import {
  loginProof,
  newIdentity,
  randomBytes,
  type ProofOptions,
  type Identity,
} from "../helpers/webcryptoFixtures.js";

function withProof(
  path: string,
  account: Identity,
  options: ProofOptions = {},
  init: { method?: string } = {},
): Promise<Response> {
  return loginProof(account, options).then((authorization) => call(path, { ...init, headers: { authorization } }));
}

describe("logins by proof", () => {
  it("a proof on the first request answers it and opens a session for the next ones", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-alice");
    const first = await withProof("/v1/inbox", alice);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ grants: [] });
    const [token, expiresAt] = first.headers.get("steward-session")!.split(" ");
    expect(Number(expiresAt)).toBeGreaterThan(Date.now());
    expect((await call("/v1/inbox", { token: token! })).status).toBe(200);
    // On its own, for a device that needs a token first (a WebSocket).
    expect(await login(alice)).toMatch(/^v1\./);
  });

  it("a proof is spent once per request, also on a route two session checks cover (an invite slot)", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-invite");
    const authorization = await loginProof(alice);
    const slot = toHex(randomBytes(16));
    const put = await call(`/v1/invites/${slot}`, {
      method: "PUT",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ expiresAt: Date.now() + 60_000 }),
    });
    expect(put.status).toBeLessThan(300);
    expect(put.headers.get("steward-session")).toMatch(/^v1\./);
  });

  it("refuses a replayed proof, a proof under another key, and a tampered or missing token", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-alice2");
    const authorization = await loginProof(alice);
    expect((await call("/v1/inbox", { headers: { authorization } })).status).toBe(200);
    const replay = await call("/v1/inbox", { headers: { authorization } });
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).message).toMatch(/already used/);

    const mallory = await newIdentity();
    const wrong = await withProof("/v1/inbox", alice, { key: mallory.privateKey });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).message).toMatch(/does not verify/);

    const token = await login(alice);
    const [v, payload, mac] = token.split(".");
    const flipped = `${v}.${payload}.${mac!.startsWith("A") ? "B" : "A"}${mac!.slice(1)}`;
    expect((await call("/v1/inbox", { token: flipped })).status).toBe(401);
    expect((await call("/v1/inbox")).status).toBe(401);
  });

  it("refuses a proof moved to another account", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    await register(alice, "auth-alice3");
    await register(bob, "auth-bob3");
    // Bob's valid proof with Alice's account id put in: the account id is signed.
    const bobs = fromBase64Url((await loginProof(bob)).slice("Proof ".length));
    bobs.set(fromHex(alice.accountId, 16), 0);
    const moved = await call("/v1/inbox", { headers: { authorization: `Proof ${toBase64Url(bobs)}` } });
    expect(moved.status).toBe(401);
    expect((await errorOf(moved)).message).toMatch(/does not verify/);
  });

  it("refuses a proof outside the window around the server's clock with clock_skew and the server's time", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-clock");
    for (const offset of [-(PROOF_WINDOW_MS + 60_000), PROOF_WINDOW_MS + 60_000]) {
      const before = Date.now();
      const res = await withProof("/v1/inbox", alice, { time: Date.now() + offset });
      expect(res.status).toBe(401);
      const error = (await res.json<{ error: { code: string; message: string; serverTime: number } }>()).error;
      expect(error.code).toBe("clock_skew");
      expect(error.message).toMatch(offset < 0 ? /3 minute\(s\) behind/ : /3 minute\(s\) ahead/);
      expect(error.serverTime).toBeGreaterThanOrEqual(before);
    }
    // Inside the window, either way, it is taken.
    expect((await withProof("/v1/inbox", alice, { time: Date.now() - PROOF_WINDOW_MS + 5_000 })).status).toBe(200);
    expect((await withProof("/v1/inbox", alice, { time: Date.now() + PROOF_WINDOW_MS - 5_000 })).status).toBe(200);
  });

  it("404 for an account nobody registered, 400 for a proof that does not decode", async () => {
    const stranger = await newIdentity();
    expect((await withProof("/v1/inbox", stranger)).status).toBe(404);
    const malformed = await call("/v1/inbox", { headers: { authorization: "Proof AAAA" } });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe("malformed");
    expect((await call("/v1/auth/login", { method: "POST" })).status).toBe(401);
  });

  it("cannot be locked out by a stranger: a flood of failed proofs leaves the owner's login working", async () => {
    const alice = await newIdentity();
    await register(alice, "auth-busy");
    const mallory = await newIdentity();
    const failures: number[] = [];
    for (let i = 0; i < FAILED_LOGINS_PER_MINUTE + 5; i++)
      failures.push(
        (
          await withProof(
            "/v1/auth/login",
            alice,
            { key: mallory.privateKey, nonce: randomBytes(16) },
            { method: "POST" },
          )
        ).status,
      );
    expect(failures.slice(0, FAILED_LOGINS_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(failures.slice(FAILED_LOGINS_PER_MINUTE).every((s) => s === 429)).toBe(true);
    await expect(login(alice)).resolves.toMatch(/^v1\./);
  });
});
