// The per-address limit on requests without a session: registration and login-challenge floods from
// one client address are refused with 429 and Retry-After, signed-in requests and other addresses are not.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ANONYMOUS_REQUESTS_PER_MINUTE } from "../../worker/middleware.js";
import { BASE, errorOf, signedUp } from "../helpers/api.js";

let next = 1;
/** A fresh documentation-range address per test, since the counters live in the worker's memory. */
function address(): string {
  return `203.0.113.${next++}`;
}

function lookup(from: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = { "cf-connecting-ip": from };
  if (token) headers.authorization = `Bearer ${token}`;
  return SELF.fetch(`${BASE}/v1/accounts/by-handle/nobody-here`, { headers });
}

describe("anonymous requests per address", () => {
  it(`serves ${ANONYMOUS_REQUESTS_PER_MINUTE} a minute, then answers 429 with Retry-After`, async () => {
    const from = address();
    for (let i = 0; i < ANONYMOUS_REQUESTS_PER_MINUTE; i++) expect((await lookup(from)).status).toBe(404);
    const limited = await lookup(from);
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // A forged token does not get around it.
    expect((await lookup(from, "v1.AAAA.BBBB")).status).toBe(429);
  });

  it("does not limit signed-in requests, other addresses, loopback or requests without the header", async () => {
    const session = await signedUp("rl");
    const from = address();
    for (let i = 0; i <= ANONYMOUS_REQUESTS_PER_MINUTE; i++) await lookup(from);
    expect((await lookup(from)).status).toBe(429);
    expect((await lookup(from, session.token)).status).toBe(404);
    expect((await lookup(address())).status).toBe(404);
    for (const loopback of ["127.0.0.1", "::1"]) for (let i = 0; i <= ANONYMOUS_REQUESTS_PER_MINUTE; i++) expect((await lookup(loopback)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/v1/accounts/by-handle/nobody-here`)).status).toBe(404);
  });
});
