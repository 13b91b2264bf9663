import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { configurationProblem, Misconfigured } from "../../worker/secrets.js";
import { issueToken, SESSION_TTL_MS, verifyToken } from "../../worker/session.js";
import { call, signedUp } from "../helpers/api.js";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const RANDOM_SECRET = "q3Jk9xV2mZ0pL7sT4wY1bN8cR5fH6gD2aE0uI9oK3jM=";

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
    expect(await verifyToken({ ...env, ENVIRONMENT: "production", SESSION_SECRET: RANDOM_SECRET }, token)).toBeNull();
    expect(await verifyToken(env, "v1.garbage.token")).toBeNull();
  });

  it("are never made or checked by a production deployment without a strong secret of its own", async () => {
    const development = (await issueToken(env, ACCOUNT)).token;
    for (const SESSION_SECRET of [undefined, "", "short", "steward-local-development-only-secret", "a".repeat(64)]) {
      const production = { ...env, ENVIRONMENT: "production", SESSION_SECRET };
      expect(configurationProblem(production), `secret ${SESSION_SECRET}`).toMatch(/SESSION_SECRET/);
      await expect(issueToken(production, ACCOUNT)).rejects.toBeInstanceOf(Misconfigured);
      await expect(verifyToken(production, development)).rejects.toBeInstanceOf(Misconfigured);
    }
    expect(configurationProblem({ ENVIRONMENT: "production", SESSION_SECRET: RANDOM_SECRET })).toBeNull();
    // Anything but the exact development switch is production.
    expect(configurationProblem({ ENVIRONMENT: "local", SESSION_SECRET: undefined })).toMatch(/not set/);
  });

  it("are refused by routes with 401 once expired", async () => {
    const s = await signedUp("sess");
    const { token } = await issueToken(env, s.identity.accountId, Date.now() - SESSION_TTL_MS - 1);
    const res = await call("/v1/inbox", { token });
    expect(res.status).toBe(401);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unauthenticated");
  });
});
