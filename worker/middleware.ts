// Cross-cutting middleware: CORS for the web app, body size limits, the session check and the
// per-IP limit on anonymous requests.
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { verifyToken } from "./session.js";

/** Bearer tokens, not cookies, so any origin may call the API; the token is the credential. */
export const corsForWebApp = cors({
  origin: "*",
  allowHeaders: ["Authorization", "Content-Type"],
  allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
  maxAge: 600,
});

export const JSON_BODY_LIMIT = 512 * 1024;

export function limitBody(maxSize: number) {
  return bodyLimit({ maxSize, onError: (c) => errorJson(c, "too_large", `the request body is larger than ${maxSize} bytes`) });
}

/** The bearer token: "Authorization: Bearer <token>", or `?token=` on the WebSocket route (browsers cannot set headers on a WebSocket). */
function sessionToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  return header?.startsWith("Bearer ") ? header.slice(7) : c.req.path.endsWith("/ws") ? c.req.query("token") : undefined;
}

/** Requires a valid session and sets the proven account id. */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = sessionToken(c);
  if (!token) return errorJson(c, "unauthenticated", "sign in first: this route needs an Authorization: Bearer <token> header");
  const accountId = await verifyToken(c.env, token);
  if (!accountId) return errorJson(c, "unauthenticated", "the session token is invalid or expired; sign in again");
  c.set("accountId", accountId);
  await next();
});

/** Requests without a valid session, per client IP and minute. */
export const ANONYMOUS_REQUESTS_PER_MINUTE = 300;
const WINDOW_MS = 60_000;
/** Bounds the memory an address-spraying client can make the limiter use. */
const TRACKED_ADDRESSES = 10_000;

/** Fixed one-minute windows per address, kept in the isolate's memory: cheap, and per isolate only. */
class AddressWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one request; returns the seconds to wait when the address has used its minute. */
  take(address: string, now: number): number | null {
    let window = this.windows.get(address);
    if (!window || now - window.start >= WINDOW_MS) {
      this.windows.delete(address);
      if (this.windows.size >= TRACKED_ADDRESSES) this.evict(now);
      window = { start: now, count: 0 };
      this.windows.set(address, window);
    }
    window.count += 1;
    return window.count > ANONYMOUS_REQUESTS_PER_MINUTE ? Math.ceil((window.start + WINDOW_MS - now) / 1000) : null;
  }

  private evict(now: number): void {
    for (const [address, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(address);
    // Still full: drop the oldest (Map keeps insertion order), so new addresses are always counted.
    while (this.windows.size >= TRACKED_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }
}

const anonymous = new AddressWindows();

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.");
}

/**
 * Limits requests that carry no valid session (registration, login challenges, lookups, invite and
 * link slots) per client address, as Cloudflare reports it in CF-Connecting-IP. Requests without the
 * header (tests calling the worker directly) and loopback clients (`wrangler dev`) are not limited.
 */
export const limitAnonymousByAddress = createMiddleware<AppEnv>(async (c, next) => {
  const address = c.req.header("cf-connecting-ip");
  if (!address || isLoopback(address)) return next();
  const token = sessionToken(c);
  if (token && (await verifyToken(c.env, token))) return next();
  const wait = anonymous.take(address, Date.now());
  if (wait === null) return next();
  c.header("retry-after", String(wait));
  return errorJson(c, "rate_limited", `too many requests without a session from this address; wait ${wait} s, or sign in`);
});
