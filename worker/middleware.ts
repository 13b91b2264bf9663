// Cross-cutting middleware: the configuration guard, CORS for the web app, body size limits, the
// session check and the rate limits (worker/rateLimits.ts).
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.js";
import { errorJson } from "./http.js";
import { overLimit } from "./rateLimits.js";
import { configurationProblem } from "./secrets.js";
import { proofOf, proveLogin, SESSION_HEADER } from "./loginProof.js";
import { verifyToken } from "./session.js";

/**
 * A deployment without a usable SESSION_SECRET serves nothing: no request can be signed or checked
 * under a missing or publicly known key. The operator sees why in every answer.
 */
export const requireConfiguration = createMiddleware<AppEnv>(async (c, next) => {
  const problem = configurationProblem(c.env);
  if (problem) return errorJson(c, "misconfigured", `this Steward deployment is not configured: ${problem}`);
  return next();
});

/** Bearer tokens, not cookies, so any origin may call the API; the token is the credential. */
export const corsForWebApp = cors({
  origin: "*",
  allowHeaders: ["Authorization", "Content-Type"],
  allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
  exposeHeaders: ["Steward-Session"],
  maxAge: 600,
});

export const JSON_BODY_LIMIT = 512 * 1024;

export function limitBody(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: (c) => errorJson(c, "too_large", `the request body is larger than ${maxSize} bytes`),
  });
}

/** The bearer token: "Authorization: Bearer <token>", or `?token=` on the WebSocket route (browsers cannot set headers on a WebSocket). */
function sessionToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  return header?.startsWith("Bearer ")
    ? header.slice(7)
    : c.req.path.endsWith("/ws")
      ? c.req.query("token")
      : undefined;
}

/**
 * Requires a valid session, or a login proof in its place (the answer then carries the session it
 * opened, in the steward-session header), and sets the proven account id.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  // A route under two patterns (an invite slot and its messages) runs this twice: a proof is spent once.
  if (c.get("accountId")) return next();
  const proof = proofOf(c);
  if (proof) {
    const proven = await proveLogin(c, proof);
    if (proven instanceof Response) return proven;
    c.set("accountId", proven.accountId);
    // Set before the route answers, so every answer it builds carries it (a WebSocket's 101 is not rebuilt).
    c.header(SESSION_HEADER, `${proven.token} ${proven.expiresAt}`);
    await next();
    return;
  }
  const token = sessionToken(c);
  if (!token)
    return errorJson(c, "unauthenticated", "sign in first: this route needs an Authorization: Bearer <token> header");
  const accountId = await verifyToken(c.env, token);
  if (!accountId) return errorJson(c, "unauthenticated", "the session token is invalid or expired; sign in again");
  c.set("accountId", accountId);
  await next();
});

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.");
}

/**
 * Limits requests that carry no valid session (registration, login, recovery kits, invite and link
 * slots) per client address, as Cloudflare reports it in CF-Connecting-IP. Requests without the
 * header (tests calling the worker directly) and loopback clients (`wrangler dev`) are not limited.
 */
export const limitAnonymousByAddress = createMiddleware<AppEnv>(async (c, next) => {
  const address = c.req.header("cf-connecting-ip");
  if (!address || isLoopback(address)) return next();
  const token = sessionToken(c);
  if (token && (await verifyToken(c.env, token))) return next();
  return (await overLimit(c, "anonymous", address)) ?? next();
});

/** Handle look-ups per signed-in account: finding contacts is a person's pace, not a crawl. */
export const limitLookups = createMiddleware<AppEnv>(
  async (c, next) => (await overLimit(c, "lookup", c.get("accountId"))) ?? next(),
);
