// Rate limits on Cloudflare's Rate Limiting API (wrangler.toml [[ratelimits]]): counters shared by
// the isolates of a location, so a client cannot escape them by landing on a fresh isolate. Locally
// (`wrangler dev`, the tests) miniflare runs the same bindings.
import type { Context } from "hono";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";

/** What each limit counts; the numbers are the bindings' `simple` settings in wrangler.toml. */
export const LIMITS = {
  anonymous: { binding: "ANONYMOUS_LIMIT", perMinute: 300, what: "requests without a session from this address" },
  lookup: { binding: "LOOKUP_LIMIT", perMinute: 60, what: "handle look-ups by this account" },
} as const;

export type LimitName = keyof typeof LIMITS;

/**
 * Counts one request against `name` for `key`; returns the 429 to answer once the key has used its
 * minute, or null to go on.
 */
export async function overLimit(c: Context<AppEnv>, name: LimitName, key: string): Promise<Response | null> {
  const limit = LIMITS[name];
  const { success } = await c.env[limit.binding].limit({ key });
  if (success) return null;
  c.header("retry-after", "60");
  return errorJson(
    c,
    "rate_limited",
    `too many ${limit.what} (${limit.perMinute} a minute); wait a minute and try again`,
  );
}
