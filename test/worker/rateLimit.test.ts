// Rate limits on Cloudflare's Rate Limiting bindings (shared by isolates, unlike a map in memory):
// requests without a session per client address, handle look-ups per signed-in account. Floods are
// refused with 429 and Retry-After; signed-in requests, other addresses and other accounts are not.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../worker/rateLimits.js";
import { BASE, errorOf, signedUp } from "../helpers/api.js";

let next = 1;
/** A fresh documentation-range address per test: the counters outlive a test. */
function address(): string {
  return `203.0.113.${next++}`;
}

/** The bindings count in fixed minutes; a burst that straddles one would be split in two. */
async function freshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 50));
}

function recoveryKit(from: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = { "cf-connecting-ip": from };
  if (token) headers.authorization = `Bearer ${token}`;
  return SELF.fetch(`${BASE}/v1/accounts/by-handle/nobody-here/recovery-kit`, { headers });
}

function lookup(token: string): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/accounts/by-handle/nobody-here`, { headers: { authorization: `Bearer ${token}` } });
}

describe("anonymous requests per address", () => {
  const limit = LIMITS.anonymous.perMinute;

  it(`serves ${limit} a minute, then answers 429 with Retry-After`, async () => {
    await freshMinute();
    const from = address();
    for (let i = 0; i < limit; i++) expect((await recoveryKit(from)).status).toBe(404);
    const limited = await recoveryKit(from);
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // A forged token does not get around it.
    expect((await recoveryKit(from, "v1.AAAA.BBBB")).status).toBe(429);
  });

  it("does not limit signed-in requests, other addresses, loopback or requests without the header", async () => {
    const session = await signedUp("rl");
    await freshMinute();
    const from = address();
    for (let i = 0; i <= limit; i++) await recoveryKit(from);
    expect((await recoveryKit(from)).status).toBe(429);
    expect((await recoveryKit(from, session.token)).status).toBe(404);
    expect((await recoveryKit(address())).status).toBe(404);
    for (const loopback of ["127.0.0.1", "::1"])
      for (let i = 0; i <= limit; i++) expect((await recoveryKit(loopback)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/v1/accounts/by-handle/nobody-here/recovery-kit`)).status).toBe(404);
  });
});

describe("handle look-ups", () => {
  it("need a session: nobody can ask anonymously whether a handle has an account", async () => {
    const alice = await signedUp("rlalice");
    const handle = (
      await (await SELF.fetch(`${BASE}/v1/accounts/${alice.identity.accountId}`)).json<{ handle: string }>()
    ).handle;
    const anonymous = await SELF.fetch(`${BASE}/v1/accounts/by-handle/${handle}`);
    expect(anonymous.status).toBe(401);
    const bob = await signedUp("rlbob");
    expect((await lookup(bob.token)).status).toBe(404);
    expect(
      await (
        await SELF.fetch(`${BASE}/v1/accounts/by-handle/${handle}`, {
          headers: { authorization: `Bearer ${bob.token}` },
        })
      ).json(),
    ).toMatchObject({ accountId: alice.identity.accountId });
  });

  it(`are limited to ${LIMITS.lookup.perMinute} a minute per account, not per address`, async () => {
    const crawler = await signedUp("rlcrawl");
    const other = await signedUp("rlother");
    await freshMinute();
    for (let i = 0; i < LIMITS.lookup.perMinute; i++) expect((await lookup(crawler.token)).status).toBe(404);
    const limited = await lookup(crawler.token);
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).message).toMatch(/look-ups/);
    expect((await lookup(other.token)).status).toBe(404);
  });
});
