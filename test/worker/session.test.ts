import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueToken, MissingSessionSecret, SESSION_TTL_MS, verifyToken } from "../../worker/session.js";
import { call, signedUp } from "../helpers/api.js";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

describe("session tokens", () => {
  it("prove the account until they expire", async () => {
    const now = Date.now();
    const { token, expiresAt } = await issueToken(env, ACCOUNT, now);
    expect(expiresAt).toBe(now + SESSION_TTL_MS);
    expect(await verifyToken(env, token, now + 1000)).toBe(ACCOUNT);
    expect(await verifyToken(env, token, expiresAt)).toBeNull();
  });

  it("do not verify under another secret", async () => {
    const { token } = await issueToken(env, ACCOUNT);
    expect(await verifyToken({ ...env, SESSION_SECRET: "another secret" }, token)).toBeNull();
    expect(await verifyToken(env, "v1.garbage.token")).toBeNull();
  });

  it("need SESSION_SECRET outside local runs", async () => {
    await expect(issueToken({ ...env, ENVIRONMENT: "production", SESSION_SECRET: undefined }, ACCOUNT)).rejects.toBeInstanceOf(MissingSessionSecret);
  });

  it("are refused by routes with 401 once expired", async () => {
    const s = await signedUp("sess");
    const { token } = await issueToken(env, s.identity.accountId, Date.now() - SESSION_TTL_MS - 1);
    const res = await call("/v1/inbox", { token });
    expect(res.status).toBe(401);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unauthenticated");
  });
});
